"""Plugins going wrong and coming and going: broken manifests, hanging or stopped services, hot reload."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web

from buteco_bot.core.help import leaf_commands
from discord_emulator import CommandUnavailable

from .conftest import Services, World, start_world, stop_world, text_of

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

BROKEN = (
    'name = "Broken"\nversion = "1.0"\n[service]\nurl_env = "BROKEN_URL"\ndefault_url = "http://x:1"\n'
    '[health]\ntimeout = "soon"\n'
)
NEEDS_CONFIG = (
    'name = "Weather"\nversion = "0.1.0"\nrequired_env = ["WEATHER_API_KEY"]\n'
    '[service]\nurl_env = "WEATHER_URL"\ndefault_url = "http://weather:5000"\n'
)
BAD_IMPORT = (
    'name = "Ghost"\nversion = "0.1.0"\ncommand_module = "buteco_bot.extensions.no_such_module"\n'
    '[service]\nurl_env = "GHOST_URL"\ndefault_url = "http://ghost:5000"\n'
)


def hang_manifest(url: str) -> str:
    return (
        f'name = "Sloth"\nversion = "0.1.0"\n[service]\nurl_env = "SLOTH_URL"\ndefault_url = "{url}"\n'
        '[health]\npath = "/hang"\ntimeout = 1.0\ncritical = false\n'
    )


def joke_manifest(url: str) -> str:
    return f'''name = {{ en-US = "Jokes", pt-BR = "Piadas" }}
version = "0.3.0"
[service]
url_env = "JOKE_API_URL"
default_url = "{url}"
[[help]]
command = "joke"
category = {{ en-US = "Fun", pt-BR = "Diversão" }}
description = {{ en-US = "A random joke.", pt-BR = "Uma piada aleatória." }}
[[help]]
command = "riddle"
category = "Fun"
description = "Declared, but no such command exists."
[[commands]]
name = "joke"
description = {{ en-US = "Tell a joke", pt-BR = "Conta uma piada" }}
path = "/jokes/{{topic}}"
response = "{{setup}} — {{punchline}} ({{user}}, {{options.topic}}) {{__class__}} {{setup:>99}}"
[[commands.options]]
name = "topic"
type = "string"
description = {{ en-US = "What about", pt-BR = "Sobre o quê" }}
choices = [{{ name = {{ en-US = "Bars", pt-BR = "Botecos" }}, value = "bars" }}, {{ name = "Code", value = "code" }}]
[[commands.options]]
name = "loud"
type = "boolean"
description = "Shout it"
required = false
'''


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def tiny_service() -> AsyncIterator[str]:
    """One small aiohttp app: a joke API with /health, and /hang that never answers."""

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "service": "joke_api", "version": "0.3.0"})

    async def hang(request: web.Request) -> web.Response:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async def joke(request: web.Request) -> web.Response:
        loud = request.query.get("loud") == "True"
        return web.json_response({"setup": "Why" + ("!" if loud else ""), "punchline": request.match_info["topic"]})

    app = web.Application()
    app.router.add_get("/health", health)
    app.router.add_get("/hang", hang)
    app.router.add_get("/jokes/{topic}", joke)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def world(services: Services, plugins_dir: Path, tiny_service: str) -> AsyncIterator[World]:
    (plugins_dir / "broken.toml").write_text(BROKEN)
    (plugins_dir / "weather.toml").write_text(NEEDS_CONFIG)
    (plugins_dir / "ghost.toml").write_text(BAD_IMPORT)
    (plugins_dir / "sloth.toml").write_text(hang_manifest(tiny_service))
    running = await start_world(plugins_dir, services.env())
    try:
        yield running
    finally:
        await stop_world(running)


async def test_bad_plugins_are_reported_and_the_bot_runs(world: World) -> None:
    states = {p.id: p.state for p in world.bot.registry.plugins.values()}
    assert states == {
        "balance": "loaded",
        "client": "loaded",
        "coin": "loaded",
        "broken": "failed",
        "weather": "needs-config",
        "ghost": "failed",
        "sloth": "loaded",
    }
    report = text_of(await world.reply("plugins status", user=world.admin))
    assert "broken.toml" in report and "health.timeout" in report
    assert "WEATHER_API_KEY" in report and "needs-config" in report
    assert "no_such_module" in report
    balance = await world.reply("balance", user=world.bob)
    assert "**0**" in balance.content


async def test_health_with_a_hanging_optional_service_answers_in_time(world: World) -> None:
    started = time.perf_counter()
    message = await world.reply("health", user=world.bob)
    assert time.perf_counter() - started < 3
    body = text_of(message)
    assert "Health: DEGRADED" in body and "timed out after 1 s" in body
    assert "Bank (critical)" in body and "Sloth (optional)" in body
    assert "broken" in body and "ghost" in body


async def test_stopped_optional_service(world: World, services: Services) -> None:
    services.coin.kill()
    try:
        body = text_of(await world.reply("health", user=world.bob))
        assert "Health: DEGRADED" in body and "🔴 Daily coins (optional)" in body
        assert "not answering (connection refused)" in body, "a reason in words, never an exception class"
        started = time.perf_counter()
        failed = await world.reply("daily", user=world.bob)
        assert time.perf_counter() - started < 3
        assert "Daily coins service is not answering" in text_of(failed) and failed.ephemeral
    finally:
        services.coin.start()


async def test_new_manifest_appears_after_reload(world: World, tiny_service: str) -> None:
    with pytest.raises(CommandUnavailable):
        await world.emulator.invoke("joke", {"topic": "bars"}, user=world.bob)
    syncs = world.bot.sync_count
    (world.plugins_dir / "joke.toml").write_text(joke_manifest(tiny_service))
    (world.plugins_dir / "sloth.toml").unlink()
    reloaded = text_of(await world.reply("plugins reload", user=world.admin))
    assert "commands synced" in reloaded and "/riddle dropped" in reloaded
    assert world.bot.sync_count == syncs + 1
    registered = {c.name: c for c in world.emulator.guild_commands(world.guild)}
    assert "joke" in registered
    assert registered["joke"].payload["description_localizations"]["pt-BR"] == "Conta uma piada"

    help_text = text_of(await world.reply("help", user=world.bob))
    assert "Jokes · Fun" in help_text and "`/joke <topic> [loud]` — A random joke." in help_text
    assert "riddle" not in help_text
    assert {c.qualified_name for c in leaf_commands(world.bot.tree)} >= {"joke"}
    health = text_of(await world.reply("health", user=world.bob))
    assert "Jokes (critical)" in health and "v0.3.0" in health and "Sloth" not in health

    joke = await world.reply("joke", {"topic": "bars", "loud": True}, user=world.bob)
    assert joke.content == "Why! — bars (bob, bars)  {setup:>99}"  # unknown key: empty; spec: literal

    unchanged = text_of(await world.reply("plugins reload", user=world.admin))
    assert "commands unchanged" in unchanged and world.bot.sync_count == syncs + 1


HOT_MODULE = """from discord import app_commands
from discord.ext import commands


