"""A real client_api process on a freshly migrated PostgreSQL, and helpers to talk to it and to the database."""

from collections.abc import Callable, Iterator

import httpx
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from buteco_dev.credentials import auth_headers
from buteco_dev.postgres import query
from buteco_dev.processes import ServiceProcess
from service_kit.settings import psycopg2_url

SERVICE_MODULE = "client_api.main"


def user_rows(database_url: str, where: str = "TRUE", params: tuple = ()) -> list[tuple]:
    """Read users straight from PostgreSQL, so tests check what was stored, not only what was answered."""
    return query(
        database_url,
        f"SELECT id, discord_id, display_name, created_at, updated_at, forgotten_at"
        f" FROM users WHERE {where} ORDER BY id",
        *params,
    )


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
    engine = create_engine(psycopg2_url(database_url), connect_args={"options": "-c timezone=UTC"})
    try:
        yield lambda: Session(engine, expire_on_commit=False)
    finally:
        engine.dispose()


@pytest.fixture
def session(session_factory) -> Iterator[Session]:
    with session_factory() as session:
        yield session
