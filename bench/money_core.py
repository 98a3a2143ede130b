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

import httpx
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import comparison  # noqa: E402 - bench/ is on sys.path as the script's dir
import e2e_bench  # noqa: E402
import summary  # noqa: E402
from cpu import CpuWindow, step, wait_for_quiet  # noqa: E402

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
OPEN_RATE, P99_TARGET_MS = 200, 25  # issue 13: p99 <= 25 ms at 200 transfers/s offered, open loop
OPEN_CONNS = 128  # the open loop's connection cap; a send past it waits for one, and that wait counts
SEARCH_PROBES, SEARCH_SECONDS = 7, 5
COMPARE_ROUNDS, COMPARE_SECONDS = 3, 10
E2E_RATES, E2E_SECONDS = [1.0, 20.0], 10
PG_SETTINGS = {  # durable (the defaults, spelled out) and production-like
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "shared_buffers": "256MB",
    "effective_cache_size": "4GB",
    "max_wal_size": "2GB",
}


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
    """As deployed: INFO logging (one access line per request) and the kit's own pool defaults, unless
    BENCH_POOL=size/overflow asks for others (the issue-2 runs used 32/0: one connection per client)."""
    env = {"LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "INFO")}
    if os.environ.get("BENCH_POOL"):
        size, overflow = os.environ["BENCH_POOL"].split("/")
        env |= {"DB_POOL_SIZE": size, "DB_MAX_OVERFLOW": overflow}
    return env


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
    function = REPO / "bench" / "transfer_fn.pgbench"  # the posting engine's database function, as the service calls it
    if function.exists():
        step("pgbench with the transfer function (bench/transfer_fn.pgbench): -M prepared (the target), -M simple")
        script[2] = str(function)
        for mode in ("prepared", "simple"):  # simple: what psycopg2 (balance_api) sends
            found[f"transfer_fn_{mode}"] = pgbench(args, pg, "buteco", f"transfer_fn_{mode}", [*script, "-M", mode])
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
    """The guild's books; a timed-out audit (its statement timeout, on a busy machine) is recorded, not fatal."""
    answer = httpx.get(f"{service_url}/guilds/{guild}/audit", headers=auth_headers(TOKEN), timeout=120, trust_env=False)
    if answer.status_code == 503:
        step(f"WARNING: the audit of guild {guild} answered 503 (timed out?); recorded as unknown")
        return {"balanced": None, "error": answer.text[:200]}
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


def transfer_args(prefix: str) -> list[str]:
    return ["-mode", "transfer", "-guild", str(GUILD), "-user-base", str(USER_BASE), "-users", str(USERS),
            "-key-prefix", prefix]  # fmt: skip


def open_loop(args, service: ServiceProcess, rate: float, seconds: int, label: str) -> dict:
    """Transfers sent on a fixed schedule (bench/loadgen -rate): latency from each one's scheduled send time."""
    wait_for_quiet()
    extra = [*transfer_args(f"bench-open-{label}"), "-rate", f"{rate:g}", "-c", str(OPEN_CONNS), "-d", f"{seconds}s"]
    run = run_loadgen(args, extra, {"balance_api": service.pid}, warmup=2, duration=seconds)
    step(f"  open loop {rate:g}/s: answered {run['per_second']:.0f}/s, p50 {run['p50_ms']}, p99 {run['p99_ms']} ms")
    return run


def open_loop_phase(args, db_url: str, workers: int) -> dict:
    """p50/p99 at the fixed rate of the target, then the highest rate whose p99 stays within the target."""
    step(f"open loop: balance_api --workers {workers}, {OPEN_RATE}/s for {args.seconds} s, then the rate search")
    with balance_api(workers, db_url, args.out) as service:
        args.service_url = service.url
        found = {"at_target_rate": open_loop(args, service, OPEN_RATE, args.seconds, "fixed"), "probes": []}
        good, bad, rate = 0.0, None, float(OPEN_RATE)
        for n in range(SEARCH_PROBES):  # up by half until p99 fails, then halve the gap
            probe = open_loop(args, service, rate, SEARCH_SECONDS, f"probe{n}")
            ok = probe["p99_ms"] <= P99_TARGET_MS and probe["unexpected"] == 0
            found["probes"].append({"rate": rate, "p99_ms": probe["p99_ms"], "p50_ms": probe["p50_ms"], "ok": ok})
            good, bad = (max(good, rate), bad) if ok else (good, rate if bad is None else min(bad, rate))
            rate = rate * 1.5 if bad is None else (good + bad) / 2 if good else rate / 2
            if (bad is not None and good and bad - good <= max(10.0, 0.05 * good)) or rate < 10:
                break
        found["highest_rate_p99_ok"] = good
        found["audit"] = audit(service.url, GUILD)
    return found


def comparison_phase(args, pg: Postgres, db_url: str) -> dict:
    """Ours and the original's replica at their deployed defaults, alternating rounds; races; its reads."""
    seconds = args.compare_seconds
    step(f"comparison with bench/baseline: {COMPARE_ROUNDS} alternating rounds of {seconds} s each, 32 clients")
    base_url = comparison.baseline_database(pg.url)
    comparison.seed_baseline(base_url, USER_BASE, USERS, FUNDS, BIG_ROWS, SMALL_ROWS)
    engine = engine_for(db_url)

    def register(discord_ids: list[int]) -> None:
        with engine.begin() as db:
            db.execute(
                text(
                    "INSERT INTO users (discord_id, display_name) "
                    "SELECT d, 'race' FROM unnest(CAST(:ids AS bigint[])) d"
                ),
                {"ids": discord_ids},
            )

    ledger, coin = comparison.ours(db_url, args.out)
    try:
        with comparison.baseline(base_url, args.out) as theirs:
            time.sleep(1.0)
            rounds: dict[str, list] = {"ours": [], "theirs": []}
            for n in range(COMPARE_ROUNDS):
                for side, service, shape in (("ours", ledger, "buteco"), ("theirs", theirs, "chorume")):
                    args.service_url = service.url
                    checkpoint(pg.url)
                    wait_for_quiet()
                    extra = [
                        *transfer_args(f"bench-cmp{n}"),
                        "-shape",
                        shape,
                        "-c",
                        str(CLIENTS),
                        "-d",
                        f"{COMPARE_SECONDS}s",
                    ]
                    run = run_loadgen(args, extra, {side: service.pid}, warmup=2, duration=seconds)
                    rounds[side].append(run)
                    step(f"  round {n + 1} {side}: {run['per_second']:.0f}/s, p99 {run['p99_ms']} ms")
            found = {side: comparison.summarize_rounds(side, runs) for side, runs in rounds.items()}
            step("  races: 100 concurrent daily claims, 50 concurrent whole-balance transfers")
            found["races"] = comparison.races(ledger.url, coin.url, theirs.url, base_url, register)
            args.service_url = theirs.url
            paths = {"10": f"/balance/{comparison.SMALL}", "1M": f"/balance/{comparison.BIG}"}
            read = run_loadgen(
                args, ["-mode", "get", "-path", ",".join(paths.values()), "-c", "1", "-n", "10"], {}, 0, None
            )
            found["theirs_reads"] = {label: read["by_path"][path] for label, path in paths.items()}
    finally:
        coin.stop()
        ledger.stop()
        engine.dispose()
    return found


def bet_settle(args) -> dict:
    """bench/bet_settle.py as it is (its own server): settle an event with 10,000 bets."""
    step("bet settlement: bench/bet_settle.py (10,000 bets)")
    out = args.out / "bet_settle.json"
    subprocess.run([sys.executable, str(REPO / "bench" / "bet_settle.py"), "--out", str(out)], check=True)
    return json.loads(out.read_text())["settle"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loadgen", required=True, help="path of the built bench/loadgen binary")
    parser.add_argument("--out", required=True, type=Path, help="directory for results and logs")
    parser.add_argument("--seconds", type=int, default=15, help="measured seconds per load run")
    parser.add_argument("--workers", default="2", help="uvicorn worker counts to try for transfers")
    parser.add_argument("--compare-seconds", type=int, default=COMPARE_SECONDS, help="per round, each side")
    parser.add_argument("--e2e-seconds", type=float, default=E2E_SECONDS, help="per command kind and rate")
    parser.add_argument("--skip", default="", help="phases to leave out: open,pgbench,compare,reads,e2e,settle")
    args = parser.parse_args()
    skip = set(args.skip.split(","))
    args.out.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run.sh's trap: unwind, stopping everything
    results: dict = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "clients": CLIENTS,
        "seconds": args.seconds,
        "service_env": service_env(),
    }
    started = time.monotonic()

    step("starting a durable throwaway PostgreSQL, migrating it with db_migration_service")
    with Postgres.throwaway(fast=False, max_connections=300, settings=PG_SETTINGS) as pg:
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
        if "open" not in skip:
            results["open_loop"] = open_loop_phase(args, db_url, best)
        if "pgbench" not in skip:
            results["pgbench"] = pgbench_runs(args, pg)
        if "compare" not in skip:
            results["comparison"] = comparison_phase(args, pg, db_url)
        if "reads" not in skip:
            step(f"seeding {BIG_ROWS:,} + {SMALL_ROWS} ledger rows (set-based SQL)")
            results["history_seed_seconds"] = seed_history(engine)
            checkpoint(pg.url)
            results["explain"] = {"1M": explain_balance(engine, BIG), "10": explain_balance(engine, SMALL)}
            results["reads"] = reads(args, db_url, best)
        engine.dispose()
        if "e2e" not in skip:
            results["e2e"] = e2e_bench.measure(db_url, args.out, E2E_RATES, args.e2e_seconds, workers=best)
    if "settle" not in skip:
        results["settle"] = bet_settle(args)
    results["wall_seconds"] = round(time.monotonic() - started)
    (args.out / "results.json").write_text(json.dumps(results, indent=2))
    text_summary = summary.render(results)
    (args.out / "summary.md").write_text(text_summary)
    print(text_summary)


if __name__ == "__main__":
    main()
