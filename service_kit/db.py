"""Engine, per-request session and health check, for services with tables; they map tables but never create them."""

from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy import Engine, create_engine, event, exc, text
from sqlalchemy.orm import DeclarativeBase, Session

from service_kit.deps import get_engine
from service_kit.settings import DatabaseSettings

BUSY_NOT_GONE = frozenset({"57014", "55P03"})
"""A statement or lock wait that ran out: the server is up but busy, so running it again at once would not help."""


class Base(DeclarativeBase):
    """One metadata for every service's models, so the drift check sees them all."""


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
    """A pooled engine whose statements time out, and whose commits a request's retry can see."""
    engine = create_engine(
        settings.sqlalchemy_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=True,
        connect_args={
            "application_name": application_name,
            "connect_timeout": settings.db_connect_timeout_s,
            "options": f"-c statement_timeout={settings.db_statement_timeout_ms} -c timezone=UTC",
        },
    )
    event.listen(engine, "commit", _note_commit)
    return engine


def database_check(app: FastAPI) -> str:
    """/health's "database": one round trip on the pool, so a dead server or a wrong password shows at once."""
    try:
        with app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return "ok"
    except Exception:
        return "unreachable"


def get_db(request: Request) -> Iterator[Session]:
    """One session per request, closed (and rolled back if unfinished) when the request ends."""
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_db)]


def _calls(dependant: Dependant) -> Iterator[Callable | None]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def uses_database(route: APIRoute) -> bool:
    """Whether a route asks for a session or the engine, so it may meet the database down (503)."""
    return bool({get_db, get_engine} & set(_calls(route.dependant)))
