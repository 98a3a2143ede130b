"""Discord's rules enforced on the bot: one acknowledgement, the 3 s window, body limits, RESUME."""

from __future__ import annotations

import aiohttp
import discord
import pytest

from .conftest import World, eventually, kinds

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_second_callback_is_rejected_as_already_acknowledged(world: World) -> None:
    emulator = world.emulator
    start = len(emulator.violations)
    record = await emulator.invoke("hello", user=world.bob)
    await record.wait_for_response()
    url = f"{emulator.base_url}/interactions/{record.id}/{record.token}/callback"
    async with aiohttp.ClientSession() as session, session.post(url, json={"type": 4, "data": {}}) as reply:
        assert reply.status == 400 and reply.headers["Content-Type"] == "application/json"
        assert await reply.json() == {"message": "Interaction has already been acknowledged.", "code": 40060}
    assert [c.status for c in record.callbacks] == [200, 400]
    assert kinds(world, start) == ["double_acknowledge"]


async def test_callback_after_the_window_is_unknown_interaction(world: World) -> None:
    emulator = world.emulator
    start, errors = len(emulator.violations), len(world.bot.errors)
    emulator.ack_timeout = 0.2
    try:
        record = await emulator.invoke("late", user=world.alice)
        rejected = await record.wait_until(lambda r: r.rejected, 3)
    finally:
        emulator.ack_timeout = 3.0
    assert record.response is None and record.expired
    assert rejected[0].status == 404 and rejected[0].error == {"message": "Unknown interaction", "code": 10062}
    assert sorted(kinds(world, start)) == ["late_acknowledge", "not_acknowledged"]
    await eventually(lambda: len(world.bot.errors) > errors)
    error = world.bot.errors[errors]
    assert isinstance(error, discord.NotFound) and error.code == 10062


async def test_embed_limits_are_enforced(world: World) -> None:
    start = len(world.emulator.violations)
    record = await world.emulator.invoke("overflow", user=world.alice)
    await record.wait_for_response()
    [rejected] = record.rejected
    assert rejected.status == 400 and rejected.error is not None and rejected.error["code"] == 50035
    assert "fields" in rejected.error["errors"]["data"]["embeds"]["0"]
    assert record.original is not None and record.original.content == "rejected 50035"
    assert kinds(world, start) == ["invalid_message"]


async def test_gateway_resume_keeps_interactions_flowing(world: World) -> None:
    sessions = set(world.emulator.gateway.sessions)
    assert all(s.compressed for s in world.emulator.gateway.sessions.values())
    world.emulator.reconnect_clients()
    await world.bot.wait_for("resumed", timeout=5)
    assert set(world.emulator.gateway.sessions) == sessions
    record = await world.emulator.invoke("secret", user=world.alice)
    assert (await record.wait_for_response()).ephemeral


async def test_original_can_be_deleted_and_tokens_expire(world: World) -> None:
    emulator = world.emulator
    record = await emulator.invoke("hello", user=world.bob)
    await record.wait_for_response()
    webhook = f"{emulator.base_url}/webhooks/{emulator.application_id}/{record.token}"
    async with aiohttp.ClientSession() as session:
        async with session.delete(f"{webhook}/messages/@original") as reply:
            assert reply.status == 204
        assert record.original is not None and record.original.deleted
        async with session.get(f"{webhook}/messages/@original") as reply:
            assert (reply.status, (await reply.json())["code"]) == (404, 10008)
        emulator.settings.token_lifetime = 0.0
        try:
            async with session.post(webhook, json={"content": "late followup"}) as reply:
                assert (reply.status, await reply.json()) == (401, {"message": "Invalid Webhook Token", "code": 50027})
        finally:
            emulator.settings.token_lifetime = 900.0
