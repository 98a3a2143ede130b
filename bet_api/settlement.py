"""Settling and cancelling: the pending state is stored first, then ONE ledger transaction empties the escrow."""

import logging
from dataclasses import dataclass
from typing import Literal, cast

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from bet_api import payout
from bet_api.errors import (
    EventCancelled,
    EventNotFound,
    EventSettled,
    SettlementPending,
    StakePending,
)
from bet_api.locking import event_lock
from bet_api.models import (
    CANCELLED,
    CANCELLING,
    LOCKED,
    OPEN,
    SETTLED,
    SETTLING,
    BetEvent,
    BetStake,
)
from bet_api.placing import find_outcome
from bet_api.schemas import TOP_PAYOUTS, ActorIn, PayoutOut, SettleIn, SettlementOut
from bet_api.service import change_event, event_for_update, event_view, require_admin
from bet_api.settings import BetSettings
from bet_api.stakes import WAITING, complete_stake, escrow_code
from service_kit.ledger_client import LedgerClient, LedgerRefused, Move, NotConfirmed, Posting
from service_kit.locks import pinned_session
from service_kit.pending import LedgerRejected

logger = logging.getLogger("bet_api.settlement")
SINK = "sink"
SettledAs = Literal["paid", "refunded", "no_bets"]
_STAKES = text(
    "SELECT b.id, b.outcome_id, b.amount, u.discord_id FROM bets b JOIN users u ON u.id = b.user_id"
    " WHERE b.event_id = :event_id AND b.amount > 0 ORDER BY b.id"
)
_RECORD_RESULTS = text(
    "UPDATE bets b SET result = v.result, payout = v.payout, updated_at = now()"
    " FROM unnest(CAST(:ids AS bigint[]), CAST(:results AS varchar[]), CAST(:payouts AS bigint[]))"
    " AS v(id, result, payout) WHERE b.id = v.id"
)
_CLOSE = text(
    "UPDATE bet_events SET status = :final, resolved_at = now(), updated_at = now(),"
    " settlement_transaction_id = :transaction_id WHERE id = :event_id AND status = :pending"
)
_SUMMARY = text(
    "SELECT coalesce(sum(payout), 0) AS paid_out, count(*) FILTER (WHERE payout > 0) AS recipients,"
    " bool_or(result = 'won') AS won FROM bets WHERE event_id = :event_id"
)
_TOP_PAYOUTS = text(
    "SELECT u.discord_id AS user_id, b.payout AS amount FROM bets b JOIN users u ON u.id = b.user_id"
    " WHERE b.event_id = :event_id AND b.payout > 0 ORDER BY b.payout DESC, b.id LIMIT :limit"
)
FINAL = {SETTLING: SETTLED, CANCELLING: CANCELLED}


@dataclass(frozen=True)
class Closed:
    """The settlement to answer with; replayed when the event was already closed this way."""

    settlement: SettlementOut
    replayed: bool


def settle_event(
    *, engine: Engine, ledger: LedgerClient, settings: BetSettings, guild_id: int, event_id: int, body: SettleIn
) -> Closed:
    return _close(engine, ledger, settings, guild_id, event_id, body, body)


def cancel_event(
    *, engine: Engine, ledger: LedgerClient, settings: BetSettings, guild_id: int, event_id: int, actor: ActorIn
) -> Closed:
    return _close(engine, ledger, settings, guild_id, event_id, actor, None)


def _close(
    engine: Engine,
    ledger: LedgerClient,
    settings: BetSettings,
    guild_id: int,
    event_id: int,
    actor: ActorIn,
    winner: SettleIn | None,
) -> Closed:
    """One request per event at a time: the first records the pending state and pays; the rest replay it."""
    with pinned_session(engine) as session:
        if session.scalar(select(BetEvent.id).where(BetEvent.id == event_id, BetEvent.guild_id == guild_id)) is None:
            raise EventNotFound(event_id)
        with event_lock(session, event_id, wait_s=settings.settle_lock_wait_s):
            replayed = _begin(session, guild_id, event_id, actor, winner)
            if not replayed:
                finish(session, ledger, event_id, wait_s=settings.stake_lock_wait_s)
            settlement = summary(session, event_id)
    escrow = ledger.system_balance(guild_id, escrow_code(event_id))
    if escrow not in (0, None):
        logger.error("BUG: escrow of bet event %s holds %s after it closed", event_id, escrow)
    return Closed(settlement.model_copy(update={"escrow_balance": escrow}), replayed)


