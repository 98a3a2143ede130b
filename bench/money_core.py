"""Money-core benchmark (issue 2): transfers vs pgbench, and balance reads on a 1M-row history.

Run through bench/run.sh, which builds the load generator (bench/loadgen) and passes its path.
Everything runs on ONE throwaway PostgreSQL with durable settings, migrated by the real TypeORM migrations.
"""

from __future__ import annotations

import argparse
import glob
import importlib.metadata
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

import httpx
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from balance_api.service import BALANCE_QUERY  # noqa: E402 - the exact balance query the service runs
from buteco_dev import migrations, seed  # noqa: E402
from buteco_dev.credentials import TEST_TOKENS, auth_headers  # noqa: E402
from buteco_dev.postgres import Postgres, admin_connection, create_database  # noqa: E402
from buteco_dev.processes import ServiceProcess, python_service  # noqa: E402

TOKEN = TEST_TOKENS["bot"]  # transfers and reads, as the bot; python_service gives balance_api every caller's token
CLIENTS = 32
GUILD = 900_000_000_000_000_001  # transfers
HISTORY_GUILD = 900_000_000_000_000_002  # balance reads
USER_BASE = 700_000_000_000_000_000  # Discord ids USER_BASE .. USER_BASE+USERS-1
USERS = 200
FUNDS = 10**9  # per member: a 20 s run moves far less than this
BIG, SMALL = 800_000_000_000_000_001, 800_000_000_000_000_002  # the 1M-row and the 10-row member
BIG_ROWS, SMALL_ROWS = 1_000_000, 10
PG_SETTINGS = {  # durable (the defaults, spelled out) and production-like
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "shared_buffers": "256MB",
    "effective_cache_size": "4GB",
    "max_wal_size": "2GB",
}
CLK_TCK = os.sysconf("SC_CLK_TCK")
NOISY_PCT = 15  # % of one core used by processes outside the benchmark that makes a measurement suspect


def step(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


@contextmanager
def balance_api(workers: int, db_url: str, log_dir: Path) -> Iterator[ServiceProcess]:
    """balance_api under uvicorn with N worker processes, in its own process group like every service process:
    a Ctrl-C reaches run.sh, whose trap has us stop it."""
    with python_service(
        "balance_api.main", database_url=db_url, env=service_env(), log_dir=log_dir, workers=workers
    ) as service:
        time.sleep(1.0)  # let every worker finish its start-up, not just the first to answer /health
        yield service


def service_env() -> dict[str, str]:
    return {
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "INFO"),  # as deployed: one access line per request
        # One pooled connection per client connection a worker may hold: no request waits for the pool and no
        # overflow connection is opened and closed per request. Opened lazily, so ~32 backends in all.
        "DB_POOL_SIZE": str(CLIENTS),
        "DB_MAX_OVERFLOW": "0",
    }


# ---------------------------------------------------------------- CPU accounting: where the 2 cores go


def _processes() -> dict[int, tuple[int, str, int]]:
    """pid -> (ppid, comm, utime+stime ticks of all its threads) for every process."""
    found = {}
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            raw = Path(stat).read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        found[int(stat.split("/")[2])] = (int(fields[1]), comm, int(fields[11]) + int(fields[12]))
    return found


def _cpu_by_group(roots: dict[str, int]) -> tuple[dict[str, int], int, int]:
    """Ticks per group (a process belongs to its nearest named ancestor), all jiffies, idle jiffies."""
    procs = _processes()
    ticks: dict[str, int] = {}
    for pid, (_, comm, used) in procs.items():
        group, walk = None, pid
        while walk > 1 and group is None:
            group = next((name for name, root in roots.items() if root == walk), None)
            walk = procs.get(walk, (0,))[0]
        group = group or f"other:{comm.split('/')[0]}"  # incl. anybody else's processes: noise
        ticks[group] = ticks.get(group, 0) + used
    cpu = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return ticks, sum(cpu), cpu[3] + cpu[4]


