"""Read models: events with their live pools and odds, and bets with their results, each in a few queries."""

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import cast

from sqlalchemy import text
from sqlalchemy.orm import Session

from bet_api.models import LOCKED, OPEN, BetEvent
from bet_api.schemas import BetOut, EventOut, EventStatus, OutcomeOut

_OUTCOME_POOLS = text(
    "SELECT o.event_id, o.id, o.position, o.label, coalesce(sum(b.amount), 0) AS pool,"
    " count(b.id) FILTER (WHERE b.amount > 0) AS bettors"
    " FROM bet_outcomes o LEFT JOIN bets b ON b.event_id = o.event_id AND b.outcome_id = o.id"
    " WHERE o.event_id = ANY(:ids) GROUP BY o.id ORDER BY o.event_id, o.position"
)
_DISCORD_IDS = text("SELECT id, discord_id FROM users WHERE id = ANY(:ids)")
_BETS = (
    "SELECT b.id, b.event_id, e.title, e.status, e.closes_at, b.outcome_id, o.position, o.label, u.discord_id,"
    " b.amount, b.result, b.payout, b.created_at, b.updated_at, coalesce(p.pending, 0) AS pending_amount,"
    " now() AS now"
    " FROM bets b JOIN bet_events e ON e.id = b.event_id JOIN bet_outcomes o ON o.id = b.outcome_id"
    " JOIN users u ON u.id = b.user_id"
    " LEFT JOIN LATERAL (SELECT sum(s.amount) AS pending FROM bet_stakes s"
    "  WHERE s.bet_id = b.id AND s.confirmed_at IS NULL) p ON true"
)
_BET_BY_ID = text(_BETS + " WHERE b.id = :bet_id")
_BET_ON_EVENT = text(_BETS + " WHERE b.event_id = :event_id AND e.guild_id = :guild_id AND u.discord_id = :discord_id")
_BETS_OF_MEMBER = text(
    _BETS + " WHERE b.user_id = :user_id AND e.guild_id = :guild_id AND b.id < :before_id ORDER BY b.id DESC"
    " LIMIT :limit"
)
CENT = Decimal("0.01")


def effective_status(status: str, closes_at: datetime | None, now: datetime) -> EventStatus:
    """An open event past its closes_at is locked, whether or not the lazy lock has been written yet."""
    return cast(EventStatus, LOCKED if status == OPEN and closes_at is not None and closes_at <= now else status)


def odds(total_pool: int, outcome_pool: int) -> float | None:
    """What one coin on this outcome would return if it won: pool ÷ outcome pool, rounded for display."""
    if outcome_pool <= 0:
        return None
    return float((Decimal(total_pool) / Decimal(outcome_pool)).quantize(CENT, rounding=ROUND_HALF_UP))


def event_views(session: Session, events: list[BetEvent], now: datetime) -> list[EventOut]:
    """Events with every outcome's live pool: one query for all pools, one for the creators."""
    ids = [event.id for event in events]
    pools: dict[int, list] = {event_id: [] for event_id in ids}
    for row in session.execute(_OUTCOME_POOLS, {"ids": ids}):
        pools[row.event_id].append(row)
    creator_ids = list({event.creator_id for event in events})
    creators: dict[int, int | None] = dict(session.execute(_DISCORD_IDS, {"ids": creator_ids}).all())
    views = []
    for event in events:
        total = sum(row.pool for row in pools[event.id])
        outcomes = [
            OutcomeOut(
                id=row.id,
                position=row.position,
                label=row.label,
                pool=row.pool,
                bettors=row.bettors,
                odds=odds(total, row.pool),
            )
            for row in pools[event.id]
        ]
        views.append(
            EventOut(
                id=event.id,
                guild_id=event.guild_id,
                title=event.title,
                description=event.description,
                status=effective_status(event.status, event.closes_at, now),
                closes_at=event.closes_at,
                channel_id=event.channel_id,
                creator_id=creators.get(event.creator_id),
                winning_outcome_id=event.winning_outcome_id,
                total_pool=total,
                bettors=sum(row.bettors for row in pools[event.id]),
                outcomes=outcomes,
                settlement_transaction_id=event.settlement_transaction_id,
                created_at=event.created_at,
                updated_at=event.updated_at,
                locked_at=event.locked_at,
                resolved_at=event.resolved_at,
            )
        )
    return views


def _bet(row) -> BetOut:
    return BetOut(
        id=row.id,
        event_id=row.event_id,
        event_title=row.title,
        event_status=effective_status(row.status, row.closes_at, row.now),
        outcome_id=row.outcome_id,
        outcome_position=row.position,
        outcome_label=row.label,
        user_id=row.discord_id,
        amount=row.amount,
        pending_amount=row.pending_amount,
        result=row.result or "pending",
        payout=row.payout,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def bet_view(session: Session, bet_id: int) -> BetOut | None:
    row = session.execute(_BET_BY_ID, {"bet_id": bet_id}).one_or_none()
    return None if row is None else _bet(row)


def bet_on_event_view(session: Session, *, guild_id: int, event_id: int, discord_id: int) -> BetOut | None:
    """The member's one bet on an event (one side per member), None when they have none."""
    params = {"guild_id": guild_id, "event_id": event_id, "discord_id": discord_id}
    row = session.execute(_BET_ON_EVENT, params).one_or_none()
    return None if row is None else _bet(row)


def member_bet_views(session: Session, *, guild_id: int, user_id: int, before_id: int, limit: int) -> list[BetOut]:
    """A member's bets in a guild, newest first; limit rows from before_id down."""
    params = {"guild_id": guild_id, "user_id": user_id, "before_id": before_id, "limit": limit}
    return [_bet(row) for row in session.execute(_BETS_OF_MEMBER, params)]
