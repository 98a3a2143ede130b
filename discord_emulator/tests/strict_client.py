"""A bot-less client for the strict-body tests: sends a body where the bot would (registration, channel message,
edit, interaction callback) and returns Discord's answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

from discord_emulator import Emulator, Guild
from discord_emulator.interactions import new_interaction


@dataclass
class Local:
    emulator: Emulator
    guild: Guild
    http: aiohttp.ClientSession

    async def send(self, where: str, body: Any) -> tuple[int, dict[str, Any]]:
        """Send ``body`` where the case says, the way the bot would; the status and JSON of the answer."""
        api, emulator = self.emulator.base_url, self.emulator
        channel = self.guild.first_text_channel().id
        if where == "command":
            url = f"{api}/applications/{emulator.application_id}/guilds/{self.guild.id}/commands"
            return await self.call("PUT", url, [body])
        if where in ("message", "edit"):
            status, sent = await self.call(
                "POST", f"{api}/channels/{channel}/messages", {"content": "before"} if where == "edit" else body
            )
            if where == "message":
                return status, sent
            return await self.call("PATCH", f"{api}/channels/{channel}/messages/{sent['id']}", body)
        if where == "modal":
            record = self.interaction(2, {"id": "1", "name": "ask", "type": 1})
            return await self.callback(record, {"type": 9, "data": body})
        focused = {"type": 4, "name": "amount", "value": "1", "focused": True}
        record = self.interaction(4, {"id": "1", "name": "pay", "type": 1, "options": [focused]})
        return await self.callback(record, {"type": 8, "data": body})

    def interaction(self, kind: int, data: dict[str, Any]) -> Any:
        member = next(iter(self.guild.members.values()))
        channel = self.guild.first_text_channel()
        state = self.emulator.state
        return new_interaction(
            state, type=kind, user=member.user, guild=self.guild, channel=channel, locale=None, data=data
        )

    async def callback(self, record: Any, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return await self.call(
            "POST", f"{self.emulator.base_url}/interactions/{record.id}/{record.token}/callback", body
        )

    async def call(self, method: str, url: str, body: Any) -> tuple[int, dict[str, Any]]:
        headers = {"Authorization": f"Bot {self.emulator.token}"}
        async with self.http.request(method, url, json=body, headers=headers) as reply:
            return reply.status, (await reply.json() if reply.status != 204 else {})
