"""Engine, per-request session and health check, for services with tables; they map tables but never create them."""

from collections.abc import AsyncIterator, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy import Connection, Engine, create_engine, event, exc, text
from sqlalchemy.orm import DeclarativeBase, Session

from service_kit.deps import get_engine
from service_kit.settings import DatabaseSettings
from service_kit.timing import TimedConnection

BUSY_NOT_GONE = frozenset({"57014", "55P03"})
"""A statement or lock wait that ran out: the server is up but busy, so running it again at once would not help."""


class Base(DeclarativeBase):
    """One metadata for every service's models, so the drift check sees them all."""


class AutocommitSession(Session):
    """A session whose every statement is a transaction of its own: one round trip each, no BEGIN, COMMIT or
    ROLLBACK on the wire. For routes that only read, or write in one statement; never for a multi-statement write.

    It flips psycopg2's autocommit on the connection it gets (SQLAlchemy's isolation_level option would cost a SET
    round trip on check-in); psycopg2 sends nothing for commit or rollback with no transaction open, and the pool
    turns the flag back off on check-in (create_db_engine)."""


@event.listens_for(AutocommitSession, "after_begin")
def _statements_commit_alone(_session: Session, _transaction: object, connection: Connection) -> None:
    connection.connection.dbapi_connection.autocommit = True


def _transactional_again(dbapi_connection: object, _record: object) -> None:
    """Back in the pool, a connection opens transactions again for whoever takes it next (no round trip)."""
    if getattr(dbapi_connection, "autocommit", False) and not dbapi_connection.closed:
        dbapi_connection.autocommit = False


@dataclass
class RequestWork:
    """What a request did to the database so far: once a transaction committed, running it again is not safe."""

    committed: bool = False


request_work: ContextVar[RequestWork | None] = ContextVar("request_work", default=None)


def _note_commit(_connection: object) -> None:
    work = request_work.get()
    if work is not None:
        work.committed = True


def is_database_blip(error: BaseException) -> bool:
    """The database, not the request, failed: a connection lost, refused or timed out (never a 500)."""
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, (exc.OperationalError, exc.InterfaceError, exc.TimeoutError))


def worth_retrying(error: BaseException) -> bool:
    """A lost or refused connection may work on a new one; an exhausted pool or a timed-out statement would not."""
    if isinstance(error, exc.TimeoutError):
        return False
    return getattr(getattr(error, "orig", None), "pgcode", None) not in BUSY_NOT_GONE


def create_db_engine(settings: DatabaseSettings, application_name: str) -> Engine:
    """A pooled engine whose statements time out and are timed, and whose commits a request's retry can see.

    No pre-ping: it was a round trip per checkout. A connection that died in the pool fails its first statement
    as a disconnect, which invalidates the whole pool, and ServiceEdge (service_kit.middleware) runs the request again.
    """
    engine = create_engine(
        settings.sqlalchemy_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        connect_args={
            "connection_factory": TimedConnection,
            "application_name": application_name,
            "connect_timeout": settings.db_connect_timeout_s,
            "options": f"-c statement_timeout={settings.db_statement_timeout_ms} -c timezone=UTC",
        },
    )
    event.listen(engine, "commit", _note_commit)
    event.listen(engine, "checkin", _transactional_again)
    return engine


def database_check(app: FastAPI) -> str:
    """/health's "database": one round trip on the pool, so a dead server or a wrong password shows at once."""
    try:
        with app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return "ok"
    except Exception:
        return "unreachable"


async def get_db(request: Request) -> AsyncIterator[Session]:
    """One session per request, made on the event loop (no I/O until its first statement) and closed by the
    endpoint's own thread (service_kit.app), so neither end costs a thread-pool hand-off."""
    session = Session(request.app.state.engine, expire_on_commit=False)
    try:
        yield session
    finally:
        if session.in_transaction():  # still open: its ROLLBACK is a round trip, kept off the event loop
            await run_in_threadpool(session.close)
        else:
            session.close()


SessionDep = Annotated[Session, Depends(get_db)]


async def get_autocommit_db(request: Request) -> AsyncIterator[Session]:
    """An AutocommitSession per request: a read is one round trip (not BEGIN + SELECT + ROLLBACK), and closing it
    sends nothing, so it closes wherever it ends."""
    with AutocommitSession(request.app.state.engine, expire_on_commit=False) as session:
        yield session


AutocommitSessionDep = Annotated[Session, Depends(get_autocommit_db)]


def _calls(dependant: Dependant) -> Iterator[Callable | None]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def uses_database(route: APIRoute) -> bool:
    """Whether a route asks for a session or the engine, so it may meet the database down (503)."""
    return bool({get_db, get_autocommit_db, get_engine} & set(_calls(route.dependant)))
