"""The emulated world: application, users, guilds, channels, commands, messages and interactions."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from .records import InteractionRecord, Message, Violation
from .snowflake import SnowflakeFactory, utcnow

T = TypeVar("T")
EventSink = Callable[[str, dict[str, Any], "int | None", int], None]

ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
ALL_PERMISSIONS = (1 << 53) - 1
DEFAULT_EVERYONE_PERMISSIONS = (
    (1 << 0)
    | (1 << 6)
    | (1 << 10)
    | (1 << 11)
    | (1 << 14)
    | (1 << 15)
    | (1 << 16)
    | (1 << 18)
    | (1 << 20)
    | (1 << 21)
    | (1 << 26)
    | (1 << 31)
    | (1 << 50)
)
TEXT_CHANNEL = 0
DM_CHANNEL = 1


@dataclass
class User:
    """A Discord account; ``locale`` is the client language sent with each interaction."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    locale: str = "en-US"


@dataclass
class Role:
    """A guild role; permissions are what lets a member see admin-only commands."""

    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0


@dataclass
class Member:
    """A user's membership in one guild."""

    user: User
    guild_id: int
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: datetime = field(default_factory=utcnow)

    @property
    def id(self) -> int:
        """Same id as the user, as on Discord."""
        return self.user.id


@dataclass
class Channel:
    """A guild text channel or a DM channel."""

    id: int
    type: int
    name: str | None
    guild_id: int | None = None
    position: int = 0
    topic: str | None = None
    recipient_id: int | None = None


@dataclass
class Guild:
    """A server with its roles, members and channels; role 0 shares the guild id (@everyone)."""

    id: int
    name: str
    owner_id: int
    locale: str = "en-US"
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    joined_at: datetime = field(default_factory=utcnow)

    def permissions_for(self, user_id: int) -> int:
        """Guild-level permissions the way Discord computes them: owner and Administrator get all."""
        if user_id == self.owner_id:
            return ALL_PERMISSIONS
        member = self.members.get(user_id)
        value = self.roles[self.id].permissions
        for role_id in member.roles if member else []:
            value |= self.roles[role_id].permissions
        return ALL_PERMISSIONS if value & ADMINISTRATOR else value

    def first_text_channel(self) -> Channel:
        """Where interactions happen when the test does not pick a channel."""
        return next(c for c in self.channels.values() if c.type == TEXT_CHANNEL)


@dataclass
class Command:
    """A registered application command, stored as Discord returns it."""

    payload: dict[str, Any]

    @property
    def id(self) -> int:
        """Command snowflake."""
        return int(self.payload["id"])

    @property
    def name(self) -> str:
        """Command name."""
        return str(self.payload["name"])

    @property
    def type(self) -> int:
        """1 slash, 2 user context menu, 3 message context menu."""
        return int(self.payload.get("type", 1))

    @property
    def guild_id(self) -> int | None:
        """Guild for guild commands, None for global ones."""
        value = self.payload.get("guild_id")
        return None if value is None else int(value)

    @property
    def options(self) -> list[dict[str, Any]]:
        """Options, subcommands and groups as registered."""
        return list(self.payload.get("options") or [])

    @property
    def default_member_permissions(self) -> int | None:
        """Permissions a member needs to see the command (None = everyone)."""
        value = self.payload.get("default_member_permissions")
        return None if value is None else int(value)


@dataclass
class Settings:
    """Tunable rules: the acknowledgement window is real and can be shortened for tests."""

    ack_timeout: float = 3.0
    token_lifetime: float = 15 * 60.0
    attachment_size_limit: int = 10 * 1024 * 1024
    heartbeat_interval_ms: int = 41250
    heartbeat_ack_delay_s: float = 0.02
    shard_count: int = 1
    compress_gateway: bool = True
    enabled_privileged_intents: frozenset[str] = frozenset({"members", "presences", "message_content"})


@dataclass
class Application:
    """The bot's application; the bot user shares its id."""

    id: int
    name: str
    owner: User
    flags: int = 0


class EmulatorState:
    """All mutable emulator data plus a change signal that waiters can block on."""

    def __init__(self, settings: Settings, token: str | None, app_name: str, bot_name: str) -> None:
        self.settings = settings
        self.ids = SnowflakeFactory()
        app_id = self.ids.next()
        self.token = token or f"{app_id}.emulator.{secrets.token_urlsafe(24)}"
        self.bot_user = User(id=app_id, username=bot_name, bot=True)
        owner = User(id=self.ids.next(), username="owner")
        self.application = Application(id=app_id, name=app_name, owner=owner)
        self.users: dict[int, User] = {app_id: self.bot_user, owner.id: owner}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.commands: dict[int | None, dict[tuple[str, int], Command]] = {None: {}}
        self.messages: dict[int, Message] = {}
        self.interactions: dict[int, InteractionRecord] = {}
        self.violations: list[Violation] = []
        self.public_url = ""
        self.gateway_url = ""
        self.sinks: list[EventSink] = []
        self._waiters: list[asyncio.Future[None]] = []

    def violate(self, kind: str, detail: str, interaction_id: int | None = None) -> None:
        """Record a rule the bot broke, so tests can assert there were none."""
        self.violations.append(Violation(kind, detail, interaction_id))
        self.notify()

    def emit(self, event: str, data: dict[str, Any], guild_id: int | None = None, intent: int = 0) -> None:
        """Hand a gateway event to connected sessions; ``intent`` is the bit that gates it (0 = always)."""
        for sink in self.sinks:
            sink(event, data, guild_id, intent)

    def notify(self) -> None:
        """Wake every waiter so it re-checks its predicate."""
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait_for(self, predicate: Callable[[], T | None], timeout: float) -> T:
        """Block until ``predicate()`` is truthy (re-checked on every change) and return it."""
        async with asyncio.timeout(timeout):
            while True:
                result = predicate()
                if result:
                    return result
                waiter = asyncio.get_running_loop().create_future()
                self._waiters.append(waiter)
                await waiter

    def guild_commands(self, guild_id: int | None) -> dict[tuple[str, int], Command]:
        """Commands registered for one guild (or global ones for None)."""
        return self.commands.setdefault(guild_id, {})