class CpuWindow:
    """CPU used per group between start() and stop(), in % of one core (200% = both cores busy)."""

    roots_always: ClassVar[dict[str, int]] = {}  # {"postgres": postmaster pid}, set once the server runs

    def __init__(self, roots: dict[str, int]) -> None:
        self.roots = {**self.roots_always, **roots}

    def start(self) -> None:
        self.t0, self.before = time.monotonic(), _cpu_by_group(self.roots)

    def stop(self) -> dict[str, float]:
        seconds, after = time.monotonic() - self.t0, _cpu_by_group(self.roots)
        used = {g: (after[0].get(g, 0) - self.before[0].get(g, 0)) * 100 / CLK_TCK / seconds for g in after[0]}
        busy = 1 - (after[2] - self.before[2]) / max(1, after[1] - self.before[1])
        other = sum(v for g, v in used.items() if g.startswith("other:") and v > 0)
        if other > NOISY_PCT:
            step(
                f"WARNING: {other:.0f}% of a core went to processes outside the benchmark: "
                f"{ {g: round(v) for g, v in used.items() if g.startswith('other:') and v >= 5} }"
            )
        return {
            **{g: round(v, 1) for g, v in sorted(used.items()) if v >= 0.5},
            "other_total": round(other, 1),
            "machine_busy_pct": round(busy * 100, 1),
        }


def wait_for_quiet(max_wait: float = 300) -> None:
    """On a shared machine, wait (up to max_wait s) until nothing else keeps a core busy, then measure."""
    deadline = time.monotonic() + max_wait
    while True:
        before = _cpu_by_group({})
        time.sleep(1.0)
        after = _cpu_by_group({})
        busy = 100 * (1 - (after[2] - before[2]) / max(1, after[1] - before[1])) * (os.cpu_count() or 1)
        if busy <= NOISY_PCT:
            return
        if time.monotonic() > deadline:
            step(f"WARNING: the machine is still busy ({busy:.0f}% of a core); measuring anyway")
            return
        time.sleep(4.0)


# ---------------------------------------------------------------- load


