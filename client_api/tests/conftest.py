"""A real client_api process on a freshly migrated PostgreSQL, and helpers to talk to it and to the database."""

import itertools
from collections.abc import Callable, Iterator

import httpx
import psycopg2
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from tests.support.services import ServiceProcess, auth_headers

SERVICE_MODULE = "client_api.main"
_ids = itertools.count(3 * 10**17)


def new_discord_id() -> int:
    """A fresh Discord-like id, so tests sharing one database never collide."""
    return next(_ids)


def sqlalchemy_url(database_url: str) -> str:
    return "postgresql+psycopg2://" + database_url.split("://", 1)[1]


def user_rows(database_url: str, where: str = "TRUE", params: tuple = ()) -> list[tuple]:
    """Read users straight from PostgreSQL, so tests check what was stored, not only what was answered."""
    connection = psycopg2.connect(database_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, discord_id, display_name, created_at, updated_at, forgotten_at FROM users"
                f" WHERE {where} ORDER BY id",
                params,
            )
            return cursor.fetchall()
    finally:
        connection.close()


def client_for(service: ServiceProcess) -> httpx.Client:
    return httpx.Client(base_url=service.url, headers=auth_headers(), timeout=15, trust_env=False)


@pytest.fixture(scope="module")
def client_service(module_start_service) -> ServiceProcess:
    """One client_api for the module, on the module's own migrated database."""
    return module_start_service(SERVICE_MODULE)


@pytest.fixture(scope="module")
def api(client_service) -> Iterator[httpx.Client]:
    with client_for(client_service) as client:
        yield client


@pytest.fixture
def fresh_api(start_service) -> Iterator[httpx.Client]:
    """A client_api on this test's own empty database, for tests that need to see every row."""
    with client_for(start_service(SERVICE_MODULE)) as client:
        yield client


@pytest.fixture
def session_factory(database_url) -> Iterator[Callable[[], Session]]:
    """Sessions configured as the service configures them, on this test's own database."""
    engine = create_engine(sqlalchemy_url(database_url), connect_args={"options": "-c timezone=UTC"})
    try:
        yield lambda: Session(engine, expire_on_commit=False)
    finally:
        engine.dispose()


@pytest.fixture
def session(session_factory) -> Iterator[Session]:
    with session_factory() as session:
        yield session
