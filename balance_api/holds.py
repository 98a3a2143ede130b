"""Two-phase holds: a member's coins reserved now, then captured to a system account or released, exactly once."""

from sqlalchemy import Row, text
from sqlalchemy.orm import Session

from balance_api import ledger
from balance_api.errors import HoldCaptured, HoldExpired, HoldNotFound, HoldReleased
from balance_api.ledger import Leg
from balance_api.permissions import authorize_hold_owner
from balance_api.schemas import HoldOut
from service_kit.errors import IdempotencyKeyReused, ServiceError
from service_kit.idempotency import request_fingerprint
from service_kit.identity import require_user_id

HOLDS = "holds"
"""The guild's system account where reserved coins wait: its balance is the sum of the guild's active holds."""

_SELECT = (
    "SELECT h.id, h.guild_id, u.discord_id, a.user_id, h.system_code, h.amount, h.kind, h.reason, h.status,"
    " h.request_hash, h.expires_at, h.created_at, h.resolved_at, h.hold_transaction_id, h.final_transaction_id,"
    " h.expires_at <= clock_timestamp() AS past_expiry"
    " FROM holds h JOIN accounts a ON a.id = h.user_account_id LEFT JOIN users u ON u.id = a.user_id"
)
_BY_KEY = text(_SELECT + " WHERE h.idempotency_key = :key")
_BY_ID = text(_SELECT + " WHERE h.id = :id AND h.guild_id = :guild_id")
_LOCK = text(_SELECT + " WHERE h.id = :id AND h.guild_id = :guild_id FOR UPDATE OF h")
_LOCK_UNLESS_BUSY = text(_SELECT + " WHERE h.id = :id FOR UPDATE OF h SKIP LOCKED")
_INSERT = text(
    "INSERT INTO holds (guild_id, user_account_id, system_code, amount, kind, reason, idempotency_key, request_hash,"
    " expires_at, hold_transaction_id) VALUES (:guild_id, :account_id, :system, :amount, :kind, :reason, :key,"
    " :hash, now() + make_interval(secs => :expires_in_s), :transaction_id) RETURNING id"
)
_RESOLVE = text(
    "UPDATE holds SET status = :status, resolved_at = now(), final_transaction_id = :transaction_id WHERE id = :id"
)


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


def _replay(session: Session, key: str, fingerprint: str) -> HoldOut | None:
    """The hold a key already made, else None; a key another move or another hold took is refused."""
    # The ledger key first: a twin that commits between the two reads then shows its hold row too (one transaction).
    if not ledger.key_used(session, key):
        return None
    row = session.execute(_BY_KEY, {"key": key}).one_or_none()
    if row is None or row.request_hash != fingerprint:
        raise IdempotencyKeyReused(f"idempotency key {key!r} was already used for a different request")
    return _out(row)


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

    def decide() -> tuple[HoldOut, bool]:
        user_id = require_user_id(session, discord_id)
        legs = [Leg(amount=-amount, user_id=user_id, discord_id=discord_id), Leg(amount=amount, system=HOLDS)]

        def reserve() -> int | None:
            posted = ledger.write(
                session, guild_id=guild_id, kind="hold", reason=reason, key=key, fingerprint=fingerprint, legs=legs
            )
            if posted is None:
                return None
            params = {
                "guild_id": guild_id,
                "account_id": posted.postings[0].account_id,
                "system": system,
                "amount": amount,
                "kind": kind,
                "reason": reason,
                "key": key,
                "hash": fingerprint,
                "expires_in_s": expires_in_s,
                "transaction_id": posted.id,
            }
            return session.execute(_INSERT, params).scalar_one()

        hold_id = ledger.atomically(session, reserve)
        if hold_id is None:  # a twin request committed the key between our check and our claim
            first = _replay(session, key, fingerprint)
            assert first is not None
            return first, True
        return get(session, guild_id=guild_id, hold_id=hold_id), False

    return ledger.answer_once(lambda: _replay(session, key, fingerprint), decide)


def _resolve(session: Session, hold: Row, status: str) -> None:
    """The second move, in the caller's transaction: holds → the system account, or holds → back to the member."""
    captured = status == "captured"
    receiver = (
        Leg(amount=hold.amount, system=hold.system_code)
        if captured
        else Leg(amount=hold.amount, user_id=hold.user_id, discord_id=hold.discord_id)
    )
    key = f"{ledger.RESERVED_PREFIX}{hold.id}:{'capture' if captured else 'release'}"
    posted = ledger.write(
        session,
        guild_id=hold.guild_id,
        kind=hold.kind if captured else "hold_release",
        reason=hold.reason,
        key=key,
        fingerprint=request_fingerprint({"op": key}),
        legs=[Leg(amount=-hold.amount, system=HOLDS), receiver],
    )
    if posted is None:
        raise RuntimeError(f"ledger key {key} is taken while hold {hold.id} is still held")
    session.execute(_RESOLVE, {"id": hold.id, "status": status, "transaction_id": posted.id})


def _locked(session: Session, guild_id: int, hold_id: int, caller: str) -> Row:
    hold = session.execute(_LOCK, {"id": hold_id, "guild_id": guild_id}).one_or_none()
    if hold is None:
        raise HoldNotFound(f"guild {guild_id} has no hold {hold_id}")
    authorize_hold_owner(caller, hold.kind)
    return hold


def _finish(
    session: Session, guild_id: int, hold_id: int, replayed: bool, refusal: ServiceError | None
) -> tuple[HoldOut, bool]:
    """After the commit: the refusal, or the hold as it now stands."""
    if refusal is not None:
        raise refusal
    return get(session, guild_id=guild_id, hold_id=hold_id), replayed


def capture(session: Session, *, guild_id: int, hold_id: int, caller: str) -> tuple[HoldOut, bool]:
    """Make the move final, once; a hold past its expiry is released instead, even before the sweeper gets to it."""

    def settle() -> tuple[bool, ServiceError | None]:
        hold = _locked(session, guild_id, hold_id, caller)
        if hold.status == "held" and not hold.past_expiry:
            _resolve(session, hold, "captured")
            return False, None
        if hold.status == "captured":
            return True, None
        if hold.status == "released":
            return False, HoldReleased(f"hold {hold_id} was released: its coins went back to the member")
        if hold.status == "held":  # past its expiry: released right here, so a late capture never charges
            _resolve(session, hold, "expired")
        return False, HoldExpired(f"hold {hold_id} expired at {hold.expires_at.isoformat()}: nothing was charged")

    return _finish(session, guild_id, hold_id, *ledger.atomically(session, settle))


def release(session: Session, *, guild_id: int, hold_id: int, caller: str) -> tuple[HoldOut, bool]:
    """Give the coins back, once; a hold already released or expired answers as it is, a captured one refuses."""

    def give_back() -> tuple[bool, ServiceError | None]:
        hold = _locked(session, guild_id, hold_id, caller)
        if hold.status == "held":
            _resolve(session, hold, "released")
            return False, None
        if hold.status == "captured":
            return False, HoldCaptured(f"hold {hold_id} was captured: the move is final")
        return True, None

    return _finish(session, guild_id, hold_id, *ledger.atomically(session, give_back))


def expire_if_due(session: Session, hold_id: int) -> bool:
    """The sweeper's step: release one expired hold unless a capture or release holds it right now."""

    def expire() -> bool:
        hold = session.execute(_LOCK_UNLESS_BUSY, {"id": hold_id}).one_or_none()
        if hold is None or hold.status != "held" or not hold.past_expiry:
            return False
        _resolve(session, hold, "expired")
        return True

    return ledger.atomically(session, expire)


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
