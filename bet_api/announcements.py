"""Bets that locked by themselves at closes_at, handed to the bot once each so it announces them in their channel."""

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bet_api import views
from bet_api.models import BetEvent
from bet_api.schemas import LockAnnouncementsOut
from bet_api.service import db_now, lock_expired

_CLAIM = text(
    "UPDATE bet_events SET lock_announced_at = now() WHERE id IN ("
    " SELECT id FROM bet_events WHERE status = 'locked' AND channel_id IS NOT NULL AND lock_announced_at IS NULL"
    " AND locked_at = closes_at ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED) RETURNING id"
)


def claim_lock_announcements(session: Session, *, limit: int) -> LockAnnouncementsOut:
    """Write the lazy locks now, then claim up to `limit` events locked at their closes_at and not yet announced.

    A claim is final (at most once): a bot that crashes between the claim and its message misses one announcement,
    which beats announcing twice; an event locked by an admin (locked_at is not closes_at) was announced by them."""
    lock_expired(session)
    ids = list(session.execute(_CLAIM, {"limit": limit}).scalars())
    session.commit()
    if not ids:
        return LockAnnouncementsOut(items=[])
    events = list(session.scalars(select(BetEvent).where(BetEvent.id.in_(ids)).order_by(BetEvent.id)))
    return LockAnnouncementsOut(items=views.event_views(session, events, db_now(session)))
