"""Locks that keep one request at a time on a stake or an event's settlement, and never hang a request."""

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from bet_api.errors import Busy

logger = logging.getLogger("bet_api.locking")
LOCK_WAIT_EXPIRED = frozenset({"55P03", "57014"})
_WAIT_AT_MOST = text("SELECT set_config('lock_timeout', :ms, true), set_config('statement_timeout', :ms, true)")
_LOCK = text("SELECT pg_advisory_lock(:key)")
_TRY_LOCK = text("SELECT pg_try_advisory_lock(:key)")
_UNLOCK = text("SELECT pg_advisory_unlock(:key)")


def wait_at_most(session: Session, seconds: float) -> None:
    """Bound every lock wait of the current transaction, so a stuck holder makes us answer 503, not hang."""
    session.execute(_WAIT_AT_MOST, {"ms": f"{max(1, int(seconds * 1000))}ms"})


def lock_wait_expired(exc: OperationalError) -> bool:
    return getattr(exc.orig, "pgcode", None) in LOCK_WAIT_EXPIRED


@contextmanager
def pinned_session(engine: Engine) -> Iterator[Session]:
    """A session that keeps one connection across commits, so a session-level advisory lock stays with it."""
    with engine.connect() as connection, Session(bind=connection, expire_on_commit=False) as session:
        yield session


def event_lock_key(event_id: int) -> int:
    """A 64-bit advisory lock key per event, namespaced so other services' locks never collide."""
    digest = hashlib.blake2b(f"bet_api:event:{event_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def event_lock(session: Session, event_id: int, *, wait_s: float) -> Iterator[bool]:
    """Serializes settling and cancelling one event (wait_s=0: only try); yields whether it is held."""
    key = event_lock_key(event_id)
    session.commit()
    try:
        if wait_s > 0:
            wait_at_most(session, wait_s)
            session.execute(_LOCK, {"key": key})
            held = True
        else:
            held = bool(session.execute(_TRY_LOCK, {"key": key}).scalar_one())
        session.commit()
    except OperationalError as exc:
        session.rollback()
        if lock_wait_expired(exc):
            raise Busy(f"bet event #{event_id} is being settled or cancelled by another request; "
                       "retry in a moment", event_id=event_id) from exc
        raise
    try:
        yield held
    finally:
        if held:
            _unlock(session, key)


def _unlock(session: Session, key: int) -> None:
    try:
        session.rollback()
        session.execute(_UNLOCK, {"key": key})
        session.commit()
    except DBAPIError:
        logger.warning("could not release an event lock; dropping the connection so the lock goes with it")
        connection = session.get_bind()
        if isinstance(connection, Connection):
            connection.invalidate()
