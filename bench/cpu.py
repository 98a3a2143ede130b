"""Where the 2 cores go during a measurement, from /proc: CPU per process group, and a wait for a quiet machine."""

from __future__ import annotations

import glob
import os
import time
from pathlib import Path
from typing import ClassVar

CLK_TCK = os.sysconf("SC_CLK_TCK")
NOISY_PCT = 15  # % of one core used by processes outside the benchmark that makes a measurement suspect
QUIET_WAIT_S = float(os.environ.get("BENCH_QUIET_WAIT", "300"))  # 0 while developing on a busy machine


def step(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


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
        # CPU of processes that ended within the window is in /proc/stat but in no /proc/<pid>: short-lived
        # processes (another session's tests) are noise too.
        vanished = max(0.0, busy * 100 * (os.cpu_count() or 1) - sum(v for v in used.values() if v > 0))
        other = sum(v for g, v in used.items() if g.startswith("other:") and v > 0) + vanished
        if other > NOISY_PCT:
            step(
                f"WARNING: {other:.0f}% of a core went to processes outside the benchmark: "
                f"{ {g: round(v) for g, v in used.items() if g.startswith('other:') and v >= 5} }"
            )
        return {
            **{g: round(v, 1) for g, v in sorted(used.items()) if v >= 0.5},
            "other_total": round(other, 1),
            "vanished": round(vanished, 1),
            "machine_busy_pct": round(busy * 100, 1),
        }


def wait_for_quiet(max_wait: float | None = None) -> None:
    """On a shared machine, wait (up to max_wait s) until nothing else keeps a core busy, then measure."""
    deadline = time.monotonic() + (QUIET_WAIT_S if max_wait is None else min(max_wait, QUIET_WAIT_S))
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