def _begin(session: Session, guild_id: int, event_id: int, actor: ActorIn, winner: SettleIn | None) -> bool:
    """Move to settling/cancelling under the row lock; True when it already ended exactly as asked.

    Replays first: closing an event already closing or closed the same way only finishes or repeats what an admin
    decided, so it is answered even if the actor is no admin any more; only the decision itself needs one.
    """
    event, now = event_for_update(session, guild_id, event_id)
    winning_id = None if winner is None else find_outcome(session, event.id, winner).id
    wanted = SETTLING if winner is not None else CANCELLING
    if event.status in (OPEN, LOCKED):
        require_admin(actor, "settle bet events" if winner is not None else "cancel bet events")
        change_event(
            session,
            event,
            status=wanted,
            winning_outcome_id=winning_id,
            locked_at=event.locked_at or now,
            settlement_key=f"bet:{'settle' if winner is not None else 'refund'}:{event.id}",
        )
        session.commit()
        return False
    if event.status in (wanted, FINAL[wanted]) and event.winning_outcome_id == winning_id:
        session.commit()
        return event.status == FINAL[wanted]
    if event.status in (CANCELLING, CANCELLED):
        raise EventCancelled(event.id)
    raise EventSettled(event.id, event.winning_outcome_id)


def finish(session: Session, ledger: LedgerClient, event_id: int, *, wait_s: float) -> bool:
    """Resolve the stakes still in flight, then pay the whole escrow out in one transaction; False if done."""
    event = session.get_one(BetEvent, event_id, populate_existing=True)
    if event.status not in FINAL:
        session.rollback()
        return False
    pending = session.scalars(
        select(BetStake.id).where(BetStake.event_id == event_id, BetStake.confirmed_at.is_(None)).order_by(BetStake.id)
    )
    try:
        for stake_id in list(pending):
            if complete_stake(session, ledger, stake_id, wait_s=wait_s).state == WAITING:
                raise SettlementPending(event_id)  # a forgotten member's stake, decided after the grace
    except StakePending as exc:
        raise SettlementPending(event_id) from exc
    rows = session.execute(_STAKES, {"event_id": event_id}).all()
    stakes = [payout.Stake(row.id, row.outcome_id, row.amount) for row in rows]
    if event.status == SETTLING and event.winning_outcome_id is not None:
        results = payout.settle(stakes, event.winning_outcome_id)
    else:
        results = payout.refund_all(stakes)
    transaction_id = _pay(ledger, event, results, {row.id: row.discord_id for row in rows})
    session.execute(
        _RECORD_RESULTS,
        {
            "ids": [r.bet_id for r in results],
            "results": [r.result for r in results],
            "payouts": [r.payout for r in results],
        },
    )
    session.execute(
        _CLOSE,
        {"final": FINAL[event.status], "pending": event.status, "event_id": event_id, "transaction_id": transaction_id},
    )
    session.commit()
    logger.info("bet event %s %s: %s bets, transaction %s", event_id, FINAL[event.status], len(results), transaction_id)
    return True


def settlement_move(event: BetEvent, results: list[payout.Result], discord_ids: dict[int, int | None]) -> Move:
    """Escrow → every recipient, in one balanced move; a member forgotten since betting is paid to the sink."""
    assert event.settlement_key is not None
    pool = sum(result.payout for result in results)
    postings = [Posting(-pool, system=escrow_code(event.id))]
    forgotten = 0
    for result in results:
        discord_id = discord_ids[result.bet_id]
        if result.payout > 0 and discord_id is not None:
            postings.append(Posting(result.payout, discord_id=discord_id))
        elif result.payout > 0:
            forgotten += result.payout
    if forgotten:
        postings.append(Posting(forgotten, system=SINK))
    won = any(result.result == payout.WON for result in results)
    ids = {"event_id": event.id}  # what the members' statements render, in each reader's language
    if event.winning_outcome_id is not None:
        ids["outcome_id"] = event.winning_outcome_id
    return Move(
        key=event.settlement_key,
        guild_id=event.guild_id,
        kind="bet_settle" if won else "bet_refund",
        reason=f"bet event #{event.id} {'settled' if won else 'refunded'}",
        postings=postings,
        data=ids,
    )


def _pay(
    ledger: LedgerClient, event: BetEvent, results: list[payout.Result], discord_ids: dict[int, int | None]
) -> int | None:
    """The transaction id of the payout, or None when nobody bet and nothing moves."""
    if not results:
        return None
    try:
        return ledger.post(settlement_move(event, results, discord_ids), large=True)
    except NotConfirmed as exc:
        raise SettlementPending(event.id) from exc
    except LedgerRefused as exc:
        raise LedgerRejected(f"the payout of bet event #{event.id}") from exc


def summary(session: Session, event_id: int) -> SettlementOut:
    """What a closed event paid, from the stored results, so a replay answers exactly what the first did."""
    event = session.get_one(BetEvent, event_id, populate_existing=True)
    row = session.execute(_SUMMARY, {"event_id": event_id}).one()
    outcome = "no_bets" if not row.paid_out else "paid" if row.won else "refunded"
    top = session.execute(_TOP_PAYOUTS, {"event_id": event_id, "limit": TOP_PAYOUTS}).mappings().all()
    return SettlementOut(
        event=event_view(session, event),
        outcome=cast(SettledAs, outcome),
        paid_out=row.paid_out,
        recipients=row.recipients,
        top_payouts=[PayoutOut(**paid) for paid in top],
        transaction_id=event.settlement_transaction_id,
        escrow_balance=None,
    )
