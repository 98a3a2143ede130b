"""bet_api as the bot uses it: events, stakes, settlement and cancellation, each member's bets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..core.clients import Reply, ServiceApi, ServiceRefused


@dataclass(frozen=True)
class Actor:
    """Who acts on an event; bet_api believes `is_admin` only because only the bot may call it."""

    user_id: int
    is_admin: bool

    def body(self) -> dict[str, Any]:
        return {"actor_id": str(self.user_id), "actor_is_admin": self.is_admin}


class BetApi(ServiceApi):
    """Community bets: stakes wait in an escrow, the winners share the pool; bet_api moves the coins itself."""

    plugin_id = "bet"

    @staticmethod
    def _event(guild_id: int, event_id: int) -> str:
        return f"/guilds/{guild_id}/events/{event_id}"

    async def events(
        self, guild_id: int, *, status: str | None = None, limit: int, before_id: int | None = None
    ) -> dict[str, Any]:
        """One page of the guild's events, newest first; `next_before_id` asks for the next one."""
        return await self.http.get(f"/guilds/{guild_id}/events", status=status, limit=limit, before_id=before_id)

    async def event(self, guild_id: int, event_id: int) -> dict[str, Any]:
        """The event with its outcomes, pools and odds."""
        return await self.http.get(self._event(guild_id, event_id))

    async def create_event(
        self,
        guild_id: int,
        actor: Actor,
        *,
        title: str,
        outcomes: list[str],
        description: str | None,
        closes_at: datetime | None,
        channel_id: int | None,
        key: str,
    ) -> Reply:
        """`channel_id` is where the event is announced, and where it says so if it locks by itself."""
        body: dict[str, Any] = {**actor.body(), "title": title, "outcomes": outcomes}
        if channel_id:
            body["channel_id"] = str(channel_id)
        if description:
            body["description"] = description
        if closes_at:
            body["closes_at"] = closes_at.isoformat()
        return await self.http.post(f"/guilds/{guild_id}/events", body, idempotency_key=key)

    async def place(
        self, guild_id: int, event_id: int, *, user_id: int, outcome_id: int, amount: int, key: str
    ) -> Reply:
        """A stake on one outcome; the answer is the member's whole bet on this event."""
        body = {"user_id": str(user_id), "amount": amount, "outcome_id": outcome_id}
        return await self.http.post(self._event(guild_id, event_id) + "/bets", body, idempotency_key=key)

    async def quote(
        self, guild_id: int, event_id: int, *, user_id: int, outcome_id: int, amount: int
    ) -> dict[str, Any]:
        """Refused as placing would be now, else the payout settlement would make: nothing is recorded."""
        path = self._event(guild_id, event_id) + "/quote"
        return await self.http.get(path, user_id=user_id, outcome_id=outcome_id, amount=amount)

    async def lock(self, guild_id: int, event_id: int, actor: Actor) -> dict[str, Any]:
        return (await self.http.post(self._event(guild_id, event_id) + "/lock", actor.body())).data

    async def settle(self, guild_id: int, event_id: int, outcome_id: int, actor: Actor) -> dict[str, Any]:
        """The settlement: the closed event, what was paid, to how many, and the largest payouts."""
        body = {**actor.body(), "outcome_id": outcome_id}
        return (await self.http.post(self._event(guild_id, event_id) + "/settle", body)).data

    async def cancel(self, guild_id: int, event_id: int, actor: Actor) -> dict[str, Any]:
        """Like settle, every stake refunded."""
        return (await self.http.post(self._event(guild_id, event_id) + "/cancel", actor.body())).data

    async def member_bet(self, guild_id: int, event_id: int, user_id: int) -> dict[str, Any] | None:
        """The member's bet on the event (the side they may still raise); None when they have none."""
        try:
            return await self.http.get(self._event(guild_id, event_id) + f"/bets/{user_id}")
        except ServiceRefused as exc:
            if exc.code == "bet_not_found":
                return None
            raise

    async def lock_announcements(self, *, limit: int) -> list[dict[str, Any]]:
        """Events that locked by themselves and were not announced yet; each is handed out once, so no retry."""
        reply = await self.http.request("POST", "/bets/lock-announcements", params={"limit": limit})
        return reply.data["items"]

    async def member_bets(
        self, guild_id: int, user_id: int, *, limit: int, before_id: int | None = None
    ) -> dict[str, Any]:
        """One page of the member's bets with their results, newest first."""
        return await self.http.get(f"/guilds/{guild_id}/members/{user_id}/bets", limit=limit, before_id=before_id)
