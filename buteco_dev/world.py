"""The local Discord for `make run`: the emulator, one server and a few members with fixed ids.

The ids never change between runs, so balances and streaks in the durable database stay with the same member.
"""

from __future__ import annotations

import asyncio
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from discord_emulator import MANAGE_GUILD, Emulator, Guild, Member, Message
from discord_emulator.command_rules import LOCALES
from discord_emulator.payloads import guild_payload
from discord_emulator.state import Channel, Role

from .parse import CHANNEL, ROLE, ParseError, leaves

GUILD_ID = 1300000000000000000
MEMBERS = (  # name, id, permissions
    ("alice", 1300000000000000001, MANAGE_GUILD),
    ("bob", 1300000000000000002, 0),
    ("carol", 1300000000000000003, 0),
)
GUILDS_INTENT = 1 << 0
MENTION = re.compile(r"^<[@#][!&]?(\d+)>$")


@dataclass
class World:
    emulator: Emulator
    guild: Guild
    members: dict[str, Member]

    @classmethod
    async def create(cls) -> World:
        emulator = Emulator()
        await emulator.start()
        guild = emulator.add_guild("Buteco (local)", guild_id=GUILD_ID)
        members = {
            name: emulator.add_member(guild, user_id=uid, name=name, permissions=perms) for name, uid, perms in MEMBERS
        }
        return cls(emulator, guild, members)

    def bot_env(self) -> dict[str, str]:
        """What points `python -m buteco_bot` at this emulator, with instant guild command sync."""
        return {
            "DISCORD_TOKEN": self.emulator.token,
            "DISCORD_API_BASE": self.emulator.base_url,
            "DISCORD_GATEWAY_URL": self.emulator.gateway_url,
            "DEV_GUILD_ID": str(self.guild.id),
        }

    def join(self, name: str) -> Member:
        """A new member; the id comes from the name, so the same name is the same member in every run."""
        user_id = GUILD_ID + 1000 + zlib.crc32(name.encode())
        self.members[name] = self.emulator.add_member(self.guild, user_id=user_id, name=name)
        return self.members[name]

    def set_locale(self, member: Member | None, code: str | None) -> str:
        """A member's client language (or the server's, member None) as Discord sends it; the one now in use."""
        if code is not None:
            found = next((c for c in LOCALES if c.lower() == code.lower()), None)
            if found is None:
                raise ParseError(f"{code!r} is not a Discord locale (e.g. en-US, pt-BR, es-ES, fr, de)")
            if member is None:
                self.guild.locale = found  # Discord tells the bot with GUILD_UPDATE (preferred_locale)
                payload = guild_payload(self.guild, self.emulator.state)
                self.emulator.state.emit("GUILD_UPDATE", payload, self.guild.id, GUILDS_INTENT)
            else:
                member.user.locale = found
        return self.guild.locale if member is None else member.user.locale

    async def report_violations(self, say: Callable[[str], None], every: float = 0.5) -> None:
        """Print each rule the bot broke and each stalled loop as it happens: nothing wrong goes unseen."""
        seen = len(self.emulator.violations)
        while True:
            await asyncio.sleep(every)
            for violation in self.emulator.violations[seen:]:
                say(f"! Discord emulator: {violation.kind}: {violation.detail}")
            seen = len(self.emulator.violations)

    def describe(self, name: str) -> str:
        member = self.members[name]
        notes = ["Manage Server"] if self.guild.permissions_for(member.id) & MANAGE_GUILD else []
        notes += [member.user.locale] if member.user.locale != "en-US" else []
        return f"{name} ({', '.join(notes)})" if notes else name

    def commands(self) -> dict[str, dict[str, Any]]:
        """Slash commands the bot synced (guild ones win over global ones of the same name)."""
        found = {c.name: c.payload for c in self.emulator.commands if c.type == 1}
        found.update({c.name: c.payload for c in self.emulator.guild_commands(self.guild) if c.type == 1})
        return found

    def command_forms(self) -> str:
        """Every command form the bot registered, one per line with its description."""
        found = sorted(self.commands().items())
        return "\n".join(f"{form} — {description}" for n, p in found for form, description in leaves(n, p))

    def latest_public_reply(self, user_id: int | None, channel_id: int | None = None) -> Message | None:
        """The newest non-ephemeral bot message answering this member (or any, user None), preferring one with
        buttons; ``channel_id`` includes the bot's own posts there (announcements)."""
        state = self.emulator.state

        def fits(m: Message) -> bool:
            owner = state.interactions[m.interaction_id].user_id if m.interaction_id in state.interactions else None
            return (user_id is None or owner == user_id) and (channel_id is None or m.channel_id == channel_id)

        replies = [m for m in self.emulator.messages() if not m.deleted and m.visible_to is None and fits(m)]
        return next((m for m in reversed(replies) if m.components), replies[-1] if replies else None)

    def display_name(self, user_id: int) -> str:
        user = self.emulator.state.users.get(user_id)
        return user.username if user else str(user_id)

    def resolve(self, kind: int, text: str) -> Member | Channel | Role:
        """`@bob`, `bob`, `<@id>` or an id -> the member; `#general` -> a channel; `@role` -> a role."""
        match = MENTION.match(text)
        key = text.lstrip("@#").lower()
        if kind == CHANNEL:
            found = [
                c
                for c in self.guild.channels.values()
                if (match and c.id == int(match[1])) or (c.name or "").lower() == key
            ]
            what = "channel"
        elif kind == ROLE:
            found = [
                r
                for r in self.guild.roles.values()
                if (match and r.id == int(match[1])) or r.name.lower().lstrip("@") == key
            ]
            what = "role"
        else:
            found = [
                m
                for m in self.guild.members.values()
                if (match and m.id == int(match[1]))
                or str(m.id) == text
                or key in (m.user.username.lower(), (m.nick or "").lower())
            ]
            what = "member"
        if not found:
            raise ParseError(f"no {what} called {text!r} here")
        return found[0]
