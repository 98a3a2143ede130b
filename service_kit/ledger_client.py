"""The one balance_api client of the services that move money: every answer is a move confirmed, refused or unknown."""

import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from service_kit.client import InternalClient

logger = logging.getLogger("service_kit.ledger_client")
RETRYABLE_STATUSES = frozenset({408, 429})
"""Besides every 5xx: answers after which the ledger may or may not have applied the request."""


class NotConfirmed(Exception):
    """No answer, a 5xx, a 408/429, a 2xx without its id: the ledger may have applied it; only re-post the same key."""

    def __init__(self, key: str, why: str) -> None:
        super().__init__(f"{key}: {why}")
        self.key = key


class LedgerRefused(Exception):
    """A 4xx: nothing moved and the key stays free; `code` and `body` say why (insufficient_funds, hold_expired...)."""

    def __init__(self, status: int, code: str, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {code}")
        self.status, self.code, self.body = status, code, body


class StillInFlight(Exception):
    """A member was forgotten too recently to tell: a request sent before the forget may still be applied."""


@dataclass(frozen=True)
class Posting:
    """One leg of a move: a member by Discord id or a system account, and a signed amount."""

    amount: int
    discord_id: int | None = None
    system: str | None = None

    def wire(self) -> dict[str, Any]:
        owner = {"user_id": str(self.discord_id)} if self.discord_id is not None else {"system": self.system}
        return {**owner, "amount": self.amount}


@dataclass(frozen=True)
class Move:
    """One balanced ledger transaction, derived from stored rows alone so that every re-post is the same request."""

    key: str
    guild_id: int
    kind: str
    reason: str
    postings: list[Posting] = field(default_factory=list)
    data: dict[str, int] | None = None
    """Named ids (claim number, bet id...) members' statements are rendered from, in each reader's language."""

    def body(self) -> dict[str, Any]:
        return {
            "guild_id": str(self.guild_id),
            "kind": self.kind,
            "reason": self.reason[:200],
            "postings": [posting.wire() for posting in self.postings],
            **({} if self.data is None else {"data": self.data}),
        }


@dataclass(frozen=True)
class Applied:
    """A transaction the ledger holds under a key: enough to tell whether it is the move we meant."""

    id: int
    guild_id: int
    kind: str


@dataclass(frozen=True)
class Hold:
    """balance_api's two-phase hold (held, captured, released or expired), as its `Hold` body says."""

    id: int
    guild_id: int
    status: str
    amount: int
    replayed: bool
    body: dict[str, Any]


class LedgerClient:
    """balance_api's POST /transactions, by-key lookups and holds; it replays a key, so a retry never pays twice."""

    def __init__(
        self, client: InternalClient, large_client: InternalClient | None = None, *, forgotten_grace_s: float = 60.0
    ) -> None:
        self._client = client
        self._large_client = large_client or client
        self.forgotten_grace_s = forgotten_grace_s

    def post(self, move: Move, *, large: bool = False) -> int:
        """The ledger transaction id of this move, applied now or earlier under the same key."""
        client = self._large_client if large else self._client
        headers = {"Idempotency-Key": move.key}
        response = self._send(client, "POST", "/transactions", move.key, json=move.body(), headers=headers)
        if response.status_code in (200, 201):
            return _field(move.key, response, "id")
        refusal = _refusal(response)
        if refusal.code == "idempotency_key_reused":
            return self._reused(move, refusal)
        if refusal.code != "insufficient_funds":
            logger.error("balance_api refused move %s: %s %s", move.key, response.status_code, response.text[:500])
        raise refusal

    def _reused(self, move: Move, refusal: LedgerRefused) -> int:
        """Our keys come from our rows: what the ledger holds under one is our move, posted with an older body."""
        applied = self.find(move.key)
        if applied is not None and (applied.guild_id, applied.kind) == (move.guild_id, move.kind):
            logger.warning("move %s was applied earlier with another body; taking transaction %s", move.key, applied.id)
            return applied.id
        logger.error("BUG: balance_api holds another request under our key %s: %s", move.key, refusal.body)
        raise refusal

    def find(self, key: str) -> Applied | None:
        """The transaction applied under key, or None when the ledger has none."""
        response = self._send(self._client, "GET", f"/transactions/by-key/{quote(key, safe='')}", key)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise NotConfirmed(key, f"balance_api answered {response.status_code}")
        return Applied(_field(key, response, "id"), _field(key, response, "guild_id"), str(response.json().get("kind")))

    def left_by_forgotten(self, key: str, *, forgotten_for_s: float) -> int | None:
        """The move a member forgotten since made under key; None (it never will be) once the grace has passed.

        A forgotten member has no Discord id to post by, so only a move already made counts. One sent just before
        the forget may still be running in balance_api: until the grace has passed, StillInFlight.
        """
        applied = self.find(key)
        if applied is not None:
            return applied.id
        if forgotten_for_s < self.forgotten_grace_s:
            raise StillInFlight(key)
        return None

    def system_balance(self, guild_id: int, code: str) -> int | None:
        """A system account's balance (to prove an escrow is empty), or None when the ledger does not answer."""
        try:
            response = self._client.request("GET", f"/guilds/{guild_id}/system/{code}/balance")
            response.raise_for_status()
            return int(response.json()["balance"])
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            logger.warning("could not read %s of guild %s: %s", code, guild_id, exc)
            return None

    def hold(
        self,
        guild_id: int,
        *,
        key: str,
        discord_id: int,
        system: str,
        amount: int,
        kind: str,
        expires_in_s: int,
        reason: str | None = None,
    ) -> Hold:
        """Reserve a member's coins for a paid command: they leave the balance now, capture or release comes later."""
        body = {
            "user_id": str(discord_id),
            "system": system,
            "amount": amount,
            "kind": kind,
            "expires_in_s": expires_in_s,
            **({"reason": reason[:200]} if reason else {}),
        }
        return self._hold_call("POST", f"/guilds/{guild_id}/holds", key, json=body, headers={"Idempotency-Key": key})

    def capture(self, guild_id: int, hold_id: int) -> Hold:
        """Make a hold's move final, exactly once; a repeat answers the same Hold."""
        return self._hold_call("POST", f"/guilds/{guild_id}/holds/{hold_id}/capture", f"hold:{hold_id}:capture")

    def release(self, guild_id: int, hold_id: int) -> Hold:
        """Give a hold's coins back, exactly once; a repeat answers the same Hold."""
        return self._hold_call("POST", f"/guilds/{guild_id}/holds/{hold_id}/release", f"hold:{hold_id}:release")

    def find_hold(self, key: str) -> Hold | None:
        """The hold created under key, or None when there is none (so a lost answer can be told from no hold)."""
        try:
            return self._hold_call("GET", f"/holds/by-key/{quote(key, safe='')}", key)
        except LedgerRefused as exc:
            if exc.code == "hold_not_found":
                return None
            raise

    def _hold_call(
        self, method: str, path: str, key: str, *, json: Any = None, headers: dict[str, str] | None = None
    ) -> Hold:
        response = self._send(self._client, method, path, key, json=json, headers=headers)
        if response.status_code not in (200, 201):
            raise _refusal(response)
        body = response.json()
        return Hold(
            id=_field(key, response, "id"),
            guild_id=_field(key, response, "guild_id"),
            status=str(body.get("status")),
            amount=_field(key, response, "amount"),
            replayed=response.headers.get("Idempotent-Replayed") == "true",
            body=body,
        )

    @staticmethod
    def _send(client: InternalClient, method: str, path: str, key: str, **sent: Any) -> httpx.Response:
        """One request; no answer, a 5xx or a 408/429 is NotConfirmed, anything else is the caller's to read."""
        try:
            response = client.request(method, path, **sent)
        except httpx.RequestError as exc:
            logger.warning("%s not confirmed: %s: %s", key, type(exc).__name__, exc)
            raise NotConfirmed(key, type(exc).__name__) from exc
        if response.status_code >= 500 or response.status_code in RETRYABLE_STATUSES:
            logger.warning("%s not confirmed: balance_api answered %s", key, response.status_code)
            raise NotConfirmed(key, f"balance_api answered {response.status_code}")
        return response

    def close(self) -> None:
        self._client.close()
        if self._large_client is not self._client:
            self._large_client.close()


def _field(key: str, response: httpx.Response, name: str) -> int:
    """An integer field of a 2xx body; a body without it is an answer we cannot trust, so not a confirmation."""
    try:
        return int(response.json()[name])
    except (ValueError, KeyError, TypeError) as exc:
        logger.error("%s: balance_api answered %s without %s", key, response.status_code, name)
        raise NotConfirmed(key, f"answer without {name}") from exc


def _refusal(response: httpx.Response) -> LedgerRefused:
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    return LedgerRefused(response.status_code, str(body.get("code", "unknown")), body)