def run_loadgen(args, extra: list[str], cpu_roots: dict[str, int], warmup: float, duration: float | None) -> dict:
    """Run bench/loadgen; for a timed run, also measure CPU per group over its measured window."""
    cmd = [args.loadgen, "-url", args.service_url, "-token", TOKEN, "-warmup", f"{warmup}s", *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        cpu = None
        if duration:
            window = CpuWindow({**cpu_roots, "loadgen": proc.pid})
            time.sleep(warmup + 0.5)
            window.start()
            time.sleep(duration - 1.0)
            cpu = window.stop()
        out, _ = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
    if proc.returncode != 0:
        raise RuntimeError(f"loadgen failed ({proc.returncode}): {' '.join(cmd)}")
    return {**json.loads(out), "cpu_pct_of_one_core": cpu}


def pgbench(args, pg: Postgres, database: str, label: str, script: list[str]) -> dict:
    """pgbench at the same concurrency on the same server: 3 s warm-up, then -T seconds with a per-transaction log."""
    binary = os.path.join(pg.bin_dir, "pgbench")
    binary = binary if os.path.exists(binary) else shutil.which("pgbench")
    run = [binary, "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "-c", str(CLIENTS), "-j", "2", *script]
    checkpoint(pg.url)
    wait_for_quiet()
    subprocess.run([*run, "-T", "3", database], check=True, capture_output=True)  # the transfers' warm-up
    log_prefix = args.out / f"pgbench_{label}_log"
    proc = subprocess.Popen(
        [*run, "-T", str(args.seconds), "-l", f"--log-prefix={log_prefix}", database],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        window = CpuWindow({"pgbench": proc.pid})
        time.sleep(0.5)
        window.start()
        time.sleep(args.seconds - 1.0)
        cpu = window.stop()
        report, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    (args.out / f"pgbench_{label}.txt").write_text(report)
    if proc.returncode != 0:
        raise RuntimeError(f"pgbench {label} failed:\n{report}")
    # Per-transaction log lines: client_id transaction_no latency_us script_no epoch_s epoch_us
    latencies = sorted(
        int(line.split()[2]) / 1000
        for log in glob.glob(f"{log_prefix}.*")
        for line in Path(log).read_text().splitlines()
    )
    pick = lambda p: round(latencies[int(p * (len(latencies) - 1) + 0.5)], 2)  # noqa: E731
    figure = lambda pattern: float(re.search(pattern, report).group(1))  # noqa: E731
    result = {
        "tps": figure(r"tps = ([\d.]+)"),
        "latency_average_ms": figure(r"latency average = ([\d.]+) ms"),
        "failed": int(figure(r"number of failed transactions: (\d+)")),
        "transactions": len(latencies),
        "p50_ms": pick(0.50),
        "p90_ms": pick(0.90),
        "p99_ms": pick(0.99),
        "cpu_pct_of_one_core": cpu,
    }
    step(
        f"  pgbench {label}: {result['tps']:.0f} tps, latency average {result['latency_average_ms']} ms, "
        f"p99 {result['p99_ms']} ms"
    )
    return result


def pgbench_runs(args, pg: Postgres) -> dict:
    """The reference (tpcb-like), and the transfer's own SQL (bench/transfer.pgbench) without HTTP or Python."""
    step(f"pgbench tpcb-like: -i -s 10, then -c {CLIENTS} -j 2 -T {args.seconds} -M prepared")
    create_database(pg.url, "pgbench")
    subprocess.run(
        [
            os.path.join(pg.bin_dir, "pgbench"),
            "-h",
            "127.0.0.1",
            "-p",
            str(pg.port),
            "-U",
            "postgres",
            "-i",
            "-s",
            "10",
            "-q",
            "pgbench",
        ],
        check=True,
        capture_output=True,
    )
    found = {"tpcb": pgbench(args, pg, "pgbench", "tpcb", ["-M", "prepared"])}
    step("pgbench with the transfer's SQL (bench/transfer.pgbench) on the transfers guild: -M simple, -M prepared")
    script = [
        "-n",
        "-f",
        str(REPO / "bench" / "transfer.pgbench"),
        "-D",
        f"guild={GUILD}",
        "-D",
        f"user_base={USER_BASE}",
        "-D",
        f"users={USERS}",
    ]
    for mode in ("simple", "prepared"):
        found[f"transfer_sql_{mode}"] = pgbench(args, pg, "buteco", f"transfer_sql_{mode}", [*script, "-M", mode])
    return found


# ---------------------------------------------------------------- data


def engine_for(url: str):
    """SQLAlchemy 2.1 maps postgresql:// to psycopg 3; the services (and this venv) use psycopg2."""
    return create_engine(url.replace("postgresql://", "postgresql+psycopg2://", 1))


def checkpoint(url: str) -> None:
    """Start each measurement with clean buffers rather than a checkpoint left over from the last one."""
    conn = admin_connection(url)
    try:
        with conn.cursor() as cur:
            cur.execute("CHECKPOINT")
    finally:
        conn.close()


def seed_members(engine) -> None:
    """200 registered members (client_api owns users; here they are inserted directly)."""
    with engine.begin() as db:
        db.execute(
            text(
                "INSERT INTO users (discord_id, display_name) "
                "SELECT :base + i, 'bench member ' || i FROM generate_series(0, :n - 1) AS i"
            ),
            {"base": USER_BASE, "n": USERS},
        )


def fund_members(service_url: str) -> None:
    """One daily credit from the mint, as coin_api, gives every member FUNDS coins (and opens their accounts)."""
    seed.fund_members(
        service_url, GUILD, {USER_BASE + i: FUNDS for i in range(USERS)}, key="bench-funding", reason="bench"
    ).raise_for_status()


def seed_history(engine) -> float:
    """A member with 1,000,000 ledger rows and one with 10 (each +1 from the mint), set-based SQL."""
    started = time.monotonic()
    with engine.begin() as db:
        db.execute(text("SET LOCAL work_mem = '256MB'"))
        db.execute(
            text(
                "INSERT INTO users (discord_id, display_name) VALUES (:big, 'bench 1M rows'), (:small, 'bench 10 rows')"
            ),
            {"big": BIG, "small": SMALL},
        )
        mint = db.execute(
            text(
                "INSERT INTO accounts (guild_id, system_code, allow_negative, balance) "
                "VALUES (:g, 'mint', true, :balance) RETURNING id"
            ),
            {"g": HISTORY_GUILD, "balance": -(BIG_ROWS + SMALL_ROWS)},
        ).scalar()
        member = text(
            "INSERT INTO accounts (guild_id, user_id, balance) "
            "SELECT :g, id, :balance FROM users WHERE discord_id = :discord_id RETURNING id"
        )
        big = db.execute(member, {"g": HISTORY_GUILD, "discord_id": BIG, "balance": BIG_ROWS}).scalar()
        small = db.execute(member, {"g": HISTORY_GUILD, "discord_id": SMALL, "balance": SMALL_ROWS}).scalar()
        # One INSERT of all the transactions; the key carries the member's account and the n-th credit.
        db.execute(
            text(
                "INSERT INTO ledger_transactions (guild_id, idempotency_key, request_hash, kind, reason) "
                "SELECT :g, 'bench-history:' || w.account_id || ':' || i, repeat('0', 64), 'reward', 'bench history' "
                "FROM (VALUES (CAST(:big AS bigint), :nbig), (:small, :nsmall)) AS w(account_id, n), "
                "generate_series(1, w.n) AS i"
            ),
            {"g": HISTORY_GUILD, "big": big, "small": small, "nbig": BIG_ROWS, "nsmall": SMALL_ROWS},
        )
        # One INSERT of both legs of every transaction: the balancing trigger checks them all together.
        db.execute(
            text(
                "INSERT INTO postings (transaction_id, account_id, amount, balance_after) "
                "SELECT t.id, leg.account_id, leg.amount, leg.balance_after FROM ("
                " SELECT id, split_part(idempotency_key, ':', 2)::bigint AS member,"
                "  split_part(idempotency_key, ':', 3)::bigint AS nth, row_number() OVER (ORDER BY id) AS overall"
                " FROM ledger_transactions WHERE guild_id = :g) t "
                "CROSS JOIN LATERAL (VALUES (t.member, 1, t.nth), (:mint, -1, -t.overall))"
                " AS leg(account_id, amount, balance_after)"
            ),
            {"g": HISTORY_GUILD, "mint": mint},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as db:
        db.execute(text("VACUUM ANALYZE users, accounts, ledger_transactions, postings"))
    return round(time.monotonic() - started, 1)


def explain_balance(engine, discord_id: int) -> str:
    with engine.connect() as db:
        rows = (
            db.execute(
                text("EXPLAIN (ANALYZE, BUFFERS) " + BALANCE_QUERY.text),
                {"guild_id": HISTORY_GUILD, "discord_id": discord_id},
            )
            .scalars()
            .all()
        )
    return "\n".join(rows)


def audit(service_url: str, guild: int) -> dict:
    answer = httpx.get(f"{service_url}/guilds/{guild}/audit", headers=auth_headers(TOKEN), timeout=120, trust_env=False)
    answer.raise_for_status()
    return answer.json()


def machine(engine) -> dict:
    with engine.connect() as db:
        settings = dict(
            db.execute(
                text("SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(:names)"),
                {
                    "names": [
                        "server_version",
                        "fsync",
                        "synchronous_commit",
                        "full_page_writes",
                        "shared_buffers",
                        "max_connections",
                        "max_wal_size",
                        "wal_sync_method",
                    ]
                },
            ).all()
        )
    cpu_model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "?",
    )
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model,
        "kernel": platform.release(),
        "free_h": subprocess.run(["free", "-h"], capture_output=True, text=True, check=False).stdout.strip(),
        "postgresql": settings,
        "python": platform.python_version(),
        "packages": {
            name: importlib.metadata.version(name) for name in ("uvicorn", "fastapi", "SQLAlchemy", "psycopg2-binary")
        },
    }


# ---------------------------------------------------------------- phases


def transfers(args, db_url: str, pg: Postgres, workers: int, fund: bool) -> dict:
    """32 clients posting transfers with unique keys between random funded members, then the audit."""
    step(f"transfers: balance_api --workers {workers}, {CLIENTS} clients, {args.seconds} s")
    with balance_api(workers, db_url, args.out) as service:
        args.service_url = service.url
        if fund:
            fund_members(service.url)
        checkpoint(pg.url)
        wait_for_quiet()
        run = run_loadgen(
            args,
            [
                "-mode",
                "transfer",
                "-c",
                str(CLIENTS),
                "-d",
                f"{args.seconds}s",
                "-guild",
                str(GUILD),
                "-user-base",
                str(USER_BASE),
                "-users",
                str(USERS),
                "-key-prefix",
                f"bench-w{workers}",
            ],
            {"balance_api": service.pid},
            warmup=3,
            duration=args.seconds,
        )
        run["audit"] = audit(service.url, GUILD)
    step(
        f"  {run['per_second']:.0f} transfers/s, p50 {run['p50_ms']} ms, p99 {run['p99_ms']} ms, "
        f"non-201: {run['unexpected']}, books balanced: {run['audit']['balanced']}"
    )
    return run


def reads(args, db_url: str, workers: int) -> dict:
    """Balance of the 1M-row member vs the 10-row member, alternating within each run (same conditions)."""
    step(f"balance reads: balance_api --workers {workers}")
    paths = {
        label: f"/guilds/{HISTORY_GUILD}/members/{member}/balance" for label, member in (("10", SMALL), ("1M", BIG))
    }
    both = ["-mode", "get", "-path", ",".join(paths.values())]
    with balance_api(workers, db_url, args.out) as service:
        args.service_url = service.url
        # The transfers guild again: bench/transfer.pgbench has posted to it since the transfer runs.
        found = {"audit": audit(service.url, HISTORY_GUILD), "audit_transfers_guild": audit(service.url, GUILD)}
        wait_for_quiet()
        runs = {
            "sequential": run_loadgen(args, [*both, "-c", "1", "-n", "4000"], {}, warmup=2, duration=None),
            "concurrent": run_loadgen(
                args, [*both, "-c", str(CLIENTS), "-d", "10s"], {"balance_api": service.pid}, warmup=2, duration=10
            ),
        }
    for kind, run in runs.items():
        found[kind] = {label: run["by_path"][path] for label, path in paths.items()}
        found[kind]["cpu_pct_of_one_core"] = run["cpu_pct_of_one_core"]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loadgen", required=True, help="path of the built bench/loadgen binary")
    parser.add_argument("--out", required=True, type=Path, help="directory for results and logs")
    parser.add_argument("--seconds", type=int, default=20, help="measured seconds per load run")
    parser.add_argument("--workers", default="2,1", help="uvicorn worker counts to try for transfers")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run.sh's trap: unwind, stopping everything
    results: dict = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "clients": CLIENTS, "seconds": args.seconds}

    step("starting a durable throwaway PostgreSQL, migrating it with db_migration_service")
    with Postgres.throwaway(fast=False, max_connections=200, settings=PG_SETTINGS) as pg:
        CpuWindow.roots_always = {"postgres": pg.process.pid}
        migrations.ensure_built()
        db_url = create_database(pg.url, "buteco")
        migrations.run_migrations(db_url)
        engine = engine_for(db_url)
        results["machine"] = machine(engine)
        seed_members(engine)

        results["transfers"] = {}
        for workers in [int(w) for w in args.workers.split(",")]:
            results["transfers"][workers] = transfers(args, db_url, pg, workers, fund=not results["transfers"])
        best = max(results["transfers"], key=lambda w: results["transfers"][w]["per_second"])
        results["best_workers"] = best

        results["pgbench"] = pgbench_runs(args, pg)

        step(f"seeding {BIG_ROWS:,} + {SMALL_ROWS} ledger rows (set-based SQL)")
        results["history_seed_seconds"] = seed_history(engine)
        checkpoint(pg.url)
        results["explain"] = {"1M": explain_balance(engine, BIG), "10": explain_balance(engine, SMALL)}
        engine.dispose()
        results["reads"] = reads(args, db_url, best)
    (args.out / "results.json").write_text(json.dumps(results, indent=2))
    summary = render_summary(results)
    (args.out / "summary.txt").write_text(summary)
    print(summary)


def render_summary(r: dict) -> str:
    best, pgb = r["transfers"][r["best_workers"]], r["pgbench"]
    tpcb, ratio = pgb["tpcb"], best["per_second"] / pgb["tpcb"]["tps"]
    seq, conc = r["reads"]["sequential"], r["reads"]["concurrent"]
    read_ratio = seq["1M"]["p50_ms"] / seq["10"]["p50_ms"]
    errors = sum(t["unexpected"] for t in r["transfers"].values())
    verdict = lambda ok: "PASS" if ok else "FAIL"  # noqa: E731
    ms_per = lambda cpu, group, rate: cpu.get(group, 0) * 10 / rate  # noqa: E731 - % of a core -> CPU ms per op
    windows = {
        **{f"transfers w{w}": t["cpu_pct_of_one_core"] for w, t in r["transfers"].items()},
        **{f"pgbench {k}": v["cpu_pct_of_one_core"] for k, v in pgb.items()},
        "reads": conc["cpu_pct_of_one_core"],
    }
    noisy = [name for name, cpu in windows.items() if cpu["other_total"] > NOISY_PCT]
    m = r["machine"]
    lines = ["", "==== Money core benchmark (issue 2) ===="]
    lines.append(
        f"machine: {m['nproc']} cores ({m['cpu_model']}), PostgreSQL {m['postgresql']['server_version']}, "
        f"Python {m['python']}, uvicorn {m['packages']['uvicorn']}; {r['clients']} clients, "
        f"{r['seconds']} s runs"
    )
    for workers, t in r["transfers"].items():
        cpu = t["cpu_pct_of_one_core"]
        lines.append(
            f"transfers, uvicorn --workers {workers}: {t['per_second']:.0f}/s  p50 {t['p50_ms']}  p90 {t['p90_ms']}  "
            f"p99 {t['p99_ms']} ms  non-201 {t['unexpected']}  replayed {t['replayed']}  audit balanced "
            f"{t['audit']['balanced']}  | CPU ms per transfer: balance_api "
            f"{ms_per(cpu, 'balance_api', t['per_second']):.2f}, "
            f"postgres {ms_per(cpu, 'postgres', t['per_second']):.2f}"
        )
    for label, run in pgb.items():
        lines.append(
            f"pgbench {label}: {run['tps']:.0f} tps  latency average {run['latency_average_ms']}  p50 {run['p50_ms']}  "
            f"p99 {run['p99_ms']} ms  failed {run['failed']}  | CPU ms per transaction: postgres "
            f"{ms_per(run['cpu_pct_of_one_core'], 'postgres', run['tps']):.2f}"
        )
    lines.append(
        f"TARGET transfers/s >= 0.5 x pgbench tps: {best['per_second']:.0f} / {tpcb['tps']:.0f} = "
        f"{ratio:.3f}  {verdict(ratio >= 0.5)}"
    )
    lines.append(f"TARGET transfer p99 <= 25 ms: {best['p99_ms']} ms  {verdict(best['p99_ms'] <= 25)}")
    lines.append(f"TARGET no non-201 answer: {errors}  {verdict(errors == 0)}")
    lines.append(
        f"balance read, 1 client, 2000 each: 10 rows p50 {seq['10']['p50_ms']} / p99 {seq['10']['p99_ms']} "
        f"ms; 1M rows p50 {seq['1M']['p50_ms']} / p99 {seq['1M']['p99_ms']} ms"
    )
    lines.append(
        f"balance read, {r['clients']} clients, 10 s: 10 rows {conc['10']['per_second']:.0f}/s p50 "
        f"{conc['10']['p50_ms']} p99 {conc['10']['p99_ms']} ms; 1M rows {conc['1M']['per_second']:.0f}/s "
        f"p50 {conc['1M']['p50_ms']} p99 {conc['1M']['p99_ms']} ms"
    )
    lines.append(
        f"TARGET 1M-row read within 1.2x of the 10-row read (p50, 1 client): {read_ratio:.2f}  "
        f"{verdict(read_ratio <= 1.2)}"
    )
    lines.append(
        f"audits at the end: transfers guild balanced {r['reads']['audit_transfers_guild']['balanced']}, "
        f"1M-row guild balanced {r['reads']['audit']['balanced']}; seeding the 1M rows took "
        f"{r['history_seed_seconds']} s"
    )
    lines += ["EXPLAIN ANALYZE, 1M rows:", r["explain"]["1M"], "EXPLAIN ANALYZE, 10 rows:", r["explain"]["10"]]
    if noisy:
        lines.append(
            f"WARNING: other processes used > {NOISY_PCT}% of a core during: {', '.join(noisy)}; "
            "those figures are pessimistic"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
