"""`python -m buteco_bot`: read settings, point discord.py at Discord (or the emulator), run the bot.

When Discord refuses the token or cannot be reached, one log line says what failed and what to check, and the bot
waits (5 s, doubling up to 5 min) and tries again instead of exiting: no crash loop. BOT_STATUS_FILE, when set (the
bot image sets it), holds one line (`ready: ...`, `starting: ...`, `reconnecting: ...`, `down: <why>`), rewritten
every 15 s; the container's HEALTHCHECK (docker/bot_healthcheck.py) prints it, so `docker inspect` says why.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import discord
import discord.gateway
import discord.http
import yarl
from pydantic import ValidationError

from .bot import ButecoBot
from .core.health import reason
from .settings import BotSettings

log = logging.getLogger("buteco_bot")
FIRST_DELAY_S, MAX_DELAY_S = 5.0, 300.0
LOGIN_TIMEOUT_S = 60.0  # login + setup_hook (plugins, command sync); aiohttp's own default would be 5 min
HEARTBEAT_S = 15.0  # the status file is rewritten this often, so a stuck bot shows as a stale file
# What Discord (or the way to it) can do to a start: each is said in one line and retried after a pause.
DISCORD_FAILURES = (
    OSError,
    TimeoutError,
    aiohttp.ClientError,
    discord.HTTPException,
    discord.GatewayNotFound,
    discord.ConnectionClosed,
    discord.LoginFailure,
    discord.PrivilegedIntentsRequired,
)
TOKEN_HELP = "check DISCORD_TOKEN in .env (Developer Portal -> your application -> Bot -> Reset Token)"


def point_discord_py(settings: BotSettings) -> None:
    """DISCORD_API_BASE / DISCORD_GATEWAY_URL replace Discord's endpoints (the local emulator, `make run`)."""
    if settings.discord_api_base:
        discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def discord_host() -> str:
    """Where the bot logs in (discord.com, or the emulator's host:port): named in every failure line."""
    url = yarl.URL(discord.http.Route.BASE)
    return f"{url.host}:{url.port}" if url.port and not url.is_default_port() else str(url.host)


def why_discord_failed(exc: BaseException) -> str:
    """What failed and what to check, in one line, for the log and the container's health."""
    if isinstance(exc, discord.LoginFailure):
        return f"Discord ({discord_host()}) refused DISCORD_TOKEN (HTTP 401): {TOKEN_HELP}"
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return "Discord refused the bot's gateway intents: leave every Privileged Gateway Intent off, or enable it"
    if isinstance(exc, discord.ConnectionClosed):
        if exc.code == 4004:
            return f"Discord's gateway refused DISCORD_TOKEN (close code 4004): {TOKEN_HELP}"
        return f"Discord closed the gateway connection (close code {exc.code}{': ' + exc.reason if exc.reason else ''})"
    if isinstance(exc, discord.HTTPException):
        return f"Discord ({discord_host()}) answered HTTP {exc.status}: {(exc.text or 'no detail')[:200]}"
    if isinstance(exc, discord.GatewayNotFound):
        return "Discord did not say where its gateway is (an outage? see https://discordstatus.com)"
    return (
        f"cannot reach Discord ({discord_host()}): {reason(exc, LOGIN_TIMEOUT_S)}; "
        "check this machine's (or container's) internet access, DNS and proxy"
    )


