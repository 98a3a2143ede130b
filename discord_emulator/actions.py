"""What a Discord user can do: run commands, click, pick, submit modals, type into autocomplete."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import CommandUnavailable, ComponentUnavailable, EmulatorError
from .gateway import DISPATCH, Gateway
from .interactions import modal_submission, new_interaction
from .options import OptionBuilder
from .payloads import message_payload
from .records import InteractionRecord, Message
from .state import ADMINISTRATOR, Channel, Command, EmulatorState, Guild, Member, User
from .validation import walk_components

UserLike = Member | User | int
SELECT_RESOLVE = {5: 6, 6: 8, 7: 9, 8: 7}


class UserActions:
    """Mixin for the Emulator: each action builds an INTERACTION_CREATE and dispatches it over the gateway."""

    state: EmulatorState
    gateway: Gateway
    _timers: list[asyncio.TimerHandle]

    def _who(self, user: UserLike, guild: Guild | int | None) -> tuple[User, Guild | None]:
        """Resolve the acting user and guild context (a Member implies its guild; no guild means a DM)."""
        if isinstance(user, Member):
            return user.user, self.state.guilds[user.guild_id]
        account = user if isinstance(user, User) else self.state.users.get(int(user))
        if account is None:
            raise EmulatorError(f"unknown user {user!r}")
        if guild is None:
            return account, None
        found = self.state.guilds[guild] if isinstance(guild, int) else guild
        if account.id not in found.members:
            raise EmulatorError(f"user {account.id} is not a member of guild {found.id}")
        return account, found

    def _channel(self, user: User, guild: Guild | None, channel: Channel | int | None) -> Channel:
        """The channel the action happens in: given, the guild's first text channel, or the user's DM."""
        if channel is not None:
            return channel if isinstance(channel, Channel) else self.state.channels[int(channel)]
        if guild is not None:
            return guild.first_text_channel()
        existing = next((c for c in self.state.channels.values() if c.recipient_id == user.id), None)
        if existing is not None:
            return existing
        dm = Channel(id=self.state.ids.next(), type=1, name=None, recipient_id=user.id)
        self.state.channels[dm.id] = dm
        return dm

    def find_command(self, name: str, user: User, guild: Guild | None, type: int = 1) -> Command:
        """The command the user's client would offer, or CommandUnavailable (missing, hidden, wrong context)."""
        scopes = [guild.id, None] if guild else [None]
        command = next(
            (
                self.state.guild_commands(s).get((name, type))
                for s in scopes
                if (name, type) in self.state.guild_commands(s)
            ),
            None,
        )
        if command is None:
            raise CommandUnavailable(f"/{name} is not registered here")
        contexts = command.payload.get("contexts")
        context = 0 if guild else 1
        dm_blocked = not guild and command.payload.get("dm_permission") is False
        if (contexts is not None and context not in contexts) or dm_blocked:
            raise CommandUnavailable(f"/{name} is not available in this context")
        required = command.default_member_permissions
        if guild is not None and required is not None:
            granted = guild.permissions_for(user.id)
            if not granted & ADMINISTRATOR and (required == 0 or granted & required != required):
                raise CommandUnavailable(f"/{name} needs permissions {required} that user {user.id} lacks")
        return command

    def _send(self, record: InteractionRecord) -> InteractionRecord:
        """Dispatch on the session that owns the guild; start the acknowledgement clock."""
        session = self.gateway.session_for(record.guild_id)
        if session is None:
            raise EmulatorError("no bot is connected to the gateway for this guild")
        record.dispatched_at = time.perf_counter()
        record.ack_timeout = self.state.settings.ack_timeout
        session.push(DISPATCH, record.payload, "INTERACTION_CREATE")
        loop = asyncio.get_running_loop()
        self._timers = [t for t in self._timers if t.when() > loop.time()]
        self._timers.append(loop.call_later(record.ack_timeout, self._check_acknowledged, record))
        return record

    def _check_acknowledged(self, record: InteractionRecord) -> None:
        """Discord shows "The application did not respond" when nothing came back in time."""
        if record.response is None:
            self.state.violate("not_acknowledged", f"no response within {record.ack_timeout}s", record.id)

    async def invoke(
        self,
        command: str,
        options: Mapping[str, Any] | None = None,
        *,
        user: UserLike,
        guild: Guild | int | None = None,
        channel: Channel | int | None = None,
        locale: str | None = None,
        target: UserLike | Message | None = None,
    ) -> InteractionRecord:
        """Run ``/command [group] [sub]`` with options, or a context menu command on ``target``."""
        account, where = self._who(user, guild)
        if target is not None:
            return await self._context_menu(command, account, where, channel, locale, target)
        name, *path = command.split()
        found = self.find_command(name, account, where)
        builder = OptionBuilder(self.state, where, account.id)
        data: dict[str, Any] = {
            "id": str(found.id),
            "name": found.name,
            "type": 1,
            "options": builder.build(found, path, dict(options or {})),
        }
        return await self._create(2, account, where, channel, locale, data, found, builder)

    async def autocomplete(
        self,
        command: str,
        options: Mapping[str, Any] | None = None,
        *,
        focused: str,
        user: UserLike,
        guild: Guild | int | None = None,
        channel: Channel | int | None = None,
        locale: str | None = None,
    ) -> InteractionRecord:
        """Type into an autocomplete option; the bot's choices end up in ``record.choices``."""
        account, where = self._who(user, guild)
        name, *path = command.split()
        found = self.find_command(name, account, where)
        values = {focused: "", **dict(options or {})}
        builder = OptionBuilder(self.state, where, account.id, focused=focused)
        data = {"id": str(found.id), "name": found.name, "type": 1, "options": builder.build(found, path, values)}
        builder.resolved.clear()
        return await self._create(4, account, where, channel, locale, data, found, builder)

    async def _context_menu(
        self,
        name: str,
        user: User,
        guild: Guild | None,
        channel: Channel | int | None,
        locale: str | None,
        target: UserLike | Message,
    ) -> InteractionRecord:
        """User (type 2) or message (type 3) context menu on a target."""
        kind = 3 if isinstance(target, Message) else 2
        found = self.find_command(name, user, guild, kind)
        builder = OptionBuilder(self.state, guild, user.id)
        if isinstance(target, Message):
            target_id = target.id
            builder.resolved["messages"] = {str(target.id): message_payload(target, self.state)}
        else:
            account = (
                target.user
                if isinstance(target, Member)
                else target
                if isinstance(target, User)
                else self.state.users[int(target)]
            )
            target_id = account.id
            builder.add_user(account)
        data = {"id": str(found.id), "name": found.name, "type": kind, "target_id": str(target_id)}
        return await self._create(2, user, guild, channel, locale, data, found, builder)

    async def _create(
        self,
        type: int,
        user: User,
        guild: Guild | None,
        channel: Channel | int | None,
        locale: str | None,
        data: dict[str, Any],
        command: Command,
        builder: OptionBuilder,
    ) -> InteractionRecord:
        """Finish command data (guild id, resolved) and dispatch."""
        if command.guild_id is not None:
            data["guild_id"] = str(command.guild_id)
        if builder.resolved:
            data["resolved"] = builder.resolved
        if not data.get("options") and "options" in data:
            del data["options"]
        where = self._channel(user, guild, channel)
        record = new_interaction(self.state, type=type, user=user, guild=guild, channel=where, locale=locale, data=data)
        return await self._dispatch(record)

    async def _dispatch(self, record: InteractionRecord) -> InteractionRecord:
        """Send and yield once so the frame goes out before the caller starts waiting."""
        self._send(record)
        await asyncio.sleep(0)
        return record

    def _component(self, message: Message | int, custom_id: str, user: User) -> tuple[Message, dict[str, Any]]:
        """Find an enabled component on a message the user can see."""
        found = message if isinstance(message, Message) else self.state.messages.get(int(message))
        if found is None or found.deleted:
            raise ComponentUnavailable("message does not exist")
        if found.visible_to is not None and found.visible_to != user.id:
            raise ComponentUnavailable("ephemeral message belongs to someone else")
        for top in found.components:
            for _, item in walk_components(top, ""):
                if item.get("custom_id") == custom_id:
                    if item.get("disabled"):
                        raise ComponentUnavailable(f"component {custom_id!r} is disabled")
                    return found, item
        raise ComponentUnavailable(f"no component {custom_id!r} on message {found.id}")

    async def click(
        self, message: Message | int, custom_id: str, *, user: UserLike, locale: str | None = None
    ) -> InteractionRecord:
        """Press a button on a recorded message."""
        return await self.select(message, custom_id, None, user=user, locale=locale)

    async def select(
        self,
        message: Message | int,
        custom_id: str,
        values: Sequence[Any] | None,
        *,
        user: UserLike,
        locale: str | None = None,
    ) -> InteractionRecord:
        """Pick values in a select menu (``values=None`` means a button press)."""
        target = message if isinstance(message, Message) else self.state.messages[int(message)]
        account, guild = self._who(user, target.guild_id)
        found, item = self._component(target, custom_id, account)
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": item["type"]}
        if (values is None) != (item["type"] == 2) or item.get("style") == 5:
            raise ComponentUnavailable(f"component {custom_id!r} of type {item['type']} cannot take that action")
        if values is not None:
            data["values"], resolved = self._select_values(item, values, guild, account)
            if resolved:
                data["resolved"] = resolved
        channel = self.state.channels[found.channel_id]
        record = new_interaction(
            self.state, type=3, user=account, guild=guild, channel=channel, locale=locale, data=data, message=found
        )
        return await self._dispatch(record)

    def _select_values(
        self, item: dict[str, Any], values: Sequence[Any], guild: Guild | None, user: User
    ) -> tuple[list[str], dict[str, Any]]:
        """Check the pick against min/max values and options; entity selects carry ``resolved``."""
        low, high = item.get("min_values", 1), item.get("max_values", 1)
        if not low <= len(values) <= high:
            raise ComponentUnavailable(f"select {item['custom_id']!r} takes {low}..{high} values")
        if item["type"] == 3:
            allowed = {o["value"] for o in item.get("options") or []}
            if not set(map(str, values)) <= allowed:
                raise ComponentUnavailable(f"values {values!r} are not options of {item['custom_id']!r}")
            return [str(v) for v in values], {}
        builder = OptionBuilder(self.state, guild, user.id)
        spec = {
            "name": item["custom_id"],
            "type": SELECT_RESOLVE[item["type"]],
            "channel_types": item.get("channel_types"),
        }
        return [builder.resolve(spec, v) for v in values], builder.resolved

    async def submit_modal(
        self, record: InteractionRecord, values: Mapping[str, Any], *, locale: str | None = None
    ) -> InteractionRecord:
        """Fill and submit the modal that ``record`` answered with (type 9)."""
        modal = record.modal
        if modal is None:
            raise EmulatorError("that interaction was not answered with a modal")
        user = self.state.users[record.user_id]
        guild = self.state.guilds.get(record.guild_id) if record.guild_id else None
        data = {"custom_id": modal["custom_id"], "components": modal_submission(modal, dict(values))}
        origin = record.payload.get("message")
        message = self.state.messages.get(int(origin["id"])) if origin else None
        submitted = new_interaction(
            self.state,
            type=5,
            user=user,
            guild=guild,
            channel=self.state.channels[record.channel_id],
            locale=locale or record.payload.get("locale"),
            data=data,
            message=message,
        )
        return await self._dispatch(submitted)
