"""Placing a bet: the stake is recorded under the event's lock, committed, then moved into the escrow."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from bet_api import views
from bet_api.errors import (
    EventFull,
    EventLocked,
    OtherOutcomeBacked,
    OutcomeNotFound,
    StakePending,
    StakeRefused,
)
from bet_api.models import LOCKED, Bet, BetOutcome, BetStake
from bet_api.schemas import BetIn, OutcomeChoice, PlacedBetOut, StakeOut
from bet_api.service import event_for_update, refuse_closed
from bet_api.stakes import CONFIRMED, FORGOTTEN, REJECTED, WAITING, StakeResult, complete_stake
from service_kit.errors import IdempotencyKeyReused, InsufficientFunds
from service_kit.idempotency import request_fingerprint
from service_kit.identity import require_user_id, unknown_user
from service_kit.ledger_client import LedgerClient
from service_kit.pending import LedgerRejected
from service_kit.types import MAX_AMOUNT

MAX_BETTORS = 19_000  # a settlement pays every winner in one ledger transaction of at most 20,000 postings


@dataclass(frozen=True)
class Placement:
    """The bet to answer with, and how: 201 new stake, 200 replayed (and completed if it was pending)."""

    bet: PlacedBetOut
    status: int
    replayed: bool = False


def find_outcome(session: Session, event_id: int, choice: OutcomeChoice) -> BetOutcome:
    query = select(BetOutcome).where(BetOutcome.event_id == event_id)
    if choice.outcome_id is not None:
        query = query.where(BetOutcome.id == choice.outcome_id)
    else:
        query = query.where(BetOutcome.position == choice.position)
    outcome = session.scalars(query).one_or_none()
    if outcome is None:
        raise OutcomeNotFound(event_id)
    return outcome


def place_bet(
    session: Session, ledger: LedgerClient, *, wait_s: float, guild_id: int, event_id: int, body: BetIn, key: str
) -> Placement:
    """Record the stake once per key, then have the ledger move it into the event's escrow under its own key."""
    fingerprint = request_fingerprint(
        {"op": "bet", "guild": guild_id, "event": event_id, **body.model_dump(mode="json")}
    )
    stake = _stake_by_key(session, key, fingerprint)  # replays first: the member may have been forgotten since
    replayed = stake is not None
    if stake is None:
        user_id = require_user_id(session, body.user_id)
        stake = _record(session, guild_id, event_id, user_id, body, key, fingerprint)
    if stake is None:
        return place_bet(session, ledger, wait_s=wait_s, guild_id=guild_id, event_id=event_id, body=body, key=key)
    if stake.confirmed_at is None:
        _raise_unless_confirmed(complete_stake(session, ledger, stake.id, wait_s=wait_s), stake, body)
    return _answer(session, stake.id, replayed)


def refuse_stake(
    session: Session, event_id: int, outcome_id: int, *, backed_outcome_id: int | None, amount: int
) -> None:
    """The rules placing and quoting share: one outcome per member, and a pool that stays under the cap."""
    if backed_outcome_id is not None and backed_outcome_id != outcome_id:
        backed = session.get_one(BetOutcome, backed_outcome_id)
        raise OtherOutcomeBacked(backed.label, backed.id)
    staked = session.execute(
        select(func.coalesce(func.sum(BetStake.amount), 0)).where(BetStake.event_id == event_id)
    ).scalar_one()
    if staked + amount > MAX_AMOUNT:
        raise EventFull(f"this event's pool cannot grow past {MAX_AMOUNT} coins")


def _stake_by_key(session: Session, key: str, fingerprint: str) -> BetStake | None:
    stake = session.scalars(select(BetStake).where(BetStake.idempotency_key == key)).one_or_none()
    if stake is not None and stake.request_hash != fingerprint:
        raise IdempotencyKeyReused(f"idempotency key {key!r} was already used for a different bet")
    return stake


def _record(
    session: Session, guild_id: int, event_id: int, user_id: int, body: BetIn, key: str, fingerprint: str
) -> BetStake | None:
    """The checks and the insert run under the event's row lock, so no stake lands after a lock or settle."""
    event, _ = event_for_update(session, guild_id, event_id)
    if event.status == LOCKED:
        session.commit()
        raise EventLocked(event.id)
    refuse_closed(event)
    outcome = find_outcome(session, event.id, body)
    bet = session.scalars(select(Bet).where(Bet.event_id == event.id, Bet.user_id == user_id)).one_or_none()
    refuse_stake(
        session, event.id, outcome.id, backed_outcome_id=None if bet is None else bet.outcome_id, amount=body.amount
    )
    if bet is None:
        if session.execute(select(func.count()).where(Bet.event_id == event.id)).scalar_one() >= MAX_BETTORS:
            raise EventFull(f"this event already has {MAX_BETTORS} bettors")
        bet_id = session.execute(
            insert(Bet).values(event_id=event.id, outcome_id=outcome.id, user_id=user_id).returning(Bet.id)
        ).scalar_one()
    else:
        bet_id = bet.id
    stake = session.scalars(
        insert(BetStake)
        .values(event_id=event.id, bet_id=bet_id, amount=body.amount, idempotency_key=key, request_hash=fingerprint)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(BetStake)
    ).one_or_none()
    if stake is None:
        session.rollback()
        return None
    session.commit()
    return stake


def _raise_unless_confirmed(result: StakeResult, stake: BetStake, body: BetIn) -> None:
    if result.state == CONFIRMED:
        return
    if result.state == WAITING:
        raise StakePending(stake.id, stake.amount)
    refusal = result.refusal
    if result.state == REJECTED and refusal is not None and refusal.code == "insufficient_funds":
        balance = refusal.body.get("balance")
        raise InsufficientFunds(
            f"not enough coins to bet {body.amount}: your balance is {balance}", balance=balance, needed=body.amount
        )
    if result.state == REJECTED and refusal is not None and refusal.code == FORGOTTEN:
        raise unknown_user(body.user_id)
    if result.state == REJECTED:
        raise LedgerRejected("the stake")
    raise StakeRefused("the ledger refused this stake and no coins moved; place the bet again")


def _answer(session: Session, stake_id: int, replayed: bool) -> Placement:
    stake = session.get_one(BetStake, stake_id, populate_existing=True)
    bet = views.bet_view(session, stake.bet_id)
    assert bet is not None, "a confirmed stake keeps its bet"
    placed = PlacedBetOut(
        **bet.model_dump(),
        stake=StakeOut(
            id=stake.id,
            amount=stake.amount,
            confirmed=stake.confirmed_at is not None,
            transaction_id=stake.transaction_id,
        ),
    )
    return Placement(placed, 200 if replayed else 201, replayed)
