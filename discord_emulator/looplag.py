"""A watch on an event loop: every stall longer than a limit is recorded with the stack that blocked it.

A blocked loop answers nothing: no heartbeat, no interaction, no console line. A sampler task ticks every
``period``; a daemon thread notices when the ticks stop and grabs the loop thread's stack while it is still stuck,
so the report names the culprit, not just the delay.
"""

from __future__ import annotations

import asyncio
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

STALL_LIMIT_S = 1.0
ROOT = Path(__file__).resolve().parents[1]
# Who blocked: the innermost frame of the project's own code. Tests and the dev stack that runs them (buteco_dev)
# share the loop with the bot in E2E runs; a sync call of theirs is the harness's stall, not the bot's or ours.
HARNESS = re.compile(r"(^|/)(tests|buteco_dev)/|(^|/)(conftest|test_[^/]*)\.py$")
STALLS: list[Stall] = []  # every stall any monitor of this process saw, for a test-wide guard


@dataclass
class Stall:
    """One stretch during which the loop ran no callback for longer than the limit."""

    name: str
    seconds: float
    stack: str
    culprit: str = ""  # path:line of the innermost project frame, relative to the repository

    @property
    def by_harness(self) -> bool:
        """True when test code or the dev stack (not the bot, a service or the emulator) held the loop."""
        return bool(HARNESS.search(self.culprit.rsplit(":", 1)[0]))

    def __str__(self) -> str:
        return f"{self.name} event loop blocked for {self.seconds:.1f} s by {self.culprit or '?'} at:\n{self.stack}"


class LoopWatch:
    """Samples one running loop; ``stalls`` lists what blocked it, ``on_stall`` hears of each one."""

    def __init__(
        self,
        name: str,
        limit: float = STALL_LIMIT_S,
        period: float = 0.05,
        on_stall: Callable[[Stall], None] | None = None,
    ) -> None:
        self.name, self.limit, self.period, self.on_stall = name, limit, period, on_stall
        self.stalls: list[Stall] = []
        self.worst = 0.0
        self.hiccups = 0  # pauses and stalls so far: a late heartbeat after one is explained by this loop
        self._tick = time.monotonic()
        self._stack, self._culprit = "", ""
        self._paused = False
        self._task: asyncio.Task[None] | None = None
        self._stop = threading.Event()

    def start(self) -> None:
        """Begin sampling the running loop (call from inside it)."""
        self._tick = time.monotonic()
        self._stop = threading.Event()
        loop = asyncio.get_running_loop()
        self._task = loop.create_task(self._sample())
        args = (loop, threading.get_ident())
        threading.Thread(target=self._watch, args=args, name=f"loop-watch-{self.name}", daemon=True).start()

    def stop(self) -> None:
        """Stop sampling; what was recorded stays."""
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _sample(self) -> None:
        while True:
            await asyncio.sleep(self.period)
            now = time.monotonic()
            lag = now - self._tick - self.period
            self._tick = now
            if self._paused:  # the loop was not running at all (e.g. between tests): nothing was blocked
                self._paused, self._stack = False, ""
                self.hiccups += 1
                continue
            self.worst = max(self.worst, lag)
            if lag > self.limit:
                stall = Stall(self.name, lag, self._stack or "(stack not captured)", self._culprit)
                self._stack, self._culprit = "", ""
                self.hiccups += 1
                self.stalls.append(stall)
                STALLS.append(stall)
                if self.on_stall is not None:
                    self.on_stall(stall)

    def _watch(self, loop: asyncio.AbstractEventLoop, loop_thread: int) -> None:
        """While the loop is stuck past the limit, keep the stack of where it is stuck."""
        while not self._stop.wait(self.period) and not loop.is_closed():
            if not loop.is_running():
                self._paused = True
            elif time.monotonic() - self._tick > self.limit + self.period and not self._stack:
                frame = sys._current_frames().get(loop_thread)
                frames = traceback.extract_stack(frame) if frame is not None else []
                self._culprit = culprit(frames)
                self._stack = "".join(traceback.format_list(frames[-6:]))


def culprit(frames: traceback.StackSummary | list[traceback.FrameSummary]) -> str:
    """The innermost frame in the project's own code (not the standard library, not .venv), as path:line."""
    for frame in reversed(frames):
        path = Path(frame.filename)
        if path.is_relative_to(ROOT) and ".venv" not in path.parts:
            return f"{path.relative_to(ROOT)}:{frame.lineno}"
    return ""
