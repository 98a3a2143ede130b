"""Login, sharding and gateway rules, each against its own emulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import discord
import pytest
import pytest_asyncio
from discord.ext import commands

from discord_emulator import Emulator

from .conftest import start_bot, stop_bot

pytestmark = pytest.mark.asyncio


class QuickShardedBot(commands.AutoShardedBot):
    """discord.py waits 5 s before each further shard's IDENTIFY (Discord's rate limit); not needed locally."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[Emulator]:
    """A fresh emulator pointed at by discord.py for one test."""
    emulator = Emulator(shard_count=2, compress_gateway=False, privileged_intents=())
    await emulator.start()
    restore = emulator.configure_discord_py()
    try:
        yield emulator
    finally:
        await emulator.stop()
        restore()


async def test_auto_sharded_bot_gets_interactions_on_the_owning_shard(emulator: Emulator) -> None:
    base = emulator.state.ids.next() >> 22
    first = emulator.add_guild("shard zero", guild_id=(base - base % 2) << 22)
    second = emulator.add_guild("shard one", guild_id=(base - base % 2 + 1) << 22)
    bot = QuickShardedBot(
        command_prefix=commands.when_mentioned, intents=discord.Intents.default(), guild_ready_timeout=0.05
    )

    @bot.tree.command(description="Which shard am I on?")
    async def where(interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        await interaction.response.send_message(f"shard {interaction.guild.shard_id}")

    task = await start_bot(emulator, bot)
    try:
        await bot.tree.sync()
        assert sorted(s.shard for s in emulator.gateway.sessions.values()) == [(0, 2), (1, 2)]
        assert not any(s.compressed for s in emulator.gateway.sessions.values())
        for guild, expected in ((first, "shard 0"), (second, "shard 1")):
            member = emulator.add_member(guild, name=f"user-{expected[-1]}")
            record = await emulator.invoke("where", user=member)
            await record.wait_for_response()
            assert record.original is not None and record.original.content == expected
    finally:
        await stop_bot(bot, task)


async def test_wrong_token_is_a_login_failure(emulator: Emulator) -> None:
    client = discord.Client(intents=discord.Intents.default())
    with pytest.raises(discord.LoginFailure):
        await client.login("not-the-token")
    await client.close()


async def test_privileged_intents_not_enabled_close_with_4014(emulator: Emulator) -> None:
    bot = commands.Bot(command_prefix=commands.when_mentioned, intents=discord.Intents.all())
    await bot.login(emulator.token)
    with pytest.raises(discord.PrivilegedIntentsRequired):
        await asyncio.wait_for(bot.connect(), timeout=5)
    await bot.close()


async def test_unknown_route_answers_discord_404_and_is_recorded(emulator: Emulator) -> None:
    async with aiohttp.ClientSession() as session, session.get(f"{emulator.base_url}/no/such/route") as reply:
        assert reply.status == 404 and reply.headers["Content-Type"] == "application/json"
        assert await reply.json() == {"message": "404: Not Found", "code": 0}
    assert [(v.kind, v.detail) for v in emulator.violations] == [("unsupported_route", "GET /api/v10/no/such/route")]


async def test_default_acknowledgement_window_is_three_seconds() -> None:
    assert Emulator().ack_timeout == 3.0
