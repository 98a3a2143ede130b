"""balance_api client for daily credits: tells a confirmed credit from one that may or may not have happened."""

import logging
from dataclasses import dataclass

import httpx

from service_kit.client import InternalClient

logger = logging.getLogger("coin_api.balance_client")
RETRYABLE_STATUSES = frozenset({408, 429})


class CreditNotConfirmed(Exception):
    """No answer, or a 5xx: the ledger may have applied it, so only a re-post with the same key may follow."""


class CreditRefused(Exception):
    """The ledger answered with a refusal no retry fixes (a reused key, a 4xx): a bug to look at."""


@dataclass(frozen=True)
class DailyCredit:
    """One claim's credit; everything in it derives from the claim row, so every re-post is the same request."""

    guild_id: int
    user_id: int
    discord_id: int
    claim_number: int
    streak: int
    amount: int

    @property
    def key(self) -> str:
        """Keyed by the internal user id: a member who is forgotten and registers again gets fresh keys."""
        return f"daily:{self.guild_id}:{self.user_id}:{self.claim_number}"

    def body(self) -> dict:
        return {
            "guild_id": str(self.guild_id),
            "kind": "daily",
            "reason": f"daily reward #{self.claim_number} (streak {self.streak})",
            "postings": [
                {"system": "mint", "amount": -self.amount},
                {"user_id": str(self.discord_id), "amount": self.amount},
            ],
        }


class BalanceClient:
    """Posts daily credits to balance_api's POST /transactions; balance_api replays a key, never pays twice."""

    def __init__(self, client: InternalClient) -> None:
        self._client = client

    def credit(self, credit: DailyCredit) -> int:
        """The ledger transaction id of this credit, applied now or earlier under the same key."""
        try:
            response = self._client.request(
                "POST", "/transactions", json=credit.body(), headers={"Idempotency-Key": credit.key}
            )
        except httpx.RequestError as exc:
            logger.warning("credit %s not confirmed: %s: %s", credit.key, type(exc).__name__, exc)
            raise CreditNotConfirmed(credit.key) from exc
        if response.status_code in (200, 201):
            return self._transaction_id(credit, response)
        if response.status_code >= 500 or response.status_code in RETRYABLE_STATUSES:
            logger.warning("credit %s not confirmed: balance_api answered %s", credit.key, response.status_code)
            raise CreditNotConfirmed(credit.key)
        code = _error_code(response)
        if code == "idempotency_key_reused":
            logger.error("BUG: balance_api holds another request under key %s: %s", credit.key, response.text)
        else:
            logger.error("balance_api refused credit %s: %s %s", credit.key, response.status_code, response.text)
        raise CreditRefused(f"{response.status_code} {code}")

    @staticmethod
    def _transaction_id(credit: DailyCredit, response: httpx.Response) -> int:
        try:
            return int(response.json()["id"])
        except (ValueError, KeyError, TypeError) as exc:
            logger.error(
                "credit %s: balance_api answered %s without a transaction id", credit.key, response.status_code
            )
            raise CreditNotConfirmed(credit.key) from exc

    def close(self) -> None:
        self._client.close()


def _error_code(response: httpx.Response) -> str:
    try:
        return str(response.json().get("code", "unknown"))
    except (ValueError, AttributeError):
        return "unknown"
