"""The chaos scenario: steady traffic, then each fault under traffic, each followed by a watch of the work the
services still owe while no member acts, then the replays. Every phase is bounded in time and in operations."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from tests.chaos.economy import Economy
from tests.chaos.record import Recorder
from tests.chaos.stack import ChaosStack

CONCURRENCY = 24
MAX_OPS = 4_000  # per phase, on top of the time bound
GUILDS, MEMBERS, EVENTS = 3, 24, 3
STEADY_S = 6.0
HEAL_BOUND_S = 15.0  # pending work still there this long after a fault ended is stuck
REPLAYS = 400
STRANDED_PER_GUILD = 2
PG_PHASE = "postgres restart"
SERVICES = {"users": "client_api", "ledger": "balance_api", "coin": "coin_api", "bets": "bet_api"}


@dataclass(frozen=True)
class Recovery:
    """The work owed when the traffic after a fault stopped, and how long after the fault ended nothing was owed
    (None: still owed at the bound). When nothing was owed at the first look, seconds is that look's time."""

    phase: str
    seconds: float | None
    first_look_s: float
    owed_at_end: dict[str, int]
    owed_at_start: dict[str, int]


@dataclass
class Run:
    """What one chaos run did: every answer, the keyed requests, the recoveries and the timings."""

    recorder: Recorder
    economy: Economy
    recoveries: list[Recovery] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    stranded: list[int] = field(default_factory=list)
    owed: dict[str, dict[str, int]] = field(default_factory=dict)  # work owed at moments of the faults

    def recovery(self, phase: str) -> Recovery:
        return next(r for r in self.recoveries if r.phase == phase)

    def figures(self) -> dict:
        return {
            **self.recorder.figures(),
            "recoveries": [r.__dict__ for r in self.recoveries],
            "owed": self.owed,
            "postgres": self.postgres_figures(),
            "no_answer_while_every_service_ran": [  # connections a live service dropped: none expected
                f"{s.phase} {s.op} {s.error} at {s.at:.2f} s"
                for s in self.recorder.sent
                if s.status is None and s.phase in ("steady", PG_PHASE, "replay")
            ],
            "timings_s": {name: round(seconds, 2) for name, seconds in self.timings.items()},
            "forgotten_members": len(self.economy.forgotten),
            "stranded_then_forgotten": len(self.stranded),
            "keys": len(self.economy.intents),
        }

    def postgres_figures(self) -> dict:
        """When callers were refused around the PostgreSQL restart, and how soon each operation worked again."""
        stopping = self.recorder.marks.get("postgres stopping")
        if stopping is None:
            return {}
        refused = [s.at - stopping for s in self.recorder.of(phase=PG_PHASE) if (s.status or 0) >= 500]
        return {
            "5xx_answers": len(refused),
            "5xx_from_to_s": [round(min(refused), 2), round(max(refused), 2)] if refused else None,
            "first_success_after_back_s": self.recorder.first_ok_after("postgres back", PG_PHASE),
        }


async def watch(stack: ChaosStack, run: Run, phase: str, since: float) -> Recovery:
    """Poll the owed work, without acting, until there is none or HEAL_BOUND_S after `since` (recorder clock)."""
    first = owed = await asyncio.to_thread(stack.pending)
    first_look = round(run.recorder.now() - since, 2)
    while sum(owed.values()) and run.recorder.now() - since < HEAL_BOUND_S:
        await asyncio.sleep(0.25)
        owed = await asyncio.to_thread(stack.pending)
    healed = None if sum(owed.values()) else round(run.recorder.now() - since, 2)
    recovery = Recovery(phase, healed, first_look, owed, first)
    run.recoveries.append(recovery)
    return recovery


async def under_load(run: Run, phase: str, fault: Callable[[], Awaitable[None]], *, after_s: float = 0.0) -> None:
    """Traffic starts, the fault happens 1.5 s in, the traffic goes on after_s more and stops."""
    run.recorder.phase, stop = phase, asyncio.Event()
    load = asyncio.create_task(run.economy.load(120, MAX_OPS, CONCURRENCY, stop))
    await asyncio.sleep(1.5)
    await fault()
    await asyncio.sleep(after_s)
    stop.set()
    await load


async def play(stack: ChaosStack) -> Run:
    """Setup, steady traffic, the three faults each under traffic and watched, a last watch, then the replays."""
    recorder = Recorder()
    urls = {name: stack.url(service) for name, service in SERVICES.items()}
    run = Run(recorder, Economy(urls, recorder))
    economy, mark = run.economy, recorder.mark
    try:
        await economy.setup(GUILDS, MEMBERS, EVENTS)
        recorder.phase = "steady"
        await economy.load(STEADY_S, MAX_OPS, CONCURRENCY)

        async def kill_balance_api() -> None:
            mark("balance_api killed")
            await asyncio.to_thread(stack.kill, "balance_api")
            run.stranded = await economy.strand(STRANDED_PER_GUILD)
            await asyncio.sleep(1.0)
            run.owed["balance_api down"] = await asyncio.to_thread(stack.pending)
            run.timings["balance_api restart"] = await asyncio.to_thread(stack.revive, "balance_api")
            mark("balance_api back")

        await under_load(run, "balance_api kill -9", kill_balance_api)
        await watch(stack, run, "balance_api kill -9", recorder.marks["balance_api back"])

        async def restart_postgres() -> None:
            mark("postgres stopping")
            run.timings["postgres restart (1 s down)"] = await asyncio.to_thread(stack.restart_postgres, 1.0)
            mark("postgres back")
            run.owed["postgres back"] = await asyncio.to_thread(stack.pending)

        await under_load(run, PG_PHASE, restart_postgres, after_s=2.0)
        await watch(stack, run, PG_PHASE, recorder.marks["postgres back"])

        async def kill_coin_and_bet() -> None:
            stack.proxy_mode("answer", status=503)  # balance_api applies, the caller hears a 503: pending
            await asyncio.sleep(0.5)
            stack.proxy_mode("drop_response")  # balance_api applies, the caller never hears: pending
            await asyncio.sleep(0.7)
            stack.proxy_mode("delay", 0.8)  # balance_api applies, the answer is on its way when the caller dies
            await asyncio.sleep(0.5)
            mark("coin_api and bet_api killed")
            await asyncio.to_thread(stack.kill, "coin_api", "bet_api")
            stack.proxy_mode("pass")
            run.owed["coin_api + bet_api down"] = await asyncio.to_thread(stack.pending)
            run.timings["coin_api + bet_api restart"] = await asyncio.to_thread(stack.revive, "coin_api", "bet_api")
            mark("coin_api and bet_api back")

        await under_load(run, "coin_api + bet_api kill -9", kill_coin_and_bet)
        await watch(stack, run, "coin_api + bet_api kill -9", recorder.marks["coin_api and bet_api back"])
        await watch(stack, run, "final", mark("final watch"))
        recorder.phase = "replay"
        await economy.replay(REPLAYS, CONCURRENCY)
        run.timings["scenario"] = recorder.now()
        return run
    finally:
        await economy.aclose()


def play_bounded(stack: ChaosStack, bound_s: float) -> Run:
    """The whole scenario, cancelled past bound_s so a hang fails the suite instead of stalling it."""
    started = time.monotonic()
    run = asyncio.run(asyncio.wait_for(play(stack), bound_s))
    run.timings["wall"] = time.monotonic() - started
    return run