class StatusFile:
    """The bot's state in one line for the HEALTHCHECK; written atomically, refreshed so that staleness shows."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.line = "starting: not logged in yet"
        self._warned = False

    def set(self, state: str, text: str) -> None:
        self.line = f"{state}: {text}"
        self.write()

    def write(self) -> None:
        if self.path is None:
            return
        partial = self.path.with_name(f".{self.path.name}.partial")
        try:
            partial.write_text(self.line + "\n", encoding="utf-8")
            partial.replace(self.path)
        except OSError as exc:
            if not self._warned:  # the bot runs on; only its container health is blind
                log.warning("cannot write BOT_STATUS_FILE %s: %s", self.path, exc.strerror or exc)
                self._warned = True

    async def heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            self.write()


class OneLineDiscordErrors(logging.Filter):
    """discord.py logs each gateway reconnect with a traceback; a network failure there becomes one line (reported).

    Only its connection loop's loggers: an error while answering a command keeps its traceback.
    """

    LOGGERS = frozenset({"discord.client", "discord.shard", "discord.gateway"})

    def __init__(self) -> None:
        super().__init__()
        self.report: Callable[[str], None] | None = None  # told why, so the status line says it too

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if record.name in self.LOGGERS and isinstance(exc, DISCORD_FAILURES):
            problem = why_discord_failed(exc)
            record.msg, record.args = f"{record.getMessage()}: {problem}", None
            record.exc_info = record.exc_text = None
            if self.report is not None:
                self.report(problem)
        return True


def setup_logging(level_name: str) -> OneLineDiscordErrors:
    """discord.py's format, without its colour codes outside a terminal (it colours every container's log)."""
    one_line = OneLineDiscordErrors()
    handler = logging.StreamHandler()
    handler.addFilter(one_line)
    options: dict[str, Any] = {"handler": handler, "level": getattr(logging, level_name.upper(), logging.INFO)}
    if not handler.stream.isatty():
        options["formatter"] = logging.Formatter(
            "[{asctime}] [{levelname:<8}] {name}: {message}", "%Y-%m-%d %H:%M:%S", style="{"
        )
    discord.utils.setup_logging(**options)
    return one_line


def watch(bot: ButecoBot, status: StatusFile, connected: list[bool]) -> None:
    """The gateway's events keep the status line true while discord.py reconnects by itself."""

    async def on_ready() -> None:
        connected.append(True)
        status.set("ready", f"connected to Discord ({discord_host()}) as {bot.user}, {len(bot.guilds)} server(s)")

    async def on_resumed() -> None:
        status.set("ready", f"connected to Discord ({discord_host()}) as {bot.user} (session resumed)")

    async def on_disconnect() -> None:  # dispatched on every failed attempt too: keep a reason already there
        if status.line.startswith("ready:"):
            status.set("reconnecting", f"the connection to Discord ({discord_host()}) dropped; reconnecting")

    for listener in (on_ready, on_resumed, on_disconnect):
        bot.add_listener(listener)


async def run(settings: BotSettings, status: StatusFile) -> None:
    """Log in and stay connected; a Discord failure is said once, then a pause, then a fresh bot tries again."""
    delay = FIRST_DELAY_S
    while True:
        connected: list[bool] = []
        status.set("starting", f"logging in to Discord ({discord_host()})")
        try:
            async with ButecoBot(settings) as bot:
                watch(bot, status, connected)
                async with asyncio.timeout(LOGIN_TIMEOUT_S):
                    await bot.login(settings.discord_token.get_secret_value())
                await bot.connect()
                return  # closed on purpose
        except DISCORD_FAILURES as exc:
            problem = why_discord_failed(exc)
        delay = FIRST_DELAY_S if connected else delay
        log.error("%s; next try in %.0f s", problem, delay)
        status.set("down", f"{problem}; next try at {time.strftime('%H:%M:%S', time.gmtime(time.time() + delay))} UTC")
        await asyncio.sleep(delay)
        delay = min(delay * 2, MAX_DELAY_S)


async def main() -> None:
    try:
        settings = BotSettings()  # type: ignore[call-arg]
    except ValidationError as exc:  # one line per bad variable, no traceback (values are hidden by the settings)
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        sys.exit(f"buteco_bot cannot start: {problems}")
    one_line = setup_logging(settings.log_level)
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False  # no voice: two misleading warnings less
    point_discord_py(settings)
    path = os.environ.get("BOT_STATUS_FILE")
    status = StatusFile(Path(path) if path else None)
    one_line.report = lambda problem: status.set("reconnecting", f"{problem}; discord.py keeps retrying")
    heartbeat = asyncio.create_task(status.heartbeat())
    try:
        await run(settings, status)
    finally:
        heartbeat.cancel()


if __name__ == "__main__":
    asyncio.run(main())
