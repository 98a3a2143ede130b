"""The Emulator: a local Discord (REST + gateway) that a real discord.py client logs into."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web

from .actions import UserActions
from .gateway import Gateway
from .http_util import STATE_KEY, discord_errors
from .looplag import LoopWatch, Stall
from .payloads import channel_payload, guild_create_payload, member_payload, role_payload
from .records import InteractionRecord, Message, Violation
from .rest import API_PREFIX, add_rest_routes
from .state import (
    DEFAULT_EVERYONE_PERMISSIONS,
    TEXT_CHANNEL,
    Channel,
    Command,
    EmulatorState,
    Guild,
    Member,
    Role,
    Settings,
    User,
)
from .webhooks import add_webhook_routes

GUILDS_INTENT, MEMBERS_INTENT = 1 << 0, 1 << 1
BOT_PERMISSIONS = DEFAULT_EVERYONE_PERMISSIONS | (1 << 13)


class Emulator(UserActions):
    """Fake Discord: build a world (guilds, members), start it, point discord.py at it, act as users."""

    def __init__(
        self,
        *,
        token: str | None = None,
        app_name: str = "Buteco",
        bot_name: str = "Buteco",
        ack_timeout: float = 3.0,
        token_lifetime: float = 900.0,
        heartbeat_interval_ms: int = 41250,
        shard_count: int = 1,
        compress_gateway: bool = True,
        privileged_intents: Iterable[str] = ("members", "presences", "message_content"),
        attachment_size_limit: int = 10 * 1024 * 1024,
    ) -> None:
        self.settings = Settings(
            ack_timeout=ack_timeout,
            token_lifetime=token_lifetime,
            attachment_size_limit=attachment_size_limit,
            heartbeat_interval_ms=heartbeat_interval_ms,
            shard_count=shard_count,
            compress_gateway=compress_gateway,
            enabled_privileged_intents=frozenset(privileged_intents),
        )
        self.state = EmulatorState(self.settings, token, app_name, bot_name)
        self.loop_watch = LoopWatch("emulator", on_stall=self._stalled)
        self.gateway = Gateway(self.state, self.loop_watch)
        self._timers: list[asyncio.TimerHandle] = []
        self._runner: web.AppRunner | None = None
        self.host = ""
        self.port = 0

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve REST under ``/api/v10`` and the gateway under ``/gateway``; port 0 picks a free port."""
        app = web.Application(middlewares=[discord_errors], client_max_size=64 * 1024 * 1024)
        app[STATE_KEY] = self.state
        add_rest_routes(app.router)
        add_webhook_routes(app.router, API_PREFIX)
        app.router.add_get("/gateway", self.gateway.handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.host, self.port = host, self._runner.addresses[0][1]
        self.state.public_url = f"http://{host}:{self.port}"
        self.state.gateway_url = f"ws://{host}:{self.port}/gateway"
        self.loop_watch.start()

    def _stalled(self, stall: Stall) -> None:
        """Nothing is answered while the loop is blocked: record it like any broken rule (unless a test did it)."""
        if not stall.by_harness:
            self.state.violate("loop_stalled", str(stall))

    async def stop(self) -> None:
        """Cancel timers, close sockets and the server."""
        self.loop_watch.stop()
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        """REST base for ``discord.http.Route.BASE``."""
        return f"{self.state.public_url}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        """Websocket URL for ``DiscordWebSocket.DEFAULT_GATEWAY``."""
        return self.state.gateway_url

    @property
    def token(self) -> str:
        """The bot token the emulator accepts."""
        return self.state.token

    @property
    def application_id(self) -> int:
        """Application (and bot user) id."""
        return self.state.application.id

    @property
    def bot_user(self) -> User:
        """The bot's user."""
        return self.state.bot_user

    @property
    def ack_timeout(self) -> float:
        """Seconds the bot has to acknowledge an interaction (Discord: 3)."""
        return self.settings.ack_timeout

    @ack_timeout.setter
    def ack_timeout(self, value: float) -> None:
        self.settings.ack_timeout = value

    def configure_discord_py(self) -> Callable[[], None]:
        """Point discord.py's REST base and default gateway here; returns a function that undoes it."""
        import discord.gateway
        import discord.http
        import yarl

        old_base, old_gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = self.base_url
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)

        def restore() -> None:
            discord.http.Route.BASE = old_base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway

        return restore

    def add_user(
        self, name: str, *, user_id: int | None = None, locale: str = "en-US", global_name: str | None = None
    ) -> User:
        """Create (or return) a Discord account."""
        uid = user_id or self.state.ids.next()
        if uid not in self.state.users:
            self.state.users[uid] = User(id=uid, username=name, global_name=global_name, locale=locale)
        return self.state.users[uid]

    def add_guild(
        self,
        name: str = "Emulated Guild",
        *,
        guild_id: int | None = None,
        owner: User | None = None,
        locale: str = "en-US",
        channels: Iterable[str] = ("general",),
    ) -> Guild:
        """A guild with @everyone, the bot as a member, and text channels; sent live if the bot is connected."""
        gid = guild_id or self.state.ids.next()
        owner = owner or self.state.application.owner
        guild = Guild(id=gid, name=name, owner_id=owner.id, locale=locale)
        guild.roles[gid] = Role(id=gid, guild_id=gid, name="@everyone", permissions=DEFAULT_EVERYONE_PERMISSIONS)
        self.state.guilds[gid] = guild
        bot_role = self._new_role(guild, self.state.application.name, BOT_PERMISSIONS)
        guild.members[owner.id] = Member(user=owner, guild_id=gid)
        guild.members[self.bot_user.id] = Member(user=self.bot_user, guild_id=gid, roles=[bot_role.id])
        for channel_name in channels:
            self._new_channel(guild, channel_name)
        self.state.emit("GUILD_CREATE", guild_create_payload(guild, self.state), gid, GUILDS_INTENT)
        return guild

    def _guild(self, guild: Guild | int) -> Guild:
        """Accept a Guild or its id."""
        return guild if isinstance(guild, Guild) else self.state.guilds[int(guild)]

    def _new_role(self, guild: Guild, name: str, permissions: int) -> Role:
        """Store a role without announcing it."""
        role = Role(
            id=self.state.ids.next(), guild_id=guild.id, name=name, permissions=permissions, position=len(guild.roles)
        )
        guild.roles[role.id] = role
        return role

    def _new_channel(self, guild: Guild, name: str, topic: str | None = None) -> Channel:
        """Store a text channel without announcing it."""
        channel = Channel(
            id=self.state.ids.next(),
            type=TEXT_CHANNEL,
            name=name,
            guild_id=guild.id,
            position=len(guild.channels),
            topic=topic,
        )
        guild.channels[channel.id] = channel
        self.state.channels[channel.id] = channel
        return channel

    def add_role(self, guild: Guild | int, name: str, permissions: int = 0) -> Role:
        """A role, e.g. with Manage Guild (``1 << 5``) or Administrator (``1 << 3``)."""
        found = self._guild(guild)
        role = self._new_role(found, name, permissions)
        self.state.emit(
            "GUILD_ROLE_CREATE", {"guild_id": str(found.id), "role": role_payload(role)}, found.id, GUILDS_INTENT
        )
        return role

    def add_channel(self, guild: Guild | int, name: str, *, topic: str | None = None) -> Channel:
        """A text channel, announced with CHANNEL_CREATE."""
        channel = self._new_channel(self._guild(guild), name, topic)
        self.state.emit("CHANNEL_CREATE", channel_payload(channel, self.state), channel.guild_id, GUILDS_INTENT)
        return channel

    def add_member(
        self,
        guild: Guild | int,
        user_id: int | None = None,
        name: str | None = None,
        permissions: int = 0,
        locale: str = "en-US",
        *,
        roles: Iterable[Role] = (),
        nick: str | None = None,
    ) -> Member:
        """Add a user to a guild; ``permissions`` become a role of their own, as an admin would set up."""
        found = self._guild(guild)
        user = self.add_user(name or f"user{len(self.state.users)}", user_id=user_id, locale=locale)
        role_ids = [r.id for r in roles]
        if permissions:
            role_ids.append(self._new_role(found, f"{user.username} permissions", permissions).id)
        member = Member(user=user, guild_id=found.id, roles=role_ids, nick=nick)
        found.members[user.id] = member
        self.state.emit(
            "GUILD_MEMBER_ADD", {**member_payload(member), "guild_id": str(found.id)}, found.id, MEMBERS_INTENT
        )
        return member

    async def wait_until_ready(self, timeout: float = 10.0) -> None:
        """Wait until every shard of the bot has identified and been sent READY and its guilds."""
        await self.state.wait_for(self.gateway.is_ready, timeout)

    def reconnect_clients(self) -> None:
        """Send op 7 RECONNECT so clients resume (exercises RESUME and event replay)."""
        self.gateway.reconnect()

    @property
    def commands(self) -> list[Command]:
        """Global commands the bot registered."""
        return list(self.state.guild_commands(None).values())

    def guild_commands(self, guild: Guild | int) -> list[Command]:
        """Guild commands the bot registered for one guild."""
        return list(self.state.guild_commands(self._guild(guild).id).values())

    @property
    def interactions(self) -> list[InteractionRecord]:
        """Every interaction dispatched, oldest first."""
        return list(self.state.interactions.values())

    @property
    def violations(self) -> list[Violation]:
        """Rules the bot broke (invalid bodies, late or double acknowledgements, unsupported routes)."""
        return list(self.state.violations)

    def messages(self, channel: Channel | int | None = None) -> list[Message]:
        """Messages (including ephemeral and deleted ones), optionally for one channel, oldest first."""
        wanted = channel.id if isinstance(channel, Channel) else channel
        return [m for m in self.state.messages.values() if wanted is None or m.channel_id == wanted]

    async def wait_for_message(self, predicate: Callable[[Message], Any], timeout: float = 5.0) -> Message:
        """Wait for a message (new or edited) matching ``predicate``, e.g. a ``channel.send`` announcement."""
        return await self.state.wait_for(
            lambda: next((m for m in self.state.messages.values() if not m.deleted and predicate(m)), None), timeout
        )
