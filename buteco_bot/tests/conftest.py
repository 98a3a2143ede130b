"""The real stack for the bot's end-to-end tests: services on a migrated PostgreSQL, the emulator, the bot."""

from __future__ import annotations

import asyncio
import shutil
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from buteco_bot.bot import ButecoBot
from buteco_bot.core.manifest import load_manifest_file
from buteco_bot.settings import BotSettings
from buteco_dev.credentials import TEST_TOKENS, auth_headers, caller_env
from buteco_dev.processes import ServiceProcess
from buteco_dev.seed import fund_member
from discord_emulator import MANAGE_GUILD, Emulator, Guild, InteractionRecord, Member, Message, component_choices
from discord_emulator.looplag import STALLS

REPO_PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
ACK_LIMIT_S = 3.0
# The bot's environment holds its own credential and each plugin service's, never coin_api's or bet_api's.
BOT_CREDENTIALS = {name: value for name, value in caller_env().items() if name in ("BOT_API_TOKEN", "JOKE_API_TOKEN")}


@dataclass
class Services:
    client: ServiceProcess
    balance: ServiceProcess
    coin: ServiceProcess
    # One client made before the loop runs: a new one per call loads the CA bundle on the shared loop (seconds on a
    # busy machine; the loop-lag guard saw it).
    http: httpx.Client = field(
        default_factory=lambda: httpx.Client(headers=auth_headers(), trust_env=False, timeout=10), repr=False
    )

    def env(self) -> dict[str, str]:
        return {"CLIENT_API_URL": self.client.url, "BALANCE_API_URL": self.balance.url, "COIN_API_URL": self.coin.url}

    def balance_of(self, guild_id: int, user_id: int) -> int | None:
        """Read the ledger directly (not through the bot); None when the member is not registered."""
        response = self.http.get(f"{self.balance.url}/guilds/{guild_id}/members/{user_id}/balance")
        return None if response.status_code == 404 else response.json()["balance"]

    def ledger(self, path: str) -> dict | None:
        """GET a balance_api path directly (a transaction by key, the audit); None on 404."""
        response = self.http.get(f"{self.balance.url}{path}")
        return None if response.status_code == 404 else response.raise_for_status().json()

    def grant(self, guild_id: int, user_id: int, amount: int = 100) -> int:
        """Register the member and credit them coins straight through the services; the balance after."""
        self.http.post(f"{self.client.url}/users", json={"discord_id": str(user_id)}).raise_for_status()
        moved = fund_member(self.balance.url, guild_id, user_id, amount, key=f"test:grant:{uuid.uuid4()}")
        assert moved.status_code == 201, moved.text
        return self.balance_of(guild_id, user_id) or 0


@pytest.fixture(autouse=True)
def event_loop_never_blocked() -> Iterator[None]:
    """Issue 14: a test fails when the bot or the emulator blocked the (shared) loop for over 1 s; a sync call of
    the test itself (the harness) is only warned about - it holds the bot up too, so keep such calls short."""
    before = len(STALLS)
    yield
    for stall in STALLS[before:]:
        if stall.by_harness:
            warnings.warn(f"the test blocked the bot's loop: {stall}", stacklevel=1)
    blocked = [str(s) for s in STALLS[before:] if not s.by_harness]
    assert not blocked, "\n".join(blocked)


@pytest.fixture(scope="module")
def services(module_start_service) -> Services:
    """client_api, balance_api and coin_api as real processes, once per test module."""
    client = module_start_service("client_api.main")
    balance = module_start_service("balance_api.main")
    coin = module_start_service("coin_api.main", env={"BALANCE_API_URL": balance.url, "BALANCE_API_TIMEOUT_S": "1"})
    return Services(client, balance, coin)


@pytest.fixture(scope="module")
def bet(module_start_service, services: Services) -> ServiceProcess:
    """bet_api on the same ledger, for modules whose `env` adds BET_API_URL."""
    return module_start_service("bet_api.main", env={"BALANCE_API_URL": services.balance.url})


class PermissiveEmulator(Emulator):
    """Lets tests model a server that overrode a command's permissions, so the bot's own check is reached."""

    overridden: set[str]

    def find_command(self, name, user, guild, type=1):
        if name in getattr(self, "overridden", set()) and guild is not None:
            for scope in (guild.id, None):
                found = self.state.guild_commands(scope).get((name, type))
                if found is not None:
                    return found
        return super().find_command(name, user, guild, type)


