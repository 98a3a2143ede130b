"""Event use cases: create, read, list, lock (by hand or lazily at closes_at), and a member's bets."""

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from bet_api import views
from bet_api.errors import (
    BetNotFound,
    ClosesAtInPast,
    DuplicateOutcomes,
    EventCancelled,
    EventNotFound,
    EventSettled,
    NotAdmin,
)
from bet_api.models import CANCELLED, CANCELLING, LOCKED, OPEN, BetEvent, BetOutcome
from bet_api.schemas import ActorIn, BetOut, BetPageOut, EventIn, EventOut, EventPageOut
from service_kit.errors import IdempotencyKeyReused
from service_kit.idempotency import request_fingerprint
from service_kit.identity import require_user_id

NO_CURSOR = 2**63 - 1


@dataclass(frozen=True)
class Answer:
    """An event to answer with, and how: 201 created, 200 replayed."""

    event: EventOut
    status: int
    replayed: bool = False


def require_admin(actor: ActorIn, action: str) -> None:
    """The bot says whether the actor holds Manage Server; the API enforces it, not only the bot."""
    if not actor.actor_is_admin:
        raise NotAdmin(action)


def db_now(session: Session) -> datetime:
    return session.execute(select(func.now())).scalar_one()


def lock_expired(session: Session, *, guild_id: int | None = None, event_id: int | None = None) -> int:
    """Writes the lazy lock of open events past closes_at (locked at their closes_at); the caller commits."""
    query = update(BetEvent).where(BetEvent.status == OPEN, BetEvent.closes_at <= func.now())
    if guild_id is not None:
        query = query.where(BetEvent.guild_id == guild_id)
    if event_id is not None:
        query = query.where(BetEvent.id == event_id)
    values = {"status": LOCKED, "locked_at": BetEvent.closes_at, "updated_at": func.now()}
    result = session.execute(query.values(**values).execution_options(synchronize_session=False))
    return cast(CursorResult, result).rowcount


def refuse_closed(event: BetEvent) -> None:
    """Settled or cancelled events (or ones being closed) refuse every further change."""
    if event.status in (CANCELLING, CANCELLED):
        raise EventCancelled(event.id)
    if event.status not in (OPEN, LOCKED):
        raise EventSettled(event.id, event.winning_outcome_id)


def event_for_update(session: Session, guild_id: int, event_id: int) -> tuple[BetEvent, datetime]:
    """The event row locked, with the database's clock, and its lazy lock applied (not yet committed)."""
    lock_expired(session, guild_id=guild_id, event_id=event_id)
    row = session.execute(
        select(BetEvent, func.now())
        .where(BetEvent.id == event_id, BetEvent.guild_id == guild_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if row is None:
        raise EventNotFound(event_id)
    return row.tuple()


def change_event(session: Session, event: BetEvent, **values: object) -> BetEvent:
    """Update the (locked) event row and return it as stored; the caller commits."""
    session.execute(update(BetEvent).where(BetEvent.id == event.id).values(updated_at=func.now(), **values))
    return session.get_one(BetEvent, event.id, populate_existing=True)


def event_view(session: Session, event: BetEvent) -> EventOut:
    return views.event_views(session, [event], db_now(session))[0]


def create_event(session: Session, *, guild_id: int, body: EventIn, key: str) -> Answer:
    """Record an event and its outcomes once per key; the creator must be a registered admin."""
    fingerprint = request_fingerprint({"op": "event", "guild": guild_id, **body.model_dump(mode="json")})
    replayed = _event_by_key(session, key, fingerprint)  # replays first: the creator may have been forgotten since
    if replayed is not None:
        return Answer(event_view(session, replayed), 200, replayed=True)
    if len({label.casefold() for label in body.outcomes}) != len(body.outcomes):
        raise DuplicateOutcomes()
    require_admin(body, "create bet events")
    creator_id = require_user_id(session, body.actor_id)
    if body.closes_at is not None and body.closes_at <= db_now(session):
        raise ClosesAtInPast()
    event_id = session.scalars(
        insert(BetEvent)
        .values(
            guild_id=guild_id,
            creator_id=creator_id,
            title=body.title,
            description=body.description or None,
            closes_at=body.closes_at,
            channel_id=body.channel_id,
            idempotency_key=key,
            request_hash=fingerprint,
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(BetEvent.id)
    ).one_or_none()
    if event_id is None:
        session.rollback()
        return create_event(session, guild_id=guild_id, body=body, key=key)
    session.execute(
        insert(BetOutcome),
        [
            {"event_id": event_id, "position": position, "label": label}
            for position, label in enumerate(body.outcomes, start=1)
        ],
    )
    session.commit()
    return Answer(event_view(session, session.get_one(BetEvent, event_id)), 201)


def _event_by_key(session: Session, key: str, fingerprint: str) -> BetEvent | None:
    event = session.scalars(select(BetEvent).where(BetEvent.idempotency_key == key)).one_or_none()
    if event is not None and event.request_hash != fingerprint:
        raise IdempotencyKeyReused(f"idempotency key {key!r} was already used to create another event")
    return event


def get_event(session: Session, *, guild_id: int, event_id: int) -> EventOut:
    lock_expired(session, event_id=event_id)
    session.commit()
    event = session.scalars(
        select(BetEvent).where(BetEvent.id == event_id, BetEvent.guild_id == guild_id)
    ).one_or_none()
    if event is None:
        raise EventNotFound(event_id)
    return event_view(session, event)


def list_events(
    session: Session, *, guild_id: int, status: str | None, limit: int, before_id: int | None
) -> EventPageOut:
    """A guild's events, newest first, one keyset page at a time, optionally of one status."""
    lock_expired(session, guild_id=guild_id)
    session.commit()
    query = select(BetEvent).where(BetEvent.guild_id == guild_id, BetEvent.id < (before_id or NO_CURSOR))
    if status is not None:
        query = query.where(BetEvent.status == status)
    events = list(session.scalars(query.order_by(BetEvent.id.desc()).limit(limit + 1)))
    items = views.event_views(session, events[:limit], db_now(session)) if events else []
    return EventPageOut(items=items, next_before_id=items[-1].id if len(events) > limit else None)


def lock_event(session: Session, *, guild_id: int, event_id: int, actor: ActorIn) -> EventOut:
    """Stop taking bets; locking a locked event again is a no-op, a closed one is refused."""
    require_admin(actor, "lock bet events")
    event, now = event_for_update(session, guild_id, event_id)
    refuse_closed(event)
    if event.status == OPEN:
        event = change_event(session, event, status=LOCKED, locked_at=now)
    session.commit()
    return event_view(session, event)


def member_bet_on_event(session: Session, *, guild_id: int, event_id: int, discord_id: int) -> BetOut:
    bet = views.bet_on_event_view(session, guild_id=guild_id, event_id=event_id, discord_id=discord_id)
    if bet is None:
        raise BetNotFound(event_id)
    return bet


def member_bets(session: Session, *, guild_id: int, discord_id: int, limit: int, before_id: int | None) -> BetPageOut:
    """A member's bets in a guild with their results, newest first."""
    user_id = require_user_id(session, discord_id)
    rows = views.member_bet_views(
        session, guild_id=guild_id, user_id=user_id, before_id=before_id or NO_CURSOR, limit=limit + 1
    )
    items = rows[:limit]
    return BetPageOut(items=items, next_before_id=items[-1].id if len(rows) > limit else None)
