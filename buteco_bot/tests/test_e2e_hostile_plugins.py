"""Hostile manifests against the real bot and the emulator: each fails alone and named (file and field), the other
plugins keep working, `/plugins reload` survives a bad file, and every service receives only its own credential."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web

from buteco_dev.credentials import TEST_TOKENS
from discord_emulator import CommandUnavailable, Message

from .conftest import Services, World, start_world, stop_world, text_of

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

ECHO_TOKEN = "echo-plugin-own-credential"
DISCORD_SECRET = "discord-token-in-the-bots-env"
SECRETS = (ECHO_TOKEN, DISCORD_SECRET, TEST_TOKENS["bot"])
BOMB = "junk = " + "[" * 600 + "]" * 600 + "\n"


def plugin(name: str, *, service: str = "", url: str = "http://unused:1", rest: str = "") -> str:
    """A manifest; `service` lines replace the default url_env."""
    return (
        f'name = "{name.title()}"\nversion = "1.0.0"\n{rest}[service]\n'
        f'{service or f"url_env = {chr(34)}{name.upper()}_URL{chr(34)}"}\ndefault_url = "{url}"\n'
    )


def choice_command(choice: str, kind: str = "string") -> str:
    return (
        '[[commands]]\nname = "pick"\ndescription = "d"\npath = "/x"\nresponse = "r"\n[[commands.options]]\n'
        f'name = "o"\ntype = "{kind}"\ndescription = "d"\nchoices = [{{ name = "n", value = {choice} }}]\n'
    )


ECHO = (
    plugin("echo", service='url_env = "ECHO_API_URL"\ntoken_env = "ECHO_API_TOKEN"')
    + '[[commands]]\nname = "echo"\ndescription = "Echo"\npath = "/echo/{who}"\nresponse = "{who}"\n'
    '[[commands.options]]\nname = "who"\ntype = "string"\ndescription = "Who"\n'
)
OPEN = (
    plugin("open", service='url_env = "OPEN_API_URL"')
    + '[[commands]]\nname = "peek"\ndescription = "Peek"\npath = "/echo/open"\nresponse = "{who}"\n'
)
# plugin id → (manifest, what its failure must name)
HOSTILE = {
    "tokenurl": (plugin("tokenurl", service='url_env = "BOT_API_TOKEN"'), "service.url_env: BOT_API_TOKEN"),
    "discordurl": (plugin("discordurl", service='url_env = "DISCORD_TOKEN"'), "service.url_env: DISCORD_TOKEN"),
    "borrowed": (
        plugin("borrowed", service='url_env = "BORROWED_URL"\ntoken_env = "BOT_API_TOKEN"'),
        "service.token_env: BOT_API_TOKEN is the bot's own credential",
    ),
    "zen": (plugin("zen", rest='command_module = "this"\n'), "command_module: this is neither"),
    "osmod": (plugin("osmod", rest='command_module = "os"\n'), "command_module: os is neither"),
    "longchoice": (
        plugin("longchoice") + choice_command('"' + "v" * 101 + '"'),
        "commands.0.options.0.choices.0.value: a string choice value must have 1 to 100",
    ),
    "bigint": (
        plugin("bigint") + choice_command(str(2**53 + 1), "integer"),
        "commands.0.options.0.choices.0.value: an integer choice value must be within ±2^53",
    ),
    "userinfo": (plugin("userinfo", url="http://user:pw@echo:5000"), "service.default_url: it must not"),
    "metadata": (plugin("metadata", url="http://169.254.169.254/latest"), "service.default_url: it points"),
    "bomb": (BOMB, "(file): arrays or tables nested more than 32 deep"),
}
SPECIAL = {
    "x": "(file): not a regular file (a FIFO)",
    "zero": "(file): not a regular file (a device)",
    "huge": "(file): 62914560 bytes, over the 256 KiB limit",
}


@dataclass
class Echo:
    """A plugin service that records the Authorization header of every request it gets."""

    url: str = ""
    seen: list[tuple[str, str | None]] = field(default_factory=list)


class LogRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def echo() -> AsyncIterator[Echo]:
    found = Echo()

    async def record(request: web.Request) -> web.Response:
        found.seen.append((request.path, request.headers.get("Authorization")))
        return web.json_response({"status": "ok", "version": "1.0.0", "who": request.match_info.get("who", "-")})

    app = web.Application()
    app.router.add_get("/health", record)
    app.router.add_get("/echo/{who}", record)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    found.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield found
    finally:
        await runner.cleanup()


@pytest.fixture(scope="module")
def logs() -> Iterator[LogRecords]:
    """Every line the bot logs while this module runs."""
    handler = LogRecords()
    logger = logging.getLogger("buteco_bot")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def world(services: Services, plugins_dir: Path, echo: Echo, logs: LogRecords) -> AsyncIterator[World]:
    (plugins_dir / "echo.toml").write_text(ECHO)
    (plugins_dir / "open.toml").write_text(OPEN)
    for plugin_id, (text, _) in HOSTILE.items():
        (plugins_dir / f"{plugin_id}.toml").write_text(text)
    os.mkfifo(plugins_dir / "x.toml")
    (plugins_dir / "zero.toml").symlink_to("/dev/zero")
    with open(plugins_dir / "huge.toml", "wb") as huge:
        huge.truncate(60 * 1024 * 1024)
    env = {
        **services.env(),
        "ECHO_API_URL": echo.url,
        "OPEN_API_URL": echo.url,
        "ECHO_API_TOKEN": ECHO_TOKEN,
        "DISCORD_TOKEN": DISCORD_SECRET,
    }
    running = await start_world(plugins_dir, env)
    try:
        yield running
    finally:
        await stop_world(running)


async def all_pages(world: World, message: Message) -> str:
    """The text of every page of a paginated reply (▶ until the footer says the last page)."""
    texts = [text_of(message)]
    while (footer := (message.embeds[0].get("footer") or {}).get("text", "")) and footer.split("/")[0] != footer.split(
        "/"
    )[-1]:
        click = await world.click(message, "▶", user=world.admin)
        message = await click.wait_until(lambda r: r.original if text_of(r.original) not in texts else None, 5)
        texts.append(text_of(message))
    return "\n".join(texts)


def expected_failures(plugins_dir: Path) -> dict[str, str]:
    return {
        pid: f"{plugins_dir / pid}.toml: {what}"
        for pid, what in {**{k: v for k, (_, v) in HOSTILE.items()}, **SPECIAL}.items()
    }


async def test_hostile_manifests_fail_alone_named_by_file_and_field(world: World, logs: LogRecords) -> None:
    plugins = world.bot.registry.plugins
    expected = expected_failures(world.plugins_dir)
    assert {pid for pid, p in plugins.items() if p.state == "failed"} == set(expected)
    assert {pid for pid, p in plugins.items() if p.state == "loaded"} == {"balance", "client", "coin", "echo", "open"}
    for pid, reason in expected.items():
        assert plugins[pid].reason.startswith(reason), plugins[pid].reason
        assert any(line.startswith(f"plugin {pid}: failed ({reason}") for line in logs.lines), pid
    assert "this" not in sys.modules, "a refused command module is never imported"
    report = await all_pages(world, await world.reply("plugins status", user=world.admin))
    for reason in expected.values():
        assert reason in report
    assert "**0**" in (await world.reply("balance", user=world.bob)).content
    assert (await world.reply("echo", {"who": "carol"}, user=world.bob)).content == "carol"


async def test_each_service_receives_only_its_own_credential(world: World, echo: Echo) -> None:
    echo.seen.clear()
    assert (await world.reply("echo", {"who": "alice"}, user=world.bob)).content == "alice"
    assert (await world.reply("peek", user=world.bob)).content == "open"
    assert echo.seen == [("/echo/alice", f"Bearer {ECHO_TOKEN}"), ("/echo/open", None)]


async def test_dot_segments_never_reach_the_service(world: World, echo: Echo) -> None:
    echo.seen.clear()
    for value in ("..", ".", "%2e%2e", "%2E."):
        refused = await world.reply("echo", {"who": value}, user=world.bob)
        assert "`.` or `..`" in text_of(refused) and "Nothing was sent" in text_of(refused) and refused.ephemeral
    assert echo.seen == []
    assert (await world.reply("echo", {"who": "..."}, user=world.bob)).content == "..."


async def test_reload_with_a_bad_file_names_it_and_keeps_the_others(world: World, echo: Echo) -> None:
    late = world.plugins_dir / "late.toml"
    late.write_text(BOMB)
    try:
        report = await all_pages(world, await world.reply("plugins reload", user=world.admin))
        assert f"{late}: (file): arrays or tables nested more than 32 deep" in report
        assert {"echo", "peek", "balance"} <= {c.name for c in world.emulator.guild_commands(world.guild)}
        assert (await world.reply("echo", {"who": "after"}, user=world.bob)).content == "after"
    finally:
        late.unlink()


async def test_a_plugin_claiming_another_plugins_credential_refuses_both(world: World, echo: Echo) -> None:
    thief = world.plugins_dir / "thief.toml"
    thief.write_text(
        plugin("thief", service='url_env = "THIEF_URL"\ntoken_env = "ECHO_API_TOKEN"', url=echo.url)
        + '[[commands]]\nname = "steal"\ndescription = "d"\npath = "/echo/stolen"\nresponse = "r"\n'
    )
    echo.seen.clear()
    try:
        report = await all_pages(world, await world.reply("plugins reload", user=world.admin))
        claimed = "service.token_env: ECHO_API_TOKEN is also claimed by"
        assert f"{thief}: {claimed} {world.plugins_dir / 'echo.toml'}" in report
        assert f"{world.plugins_dir / 'echo.toml'}: {claimed} {thief}" in report
        for refused in ("steal", "echo"):
            with pytest.raises(CommandUnavailable):
                await world.emulator.invoke(refused, {"who": "x"} if refused == "echo" else None, user=world.bob)
        assert (await world.reply("peek", user=world.bob)).content == "open"
    finally:
        thief.unlink()
    await world.reply("plugins reload", user=world.admin)
    assert (await world.reply("echo", {"who": "back"}, user=world.bob)).content == "back"
    assert all(auth in (None, f"Bearer {ECHO_TOKEN}") for path, auth in echo.seen)
    assert not any(path == "/echo/stolen" for path, _ in echo.seen)


async def test_no_secret_reaches_a_log_line_or_a_report(world: World, logs: LogRecords) -> None:
    report = await all_pages(world, await world.reply("plugins status", user=world.admin))
    assert logs.lines and not [line for line in logs.lines if any(secret in line for secret in SECRETS)]
    assert not any(secret in report for secret in SECRETS)
    assert not world.emulator.violations