@dataclass
class World:
    emulator: PermissiveEmulator
    bot: ButecoBot
    guild: Guild
    admin: Member
    alice: Member
    bob: Member
    stranger: Member
    plugins_dir: Path
    records: list[InteractionRecord] = field(default_factory=list)

    async def run(
        self, command: str, options: dict[str, Any] | None = None, *, user: Member, locale: str | None = None
    ) -> InteractionRecord:
        """Invoke a slash command and check that the first response arrived within Discord's 3 s."""
        record = await self.emulator.invoke(command, options, user=user, locale=locale)
        return await self._acknowledged(record)

    async def click(self, message: Message, label: str, *, user: Member) -> InteractionRecord:
        choice = next(c for c in component_choices(message) if c.label == label)
        record = await self.emulator.click(message, choice.custom_id, user=user)
        return await self._acknowledged(record)

    async def _acknowledged(self, record: InteractionRecord) -> InteractionRecord:
        self.records.append(record)
        await record.wait_for_response(ACK_LIMIT_S + 0.5)
        assert record.latency is not None and record.latency < ACK_LIMIT_S, record.latency
        return record

    async def reply(
        self,
        command: str,
        options: dict[str, Any] | None = None,
        *,
        user: Member,
        locale: str | None = None,
        timeout: float = 5.0,
    ) -> Message:
        """The finished original response of a command (after any defer)."""
        record = await self.run(command, options, user=user, locale=locale)
        return await record.wait_for_original(timeout)


def text_of(message: Message) -> str:
    """Content plus every embed's title, description, fields and footer, for assertions."""
    parts = [message.content]
    for embed in message.embeds:
        parts += [embed.get("title") or "", embed.get("description") or "", (embed.get("footer") or {}).get("text", "")]
        parts += [f"{f['name']}\n{f['value']}" for f in embed.get("fields") or []]
    return "\n".join(p for p in parts if p)


def copy_plugins(target: Path, env: dict[str, str]) -> Path:
    """Copy the repository's manifests whose service URL the environment gives (the services a module started)."""
    for manifest in REPO_PLUGINS.glob("*.toml"):
        if load_manifest_file(manifest).service.url_env in env:
            shutil.copy(manifest, target / manifest.name)
    return target


@pytest.fixture(scope="module")
def env(services: Services) -> dict[str, str]:
    """The bot's environment: service URLs (and plugin settings); a module that starts more services overrides it."""
    return services.env()


@pytest.fixture(scope="module")
def plugins_dir(tmp_path_factory, env: dict[str, str]) -> Path:
    """A copy of plugins/ for the services started here, that a test module may add manifests to."""
    return copy_plugins(tmp_path_factory.mktemp("plugins"), env)


async def start_world(plugins_dir: Path, env: dict[str, str]) -> World:
    emulator = PermissiveEmulator()
    emulator.overridden = set()
    await emulator.start()
    emulator._restore = emulator.configure_discord_py()  # type: ignore[attr-defined]
    guild = emulator.add_guild("Buteco E2E")
    admin = emulator.add_member(guild, name="admin", permissions=MANAGE_GUILD)
    alice = emulator.add_member(guild, name="alice", locale="pt-BR")
    bob = emulator.add_member(guild, name="bob")
    stranger = emulator.add_member(guild, name="stranger")
    config = BotSettings(
        discord_token=emulator.token,
        bot_api_token=TEST_TOKENS["bot"],
        plugins_dir=plugins_dir,
        dev_guild_id=guild.id,
        guild_ready_timeout=0.05,
    )
    bot = ButecoBot(config, env={**BOT_CREDENTIALS, **env})
    await bot.login(emulator.token)
    bot._connect_task = asyncio.create_task(bot.connect())  # type: ignore[attr-defined]
    await emulator.wait_until_ready(timeout=10)
    await asyncio.wait_for(bot.wait_until_ready(), timeout=10)
    return World(emulator, bot, guild, admin, alice, bob, stranger, plugins_dir)


async def stop_world(world: World) -> None:
    """Close the bot (and its aiohttp session) and the emulator; nothing may stay open."""
    await world.bot.close()
    await asyncio.wait_for(world.bot._connect_task, timeout=10)  # type: ignore[attr-defined]
    assert world.bot.session is not None and world.bot.session.closed
    await world.emulator.stop()
    world.emulator._restore()  # type: ignore[attr-defined]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def world(env: dict[str, str], plugins_dir: Path) -> AsyncIterator[World]:
    running = await start_world(plugins_dir, env)
    try:
        yield running
    finally:
        await stop_world(running)
