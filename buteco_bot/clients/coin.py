"""coin_api as the bot uses it: a member's daily claim and, when today's is taken, when the next one comes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core.clients import ServiceApi


@dataclass(frozen=True)
class Claim:
    """Today's claim; `credited` is False while coin_api still has to post it to balance_api."""

    amount: int
    streak: int
    credited: bool


@dataclass(frozen=True)
class DailyStatus:
    """Where the member stands when today's claim is already taken."""

    streak: int
    next_amount: int
    next_claim_at: str | None


class CoinApi(ServiceApi):
    """The daily reward with streaks; coin_api credits it through balance_api itself."""

    plugin_id = "coin"

    @staticmethod
    def _daily(guild_id: int, user_id: int) -> str:
        return f"/guilds/{guild_id}/members/{user_id}/daily"

    async def claim(self, guild_id: int, user_id: int, *, key: str) -> Claim:
        """Today's claim; ServiceRefused `daily_already_claimed` when it is already taken."""
        data: dict[str, Any] = (await self.http.post(self._daily(guild_id, user_id), idempotency_key=key)).data
        return Claim(data["amount"], data["streak"], data.get("credited", True))

    async def status(self, guild_id: int, user_id: int) -> DailyStatus:
        data = await self.http.get(self._daily(guild_id, user_id))
        return DailyStatus(data.get("streak", 0), data.get("next_amount", 0), data.get("next_claim_at"))
