"""Moving a recorded stake into the escrow under its own key, one request per stake at a time."""

import logging
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bet_api.errors import Busy, StakePending
from service_kit.ledger_client import LedgerClient, LedgerRefused, Move, NotConfirmed, Posting, StillInFlight
from service_kit.locks import lock_wait_expired, wait_at_most
from service_kit.pending import FORGOTTEN_COLUMNS

logger = logging.getLogger("bet_api.stakes")
CONFIRMED, REJECTED, SKIPPED, WAITING = "confirmed", "rejected", "skipped", "waiting"
FORGOTTEN = "user_not_found"
"""The refusal of a stake dropped because its member was forgotten before the ledger moved it."""
_STAKE = (
    "SELECT s.id, s.event_id, s.bet_id, b.outcome_id, s.amount, s.transaction_id, e.guild_id, u.discord_id,"
    f" {FORGOTTEN_COLUMNS}"
    " FROM bet_stakes s JOIN bet_events e ON e.id = s.event_id JOIN bets b ON b.id = s.bet_id"
    " JOIN users u ON u.id = b.user_id WHERE s.id = :id FOR UPDATE OF s"
)
_LOCK_STAKE = text(_STAKE)
_TRY_LOCK_STAKE = text(_STAKE + " SKIP LOCKED")
_CONFIRM = text(
    "WITH confirmed AS (UPDATE bet_stakes SET confirmed_at = now(), transaction_id = :transaction_id"
    " WHERE id = :id AND confirmed_at IS NULL RETURNING bet_id, amount)"
    " UPDATE bets b SET amount = b.amount + c.amount, updated_at = now() FROM confirmed c WHERE b.id = c.bet_id"
)
_LOCK_EVENT = text("SELECT id FROM bet_events WHERE id = :event_id FOR UPDATE")
_DELETE_STAKE = text("DELETE FROM bet_stakes WHERE id = :id")
_DELETE_EMPTY_BET = text(
    "DELETE FROM bets b WHERE b.id = :bet_id AND NOT EXISTS (SELECT 1 FROM bet_stakes s WHERE s.bet_id = b.id)"
)


@dataclass(frozen=True)
class StakeResult:
    """confirmed (in the escrow), rejected (refused or its member forgotten: nothing moved, the stake deleted),
    skipped (busy or gone), or waiting (its member was forgotten too recently to know whether it moved)."""

    state: str
    refusal: LedgerRefused | None = None


def escrow_code(event_id: int) -> str:
    """The guild's system account holding an event's stakes until it is settled or cancelled."""
    return f"escrow:bet:{event_id}"


def stake_key(stake_id: int) -> str:
    return f"bet:stake:{stake_id}"


def stake_move(row) -> Move:
    """The member → escrow move of one stake, derived from its row alone so every re-post is identical."""
    return Move(
        key=stake_key(row.id),
        guild_id=row.guild_id,
        kind="bet_stake",
        reason=f"stake on bet event #{row.event_id}",
        postings=[
            Posting(-row.amount, discord_id=row.discord_id),
            Posting(row.amount, system=escrow_code(row.event_id)),
        ],
        data={"event_id": row.event_id, "outcome_id": row.outcome_id},
    )


def complete_stake(
    session: Session, ledger: LedgerClient, stake_id: int, *, wait_s: float, skip_locked: bool = False
) -> StakeResult:
    """Post a pending stake (or learn it was posted) and record the answer, holding the stake's row lock."""
    session.commit()
    try:
        wait_at_most(session, wait_s)
        row = session.execute(_TRY_LOCK_STAKE if skip_locked else _LOCK_STAKE, {"id": stake_id}).one_or_none()
    except OperationalError as exc:
        session.rollback()
        if lock_wait_expired(exc):
            raise Busy("another request is moving this stake; retry in a moment", stake_id=stake_id) from exc
        raise
    if row is None:
        session.rollback()
        return StakeResult(SKIPPED)
    if row.transaction_id is not None:
        session.rollback()
        return StakeResult(CONFIRMED)
    try:
        transaction_id = _post(ledger, row)
    except NotConfirmed as exc:
        session.rollback()
        raise StakePending(row.id, row.amount) from exc
    except StillInFlight:
        session.rollback()
        return StakeResult(WAITING)
    except LedgerRefused as refusal:
        _discard(session, row)
        return StakeResult(REJECTED, refusal)
    try:
        session.execute(_CONFIRM, {"id": row.id, "transaction_id": transaction_id})
        session.commit()
    except OperationalError as exc:
        session.rollback()
        logger.warning("stake %s is in the escrow but could not be marked; a retry will: %s", row.id, exc)
        raise StakePending(row.id, row.amount) from exc
    return StakeResult(CONFIRMED)


def _post(ledger: LedgerClient, row) -> int:
    """A member forgotten since the stake has no Discord id to post by: only a move already made counts, and the
    stake is dropped (nothing moved) once no request sent before the forget can still land."""
    if row.discord_id is None:
        found = ledger.left_by_forgotten(stake_key(row.id), forgotten_for_s=float(row.forgotten_for_s))
        if found is None:
            logger.info("stake %s of a forgotten member dropped: the ledger never moved it", row.id)
            raise LedgerRefused(404, FORGOTTEN, {"detail": "the member was forgotten"})
        return found
    return ledger.post(stake_move(row))


def _discard(session: Session, row) -> None:
    """A refused stake moved nothing: delete it (freeing its key), and its bet if it was the bet's only stake."""
    # The event lock keeps a placement from adding a stake to the bet while it is being deleted.
    session.execute(_LOCK_EVENT, {"event_id": row.event_id})
    session.execute(_DELETE_STAKE, {"id": row.id})
    session.execute(_DELETE_EMPTY_BET, {"bet_id": row.bet_id})
    session.commit()
