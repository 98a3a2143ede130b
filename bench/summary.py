"""make bench's printout: markdown tables that map one to one onto docs/benchmarks.md's issue-13 section.

Again from a run's figures: .venv/bin/python bench/summary.py .tmp/bench/latest/results.json
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

from cpu import NOISY_PCT

# The anchor (2026-11-29, pgbench tpcb 2,313 tps in that session) and the issue-2 figures (2026-11-22).
ANCHOR = {"ours": (252, 508), "theirs": (224, 264), "daily": 15, "whole": -49_000, "reads": (131, 2100)}
BEFORE = {"per_second": 516, "p99_ms": 231.9, "ratio": 0.18, "cpu_api": 2.08, "cpu_pg": 1.07, "read_p50": 1.499}


def best_of(r: dict) -> dict:
    """The closed-loop run at the better worker count (results.json turns its int key into a string)."""
    return r["transfers"].get(r["best_workers"]) or r["transfers"][str(r["best_workers"])]


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else "**PASS**" if ok else "**FAIL**"


def ms_per(cpu: dict | None, group: str, rate: float) -> float | None:
    """% of one core over a window -> CPU ms per operation at that rate."""
    return None if not cpu or not rate else cpu.get(group, 0) * 10 / rate


def wrap(text: str) -> list[str]:
    """A paragraph as the doc wraps its prose (115 columns)."""
    return textwrap.wrap(text, 115, break_on_hyphens=False)


def ms(value) -> str:
    return f"{value:,.1f}"


def fmt(value, digits: int = 2) -> str:
    return "—" if value is None else f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"


def table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]


def targets(r: dict) -> list[str]:
    best, pgb = best_of(r), r.get("pgbench", {})
    rate, used = best["per_second"], best["cpu_pct_of_one_core"]
    tpcb, fn = pgb.get("tpcb", {}).get("tps"), pgb.get("transfer_fn_prepared", {}).get("tps")
    api, pg = ms_per(used, "balance_api", rate), ms_per(used, "postgres", rate)
    cpu = api + pg if api is not None else None
    errors = sum(t["unexpected"] for t in r["transfers"].values())
    rows = [
        [
            f"transfers/s, {r['clients']} clients closed loop, --workers {r['best_workers']}",
            f"{rate:,.0f} (p50 {ms(best['p50_ms'])}, p99 {ms(best['p99_ms'])} ms)",
            "",
            "",
        ],
        [
            "÷ pgbench tpcb-like",
            f"{rate:,.0f} / {fmt(tpcb, 0)} = {fmt(rate / tpcb if tpcb else None, 3)}",
            "≥ 0.35",
            verdict(rate / tpcb >= 0.35 if tpcb else None),
        ],
        [
            "÷ pgbench of the transfer function (prepared)",
            f"{rate:,.0f} / {fmt(fn, 0)} = {fmt(rate / fn if fn else None, 3)}",
            "≥ 0.8",
            verdict(rate / fn >= 0.8 if fn else None),
        ],
        [
            "CPU per transfer, balance_api + PostgreSQL",
            f"{fmt(cpu)} ms ({fmt(api)} + {fmt(pg)})",
            "≤ 1.2 ms",
            verdict(cpu <= 1.2 if cpu is not None else None),
        ],
        [
            "answers other than 201; audit",
            f"{errors}; balanced {best['audit']['balanced']}",
            "0; balanced",
            verdict(best["audit"]["balanced"] and not errors),
        ],
    ]
    if "open_loop" in r:
        fixed, high = r["open_loop"]["at_target_rate"], r["open_loop"]["highest_rate_p99_ok"]
        rows.append(
            [
                "open loop, 200 transfers/s offered: p50 / p99 (max)",
                f"{ms(fixed['p50_ms'])} / {ms(fixed['p99_ms'])} ms ({ms(fixed['max_ms'])})",
                "p99 ≤ 25 ms",
                verdict(fixed["p99_ms"] <= 25 and not fixed["unexpected"]),
            ]
        )
        rows.append(["highest offered rate with p99 ≤ 25 ms", f"{high:,.0f}/s" if high else "none", "reported", ""])
    if "reads" in r:
        seq = r["reads"]["sequential"]
        ratio = seq["1M"]["p50_ms"] / seq["10"]["p50_ms"]
        shown = f"{seq['1M']['p50_ms']:.3f} / {seq['10']['p50_ms']:.3f} ms = {ratio:.2f}"
        rows.append(["balance read, 1M-row ÷ 10-row member (p50, 1 client)", shown, "≤ 1.2", verdict(ratio <= 1.2)])
    if "settle" in r:
        seconds = r["settle"]["seconds"]
        rows.append(["settle 10,000 bets", f"{seconds} s", "≤ 2 s", verdict(seconds <= 2)])
    for kind in ("transfer", "transfer_confirm", "daily", "balance"):
        run = r.get("e2e", {}).get("phases", {}).get(f"{kind}@20")
        if run:
            ok = run["p99_ms"] <= 50 and not run["failed"]
            name = "/" + kind.replace("_confirm", " + Confirm")
            shown = f"{run['p50_ms']} / {run['p99_ms']} ms"
            rows.append([f"end to end {name} at 20/s: p50 / p99", shown, "p99 ≤ 50 ms", verdict(ok)])
    if "comparison" in r:
        ours, theirs = r["comparison"]["ours"], r["comparison"]["theirs"]
        x = ours["per_second"] / theirs["per_second"]
        shown = f"{ours['per_second']:,.0f} vs {theirs['per_second']:,.0f} = {x:.2f}×"
        rows.append(["money moves/s vs the original at deployed defaults", shown, "≥ 2×", verdict(x >= 2)])
        shown = f"{ms(ours['p99_ms'])} vs {ms(theirs['p99_ms'])} ms"
        rows.append(["p99 vs the original, same rounds", shown, "better", verdict(ours["p99_ms"] < theirs["p99_ms"])])
    return ["### Targets", "", *table(["Measure", "Result", "Target", "Verdict"], rows)]


def cpu_text(side: dict) -> str:
    cpu = side.get("cpu_ms_per_move")
    return f"{cpu['service']:.2f} + {cpu['postgres']:.2f}" if cpu else "—"


def comparison(r: dict) -> list[str]:
    c = r.get("comparison")
    if not c:
        return []
    ours, theirs, daily, whole = c["ours"], c["theirs"], c["races"]["daily_100"], c["races"]["whole_balance_50"]
    reads, mine = c["theirs_reads"], r.get("reads", {}).get("sequential", {})
    mine_read = f"{mine.get('10', {}).get('p50_ms', '—')} / {mine.get('1M', {}).get('p50_ms', '—')}"
    rounds = zip(ours["rounds"], theirs["rounds"], strict=True)
    rows = [
        [
            "money moves/s, 32 clients, 2 workers, deployed pool",
            f"{ANCHOR['ours'][0]} vs {ANCHOR['theirs'][0]}",
            f"{ours['per_second']:,.0f} vs {theirs['per_second']:,.0f}",
        ],
        [
            "p99 ms (median of the rounds)",
            f"{ANCHOR['ours'][1]} vs {ANCHOR['theirs'][1]}",
            f"{ms(ours['p99_ms'])} vs {ms(theirs['p99_ms'])}",
        ],
        ["CPU ms per move: service + PostgreSQL", "", f"{cpu_text(ours)} vs {cpu_text(theirs)}"],
        [
            "100 concurrent daily claims: paid",
            f"1 vs {ANCHOR['daily']}",
            f"{daily['ours_paid']} vs {daily['theirs_paid']}",
        ],
        [
            "50 concurrent whole-balance (1,000) transfers: moved; balance after",
            f"1; 0 vs 50; {ANCHOR['whole']:,}",
            f"{whole['ours_moved']}; {whole['ours_balance_after']:,} vs "
            f"{whole['theirs_moved']}; {whole['theirs_balance_after']:,}",
        ],
        [
            "balance read p50 ms, 10-row / 1M-row member",
            f"3.7 / 3.7 vs {ANCHOR['reads'][0]} / {ANCHOR['reads'][1]:,}",
            f"{mine_read} vs {ms(reads['10']['p50_ms'])} / {ms(reads['1M']['p50_ms'])}",
        ],
        [
            "each round, ours / theirs per s",
            "",
            " · ".join(f"{a['per_second']:.0f}/{b['per_second']:.0f}" for a, b in rounds),
        ],
    ]
    return [
        "",
        "### Against the original (ours vs theirs)",
        "",
        *table(["Measure", "Anchor 2026-11-29", "This run"], rows),
    ]


def before_after(r: dict) -> list[str]:
    best = best_of(r)
    rate, tpcb = best["per_second"], r.get("pgbench", {}).get("tpcb", {}).get("tps")
    cpu = best["cpu_pct_of_one_core"]
    read = r.get("reads", {}).get("sequential", {}).get("10", {}).get("p50_ms")
    rows = [
        ["transfers/s, 32 clients closed loop", BEFORE["per_second"], f"{rate:,.0f}"],
        ["p99 ms, same run", BEFORE["p99_ms"], ms(best["p99_ms"])],
        ["÷ pgbench tpcb-like", BEFORE["ratio"], fmt(rate / tpcb if tpcb else None, 3)],
        ["balance_api CPU ms per transfer", BEFORE["cpu_api"], fmt(ms_per(cpu, "balance_api", rate))],
        ["PostgreSQL CPU ms per transfer", BEFORE["cpu_pg"], fmt(ms_per(cpu, "postgres", rate))],
        ["balance read p50 ms, 1 client", BEFORE["read_p50"], read or "—"],
    ]
    return [
        "",
        "### Before / after (issue 2's run of 2026-11-22 → this run)",
        "",
        *table(["Measure", "Before", "After"], rows),
    ]


def cpu_split(r: dict) -> list[str]:
    windows = [
        (f"transfers w{w}, {t['per_second']:,.0f}/s", t["cpu_pct_of_one_core"], t["per_second"], "balance_api")
        for w, t in r["transfers"].items()
    ]
    if "open_loop" in r:
        fixed = r["open_loop"]["at_target_rate"]
        windows.append(
            (
                f"open loop {fixed['per_second']:,.0f}/s",
                fixed["cpu_pct_of_one_core"],
                fixed["per_second"],
                "balance_api",
            )
        )
    for label, run in r.get("pgbench", {}).items():
        windows.append((f"pgbench {label}, {run['tps']:,.0f} tps", run["cpu_pct_of_one_core"], run["tps"], "pgbench"))
    rows = []
    for label, cpu, rate, client in windows:
        rows.append(
            [
                label,
                cpu.get(client, "—") if client == "balance_api" else "",
                cpu.get("postgres", 0),
                cpu.get("loadgen", cpu.get("pgbench", "—")),
                cpu["other_total"],
                cpu["machine_busy_pct"],
                f"{fmt(ms_per(cpu, 'balance_api', rate)) if client == 'balance_api' else ''} / "
                f"{fmt(ms_per(cpu, 'postgres', rate))}",
            ]
        )
    header = [
        "Window",
        "balance_api %",
        "postgres %",
        "load generator %",
        "others %",
        "machine busy %",
        "CPU ms/op api / pg",
    ]
    return ["", "### Where the CPU goes (% of one core; 200% = both cores)", "", *table(header, rows)]


def e2e(r: dict) -> list[str]:
    phases = r.get("e2e", {}).get("phases")
    if not phases:
        return []
    services = ("client_api", "balance_api", "coin_api")
    rows = []
    for name, run in phases.items():
        split = run["where_ms_per_command"]
        waited = run.get("services_waited_ms", 0)
        cells = []
        for s in services:
            row = split.get(s)
            cells.append(
                "—"
                if not row
                else f"{row['requests']:g}× {row['wall_ms']} (app {fmt(row['app_ms'])}, db {fmt(row['db_ms'])})"
            )
        rows.append(
            [
                name.replace("@", " at ") + "/s",
                run["commands"],
                run["failed"],
                f"{run['p50_ms']} / {run['p99_ms']} ({run['max_ms']})",
                round(run["mean_ms"] - waited, 1),
                *cells,
            ]
        )
    header = [
        "Command at offered rate",
        "n",
        "failed",
        "p50 / p99 (max) ms",
        "bot + emulator ms (mean)",
        *(f"{s} ms per command" for s in services),
    ]
    notes = wrap(
        "Service cells: N× W (app A, db D): N requests per command to that service, W ms the bot waited for them in "
        "all, A and D the ms the service itself reported in Server-Timing (in-process, and in database calls). "
        '"bot + emulator" = mean latency − the time during which a request the command made was in '
        "flight (exact at 1/s; at 20/s another command's requests may overlap and are then counted as waiting). "
        f"Emulator violations (late or refused answers, a blocked event loop): {len(r['e2e'].get('violations', []))}.",
    )
    return ["", "### End to end (bot → services → PostgreSQL, open loop)", "", *table(header, rows), "", *notes]


def noise(r: dict) -> list[str]:
    windows = {f"transfers w{w}": t["cpu_pct_of_one_core"] for w, t in r["transfers"].items()}
    windows |= {f"pgbench {k}": v["cpu_pct_of_one_core"] for k, v in r.get("pgbench", {}).items()}
    if "open_loop" in r:
        windows["open loop 200/s"] = r["open_loop"]["at_target_rate"]["cpu_pct_of_one_core"]
    windows |= {f"e2e {k}": v["cpu_pct_of_one_core"] for k, v in r.get("e2e", {}).get("phases", {}).items()}
    noisy = [
        f"{name} ({cpu['other_total']:.0f}%)" for name, cpu in windows.items() if cpu and cpu["other_total"] > NOISY_PCT
    ]
    return [
        "",
        *wrap(f"Quiet check: other processes used > {NOISY_PCT}% of a core during: {', '.join(noisy) or 'none'}."),
    ]


def render(r: dict) -> str:
    m = r["machine"]
    head = [
        "",
        f"## make bench, {r['date']} ({r.get('wall_seconds', '?')} s)",
        "",
        *wrap(
            f"{m['nproc']} cores ({m['cpu_model']}), PostgreSQL {m['postgresql']['server_version']}, Python "
            f"{m['python']}, uvicorn {m['packages']['uvicorn']}; services {r.get('service_env')}; "
            f"{r['seconds']} s runs."
        ),
        "",
    ]
    return "\n".join([*head, *targets(r), *comparison(r), *before_after(r), *cpu_split(r), *e2e(r), *noise(r)])


if __name__ == "__main__":
    print(render(json.loads(Path(sys.argv[1]).read_text())))
