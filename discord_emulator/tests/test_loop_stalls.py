"""Issue 14's 41 s "Can't keep up": the heartbeat race behind it, and the watch that makes a real stall visible."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest

from discord_emulator import Emulator
from discord_emulator.looplag import STALLS, LoopWatch, Stall

pytestmark = pytest.mark.asyncio


def hold_the_loop(seconds: float) -> None:
    """What a sync call on the event loop does: nothing else runs meanwhile."""
    time.sleep(seconds)


async def test_a_blocked_loop_is_recorded_with_the_code_that_blocked_it() -> None:
    heard = []
    watch = LoopWatch("test", limit=0.3, on_stall=heard.append)
    watch.start()
    try:
        await asyncio.sleep(0.1)
        hold_the_loop(0.6)
        await asyncio.sleep(0.2)
    finally:
        watch.stop()
    [stall] = watch.stalls
    assert heard == [stall] and stall in STALLS and stall.seconds >= 0.45
    assert "hold_the_loop" in stall.stack and "time.sleep" in stall.stack
    assert stall.culprit.startswith("discord_emulator/tests/test_loop_stalls.py:") and stall.by_harness


async def test_the_emulator_reports_a_stall_of_the_bot_or_itself_but_not_of_a_test() -> None:
    async with Emulator() as emulator:
        await asyncio.sleep(0.1)
        hold_the_loop(1.2)  # a test's own sync call: the harness blocked the shared loop
        await asyncio.sleep(0.2)
        assert emulator.loop_watch.stalls and emulator.violations == []
        for culprit in ("buteco_bot/extensions/balance.py:40", "discord_emulator/gateway.py:120", "buteco_dev/x.py:1"):
            emulator.loop_watch.on_stall(Stall("emulator", 1.5, "...", culprit))
    assert [v.kind for v in emulator.violations] == ["loop_stalled", "loop_stalled"]
    assert "by buteco_bot/extensions/balance.py:40" in emulator.violations[0].detail


async def test_heartbeats_are_acknowledged_after_a_network_like_delay_and_late_ones_are_flagged() -> None:
    async with Emulator(heartbeat_interval_ms=100) as emulator, aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{emulator.gateway_url}?v=10&encoding=json")
        assert (await ws.receive_json())["op"] == 10
        for pause in (0.0, 1.3):
            await asyncio.sleep(pause)
            sent = time.perf_counter()
            await ws.send_str(json.dumps({"op": 1, "d": None}))
            assert (await ws.receive_json())["op"] == 11
            assert time.perf_counter() - sent >= emulator.settings.heartbeat_ack_delay_s * 0.9
        await ws.close()
    assert [v.kind for v in emulator.violations] == ["heartbeat_late"]
