"""The local Discord for `make run`: the emulator, one server and a few members with fixed ids.

The ids never change between runs, so balances and streaks in the durable database stay with the same member.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from typing import Any

from discord_emulator import MANAGE_GUILD, Emulator, Guild, Member
from discord_emulator.state import Channel, Role

from .parse import CHANNEL, ROLE, ParseError

GUILD_ID = 1300000000000000000
MEMBERS = (  # name, id, permissions
    ("alice", 1300000000000000001, MANAGE_GUILD),
    ("bob", 1300000000000000002, 0),
    ("carol", 1300000000000000003, 0),
)
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

    def describe(self, name: str) -> str:
        perms = self.guild.permissions_for(self.members[name].id)
        return f"{name} (Manage Server)" if perms & MANAGE_GUILD else name

    def commands(self) -> dict[str, dict[str, Any]]:
        """Slash commands the bot synced (guild ones win over global ones of the same name)."""
        found = {c.name: c.payload for c in self.emulator.commands if c.type == 1}
        found.update({c.name: c.payload for c in self.emulator.guild_commands(self.guild) if c.type == 1})
        return found

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
