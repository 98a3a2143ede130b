"""Two-phase holds: a member's coins reserved now, then captured to a system account or released, exactly once."""

from datetime import datetime
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.orm import Session

from balance_api import ledger
from balance_api.errors import HoldCaptured, HoldExpired, HoldNotFound, HoldReleased
from balance_api.permissions import HOLD_KINDS, authorize_hold_owner
from balance_api.schemas import HoldOut
from service_kit.idempotency import request_fingerprint

HOLDS = "holds"
"""The guild's system account where reserved coins wait: its balance is the sum of the guild's active holds."""

_SELECT = (
    "SELECT h.id, h.guild_id, u.discord_id, h.system_code, h.amount, h.kind, h.reason, h.status,"
    " h.expires_at, h.created_at, h.resolved_at, h.hold_transaction_id, h.final_transaction_id"
    " FROM holds h JOIN accounts a ON a.id = h.user_account_id LEFT JOIN users u ON u.id = a.user_id"
)
_BY_KEY = text(_SELECT + " WHERE h.idempotency_key = :key")
_BY_ID = text(_SELECT + " WHERE h.id = :id AND h.guild_id = :guild_id")
# Migration HoldFunctions: each is one autocommit call, the hold's row and its ledger move in one transaction.
_CREATE = ledger.prepared(
    "ledger_hold_call",
    "SELECT ledger_hold($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    guild_id="bigint",
    discord_id="bigint",
    system="varchar",
    amount="bigint",
    kind="varchar",
    reason="varchar",
    expires_in_s="integer",
    key="varchar",
    hash="bpchar",
)
_RESOLVE = ledger.prepared(
    "ledger_resolve_hold_call",
    "SELECT ledger_resolve_hold($1, $2, $3, $4)",
    guild_id="bigint",
    hold_id="bigint",
    action="varchar",
    kinds="varchar[]",
)
_EXPIRE = ledger.prepared("ledger_expire_hold_call", "SELECT ledger_expire_hold($1)", hold_id="bigint")


def _out(row: Row) -> HoldOut:
    return HoldOut(
        id=row.id,
        guild_id=row.guild_id,
        user_id=row.discord_id,
        system=row.system_code,
        amount=row.amount,
        kind=row.kind,
        reason=row.reason,
        status=row.status,
        expires_at=row.expires_at,
        created_at=row.created_at,
        resolved_at=row.resolved_at,
        hold_transaction_id=row.hold_transaction_id,
        final_transaction_id=row.final_transaction_id,
    )


def _answer(answer: dict[str, Any], key: str) -> tuple[HoldOut, bool]:
    if "refused" in answer:
        raise ledger.refusal(answer, key)
    return HoldOut.model_validate(answer["hold"]), answer["replayed"]


def create(
    session: Session,
    *,
    guild_id: int,
    discord_id: int,
    system: str,
    amount: int,
    kind: str,
    reason: str | None,
    expires_in_s: int,
    key: str,
) -> tuple[HoldOut, bool]:
    """Take the coins from the member now, with the hold's row in the same transaction; a replay answers the first."""
    fingerprint = request_fingerprint(
        {
            "op": "hold",
            "guild": guild_id,
            "user": discord_id,
            "system": system,
            "amount": amount,
            "kind": kind,
            "reason": reason,
            "expires_in_s": expires_in_s,
        }
    )
    ledger.check_key(key)
    params = {
        "guild_id": guild_id,
        "discord_id": discord_id,
        "system": system,
        "amount": amount,
        "kind": kind,
        "reason": reason,
        "expires_in_s": expires_in_s,
        "key": key,
        "hash": fingerprint,
    }
    return _answer(ledger.call(session, _CREATE, params), key)


def _resolve(session: Session, *, guild_id: int, hold_id: int, caller: str, action: str) -> tuple[HoldOut, bool]:
    """Only the caller whose row creates a kind of hold may capture or release one: the function checks the kind."""
    kinds = [kind for kind, flow in HOLD_KINDS.items() if flow.caller == caller]
    answer = ledger.call(
        session, _RESOLVE, {"guild_id": guild_id, "hold_id": hold_id, "action": action, "kinds": kinds}
    )
    refused = answer.get("refused")
    if refused == "hold_not_found":
        raise HoldNotFound(f"guild {guild_id} has no hold {hold_id}")
    if refused == "forbidden":
        authorize_hold_owner(caller, answer["kind"])
    if refused == "hold_released":
        raise HoldReleased(f"hold {hold_id} was released: its coins went back to the member")
    if refused == "hold_expired":
        expired_at = datetime.fromisoformat(answer["expires_at"]).isoformat()
        raise HoldExpired(f"hold {hold_id} expired at {expired_at}: nothing was charged")
    if refused == "hold_captured":
        raise HoldCaptured(f"hold {hold_id} was captured: the move is final")
    return _answer(answer, "")


def capture(session: Session, *, guild_id: int, hold_id: int, caller: str) -> tuple[HoldOut, bool]:
    """Make the move final, once; a hold past its expiry is released instead, even before the sweeper gets to it."""
    return _resolve(session, guild_id=guild_id, hold_id=hold_id, caller=caller, action="capture")


def release(session: Session, *, guild_id: int, hold_id: int, caller: str) -> tuple[HoldOut, bool]:
    """Give the coins back, once; a hold already released or expired answers as it is, a captured one refuses."""
    return _resolve(session, guild_id=guild_id, hold_id=hold_id, caller=caller, action="release")


def expire_if_due(session: Session, hold_id: int) -> bool:
    """The sweeper's step: release one expired hold unless a capture or release holds it right now."""
    return bool(ledger.call(session, _EXPIRE, {"hold_id": hold_id}))


def get(session: Session, *, guild_id: int, hold_id: int) -> HoldOut:
    row = session.execute(_BY_ID, {"id": hold_id, "guild_id": guild_id}).one_or_none()
    if row is None:
        raise HoldNotFound(f"guild {guild_id} has no hold {hold_id}")
    return _out(row)


def by_key(session: Session, *, key: str) -> HoldOut:
    """Lets a caller that lost the answer to a hold learn whether the coins were reserved."""
    row = session.execute(_BY_KEY, {"key": key}).one_or_none()
    if row is None:
        raise HoldNotFound(f"no hold has the idempotency key {key!r}")
    return _out(row)
