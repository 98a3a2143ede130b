"""balance_api as the bot uses it: balances, transfers, statements, the leaderboard, and the holds paid commands use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core.clients import Reply, ServiceApi, ServiceRefused

SINK = "sink"  # the guild's system account that paid commands pay into


@dataclass(frozen=True)
class Hold:
    """Coins reserved for a paid command: captured when it delivered, released (or expired) when it did not."""

    id: int
    guild_id: int
    amount: int
    status: str  # held | captured | released | expired
    expires_at: str

    @classmethod
    def of(cls, data: dict[str, Any]) -> Hold:
        return cls(int(data["id"]), int(data["guild_id"]), int(data["amount"]), data["status"], data["expires_at"])


class BalanceApi(ServiceApi):
    """The ledger; every money move carries the idempotency key of the interaction that asked for it."""

    plugin_id = "balance"

    async def balance(self, guild_id: int, user_id: int) -> int:
        """The coins the member can spend (their held coins are not part of it)."""
        data = await self.http.get(f"/guilds/{guild_id}/members/{user_id}/balance")
        return int(data["balance"])

    async def transfer_limit(self) -> int:
        """The most coins one transfer may move (the ledger's TRANSFER_MAX_AMOUNT)."""
        return int((await self.http.get("/limits"))["transfer_max_amount"])

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

    async def hold(
        self, guild_id: int, user_id: int, amount: int, *, kind: str, reason: str, expires_in_s: int, key: str
    ) -> Hold:
        """Reserve the member's coins for `kind`, paid to the sink on capture; ServiceRefused insufficient_funds."""
        body = {
            "user_id": str(user_id),
            "system": SINK,
            "amount": amount,
            "kind": kind,
            "reason": reason,
            "expires_in_s": expires_in_s,
        }
        return Hold.of((await self.http.post(f"/guilds/{guild_id}/holds", body, idempotency_key=key)).data)

    async def capture(self, hold: Hold) -> Hold:
        """Make the move final; exactly once however often it is asked, so a lost answer is asked again."""
        path = f"/guilds/{hold.guild_id}/holds/{hold.id}/capture"
        return Hold.of((await self.http.post(path, idempotent=True)).data)

    async def release(self, hold: Hold) -> Hold:
        """Give the coins back; exactly once however often it is asked."""
        path = f"/guilds/{hold.guild_id}/holds/{hold.id}/release"
        return Hold.of((await self.http.post(path, idempotent=True)).data)

    async def hold_by_key(self, key: str) -> Hold | None:
        """The hold created under an idempotency key; None when there is none."""
        try:
            return Hold.of(await self.http.get(f"/holds/by-key/{key}"))
        except ServiceRefused as exc:
            if exc.status == 404:
                return None
            raise
