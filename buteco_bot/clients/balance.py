"""balance_api as the bot uses it: balances, transfers, statements, the leaderboard, and /ask's payments."""

from __future__ import annotations

from typing import Any

from ..core.clients import Reply, ServiceApi, ServiceRefused

SINK = "sink"  # the guild's system account that paid commands pay into


class BalanceApi(ServiceApi):
    """The ledger; every money move carries the idempotency key of the interaction that asked for it."""

    plugin_id = "balance"

    async def balance(self, guild_id: int, user_id: int) -> int:
        data = await self.http.get(f"/guilds/{guild_id}/members/{user_id}/balance")
        return int(data["balance"])

    async def transfer(
        self, guild_id: int, from_id: int, to_id: int, amount: int, reason: str | None, *, key: str
    ) -> Reply:
        """Member to member; the answer's postings carry each side's balance after."""
        body: dict[str, Any] = {"from_user_id": str(from_id), "to_user_id": str(to_id), "amount": amount}
        if reason:
            body["reason"] = reason
        return await self.http.post(f"/guilds/{guild_id}/transfers", body, idempotency_key=key)

    async def statement(self, guild_id: int, user_id: int, *, limit: int, before_id: int | None) -> dict[str, Any]:
        """One page of the member's postings, newest first; `next_before_id` asks for the next one."""
        return await self.http.get(f"/guilds/{guild_id}/members/{user_id}/statement", limit=limit, before_id=before_id)

    async def leaderboard(self, guild_id: int, *, limit: int, user_id: int) -> dict[str, Any]:
        """The top `limit` and, as `caller`, the rank of `user_id` (null when unranked)."""
        return await self.http.get(f"/guilds/{guild_id}/leaderboard", limit=limit, user_id=user_id)

    async def pay_sink(self, guild_id: int, user_id: int, amount: int, *, kind: str, reason: str, key: str) -> Reply:
        """The member pays `amount` into the guild's sink; a negative amount gives coins back from it."""
        body = {
            "guild_id": str(guild_id),
            "kind": kind,
            "reason": reason,
            "postings": [{"user_id": str(user_id), "amount": -amount}, {"system": SINK, "amount": amount}],
        }
        return await self.http.post("/transactions", body, idempotency_key=key)

    async def transaction(self, key: str) -> dict[str, Any] | None:
        """The transaction posted under an idempotency key; None when there is none."""
        try:
            return await self.http.get(f"/transactions/by-key/{key}")
        except ServiceRefused as exc:
            if exc.status == 404:
                return None
            raise
