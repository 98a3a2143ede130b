"""balance_api client for bets: tells a confirmed move from one that may or may not have happened."""

import logging
from dataclasses import dataclass, field
from urllib.parse import quote

import httpx

from service_kit.client import InternalClient

logger = logging.getLogger("bet_api.balance_client")
RETRYABLE_STATUSES = frozenset({408, 429})


class MoveNotConfirmed(Exception):
    """No answer, or a 5xx: the ledger may have applied it, so only a re-post with the same key may follow."""


class MoveRefused(Exception):
    """The ledger answered with a 4xx: nothing moved and the key is still free."""

    def __init__(self, status: int, code: str, body: dict) -> None:
        super().__init__(f"{status} {code}")
        self.status, self.code, self.body = status, code, body


def escrow_code(event_id: int) -> str:
    """The guild's system account holding an event's stakes until it is settled or cancelled."""
    return f"escrow:bet:{event_id}"


@dataclass(frozen=True)
class Leg:
    """One posting: a member by Discord id or a system account, and a signed amount."""

    amount: int
    discord_id: int | None = None
    system: str | None = None

    def wire(self) -> dict:
        owner = {"user_id": str(self.discord_id)} if self.discord_id is not None else {"system": self.system}
        return {**owner, "amount": self.amount}


@dataclass(frozen=True)
class Move:
    """One balanced ledger transaction; everything in it derives from stored rows, so every re-post is equal."""

    key: str
    guild_id: int
    kind: str
    reason: str
    legs: list[Leg] = field(default_factory=list)

    def body(self) -> dict:
        return {
            "guild_id": str(self.guild_id),
            "kind": self.kind,
            "reason": self.reason[:200],
            "postings": [leg.wire() for leg in self.legs],
        }


class BalanceClient:
    """Posts to balance_api's POST /transactions, which replays a key and never moves coins twice."""

    def __init__(self, client: InternalClient, settle_client: InternalClient) -> None:
        self._client = client
        self._settle_client = settle_client

    def post(self, move: Move, *, large: bool = False) -> int:
        """The ledger transaction id of this move, applied now or earlier under the same key."""
        client = self._settle_client if large else self._client
        try:
            response = client.request("POST", "/transactions", json=move.body(), headers={"Idempotency-Key": move.key})
        except httpx.RequestError as exc:
            logger.warning("move %s not confirmed: %s: %s", move.key, type(exc).__name__, exc)
            raise MoveNotConfirmed(move.key) from exc
        if response.status_code in (200, 201):
            return _transaction_id(move.key, response)
        if response.status_code >= 500 or response.status_code in RETRYABLE_STATUSES:
            logger.warning("move %s not confirmed: balance_api answered %s", move.key, response.status_code)
            raise MoveNotConfirmed(move.key)
        body = _json(response)
        code = str(body.get("code", "unknown"))
        if code == "idempotency_key_reused":
            logger.error("balance_api holds another body under our key %s; taking its transaction", move.key)
            found = self.find(move.key)
            if found is not None:
                return found
        if code != "insufficient_funds":
            logger.error("balance_api refused move %s: %s %s", move.key, response.status_code, response.text)
        raise MoveRefused(response.status_code, code, body)

    def find(self, key: str) -> int | None:
        """The transaction applied under key, or None when the ledger has none."""
        try:
            response = self._client.request("GET", f"/transactions/by-key/{quote(key, safe='')}")
        except httpx.RequestError as exc:
            raise MoveNotConfirmed(key) from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise MoveNotConfirmed(key)
        return _transaction_id(key, response)

    def system_balance(self, guild_id: int, code: str) -> int | None:
        """A system account's balance (to prove an escrow is empty), or None when the ledger does not answer."""
        try:
            response = self._client.request("GET", f"/guilds/{guild_id}/system/{code}/balance")
            response.raise_for_status()
            return int(response.json()["balance"])
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            logger.warning("could not read %s of guild %s: %s", code, guild_id, exc)
            return None

    def close(self) -> None:
        self._client.close()
        self._settle_client.close()


def _transaction_id(key: str, response: httpx.Response) -> int:
    try:
        return int(response.json()["id"])
    except (ValueError, KeyError, TypeError) as exc:
        logger.error("move %s: balance_api answered %s without a transaction id", key, response.status_code)
        raise MoveNotConfirmed(key) from exc


def _json(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
