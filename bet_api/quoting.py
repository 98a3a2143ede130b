"""What a stake would pay: the settlement's own arithmetic over today's stakes, the member's own stake raised."""

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bet_api import payout
from bet_api.errors import EventFull, EventLocked, EventNotFound
from bet_api.models import LOCKED, BetEvent
from bet_api.placing import MAX_BETTORS, find_outcome, refuse_stake
from bet_api.schemas import OutcomeChoice, QuoteOut
from bet_api.service import db_now, refuse_closed
from bet_api.views import effective_status
from service_kit.identity import find_user_id

NEW_BET = 2**63 - 1
"""The id a new bet is priced under: it will be the newest, so it ranks after every bet in the leftover coins."""
_BETS = text("SELECT id, outcome_id, amount, user_id FROM bets WHERE event_id = :event_id ORDER BY id")


def quote(session: Session, *, guild_id: int, event_id: int, discord_id: int, outcome_id: int, amount: int) -> QuoteOut:
    """Refuse as placing the stake would now; else the payout if the outcome won with every other stake as it is."""
    event = session.scalars(select(BetEvent).where(BetEvent.id == event_id, BetEvent.guild_id == guild_id)).first()
    if event is None:
        raise EventNotFound(event_id)
    if effective_status(event.status, event.closes_at, db_now(session)) == LOCKED:
        raise EventLocked(event.id)
    refuse_closed(event)
    outcome = find_outcome(session, event.id, OutcomeChoice(outcome_id=outcome_id))
    user_id = find_user_id(session, discord_id)
    rows = session.execute(_BETS, {"event_id": event.id}).all()
    mine = next((row for row in rows if user_id is not None and row.user_id == user_id), None)
    refuse_stake(
        session, event.id, outcome.id, backed_outcome_id=None if mine is None else mine.outcome_id, amount=amount
    )
    if mine is None and len(rows) >= MAX_BETTORS:
        raise EventFull(f"this event already has {MAX_BETTORS} bettors")
    bet_id, before = (NEW_BET, 0) if mine is None else (mine.id, mine.amount)
    stakes = [payout.Stake(row.id, row.outcome_id, row.amount) for row in rows if row.id != bet_id and row.amount > 0]
    stakes.append(payout.Stake(bet_id, outcome.id, before + amount))
    stakes.sort(key=lambda stake: stake.bet_id)
    result = next(r for r in payout.settle(stakes, outcome.id) if r.bet_id == bet_id)
    session.rollback()
    return QuoteOut(
        event_id=event.id,
        outcome_id=outcome.id,
        amount=amount,
        stake_before=before,
        stake_after=before + amount,
        pool_after=sum(stake.amount for stake in stakes),
        outcome_pool_after=sum(stake.amount for stake in stakes if stake.outcome_id == outcome.id),
        payout=result.payout,
    )
