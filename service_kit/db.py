"""Engine, per-request session and health check, for services with tables; they map tables but never create them."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import DeclarativeBase, Session

from service_kit.settings import DatabaseSettings


class Base(DeclarativeBase):
    """One metadata for every service's models, so the drift check sees them all."""


def create_db_engine(settings: DatabaseSettings, application_name: str) -> Engine:
    """A pooled engine whose statements time out instead of hanging a request forever."""
    return create_engine(
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