class Hot(commands.Cog):
    @app_commands.command(name="hot", description="Version {version}")
    async def hot(self, interaction):
        await interaction.response.send_message("hot v{version}", ephemeral=True)


async def setup(bot):
    await bot.add_cog(Hot())
"""


async def test_a_failed_reload_rolls_back_to_the_running_version(world: World) -> None:
    """A command module from the plugins directory itself, the one place besides the bot's own extensions."""
    module = world.plugins_dir / "buteco_hot_plugin.py"
    module.write_text(HOT_MODULE.format(version=1))
    (world.plugins_dir / "hot.toml").write_text(
        'name = "Hot"\nversion = "1.0.0"\ncommand_module = "buteco_hot_plugin"\n'
        '[service]\nurl_env = "HOT_URL"\ndefault_url = "http://hot:1"\n'
    )
    try:
        await world.reply("plugins reload", user=world.admin)
        assert (await world.reply("hot", user=world.bob)).content == "hot v1"
        module.write_text(HOT_MODULE.format(version=2) + "\nthis is not python\n")
        report = text_of(await world.reply("plugins reload", user=world.admin))
        assert "`hot` 1.0.0 — **failed**" in report and "previous version keeps running" in report
        assert (await world.reply("hot", user=world.bob)).content == "hot v1"
    finally:
        (world.plugins_dir / "hot.toml").unlink()
        module.unlink()
        await world.reply("plugins reload", user=world.admin)
    with pytest.raises(CommandUnavailable):
        await world.emulator.invoke("hot", user=world.bob)


async def test_every_first_response_within_three_seconds(world: World) -> None:
    assert world.records and all(r.latency < 3 for r in world.records)
    assert not [v for v in world.emulator.violations if v.kind == "not_acknowledged"]
