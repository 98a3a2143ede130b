"""Session-level advisory locks: one request at a time on a piece of work, across processes, never hanging."""

import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

logger = logging.getLogger("service_kit.locks")
LOCK_WAIT_EXPIRED = frozenset({"55P03", "57014"})
_WAIT_AT_MOST = text("SELECT set_config('lock_timeout', :ms, true), set_config('statement_timeout', :ms, true)")
_BOUNDED_LOCK = text(  # one statement, so that in autocommit too the bound holds for the wait it bounds
    "WITH bounded AS MATERIALIZED (SELECT set_config('lock_timeout', :ms, true))"
    " SELECT pg_advisory_lock(:key) FROM bounded"
)
_TRY_LOCK = text("SELECT pg_try_advisory_lock(:key)")
_UNLOCK = text("SELECT pg_advisory_unlock(:key)")


def wait_at_most(session: Session, seconds: float) -> None:
    """Bound every lock wait of the current transaction, so a stuck holder makes us answer 503, not hang."""
    session.execute(_WAIT_AT_MOST, {"ms": f"{max(1, int(seconds * 1000))}ms"})


def lock_wait_expired(exc: OperationalError) -> bool:
    return getattr(exc.orig, "pgcode", None) in LOCK_WAIT_EXPIRED


@contextmanager
def pinned_session(engine: Engine, session_cls: type[Session] = Session) -> Iterator[Session]:
    """A session that keeps one connection across commits, so a session-level advisory lock stays with it
    (session_cls=AutocommitSession: each statement its own transaction, a round trip each)."""
    with engine.connect() as connection, session_cls(bind=connection, expire_on_commit=False) as session:
        yield session


def advisory_key(name: str) -> int:
    """A 64-bit lock key from a namespaced name ("coin_api:daily:1:2"), so services' locks never collide."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def advisory_lock(session: Session, name: str, *, wait_s: float, busy: Callable[[], Exception]) -> Iterator[bool]:
    """Hold the named lock on a pinned session (wait_s=0: only try); yields whether it is held."""
    key = advisory_key(name)
    session.commit()
    try:
        if wait_s > 0:
            session.execute(_BOUNDED_LOCK, {"ms": f"{max(1, int(wait_s * 1000))}ms", "key": key})
            held = True
        else:
            held = bool(session.execute(_TRY_LOCK, {"key": key}).scalar_one())
        session.commit()
    except OperationalError as exc:
        session.rollback()
        if lock_wait_expired(exc):
            raise busy() from exc
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
        logger.warning("could not release an advisory lock; dropping the connection so the lock goes with it")
        connection = session.get_bind()
        if isinstance(connection, Connection):
            connection.invalidate()
