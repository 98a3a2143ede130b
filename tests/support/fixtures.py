"""Pytest fixtures over buteco_dev: a PostgreSQL server, a migrated template, a fresh database per test, services,
fault proxies, Go binaries. Loaded for every test directory by the root conftest.py (pytest_plugins)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from buteco_dev import migrations
from buteco_dev.catalogue import GoUnavailable, build_go_binary
from buteco_dev.fault_proxy import FaultProxy
from buteco_dev.postgres import (
    FAST_SETTINGS,
    TEMPLATE_DATABASE,
    Postgres,
    create_database,
    drop_database,
    find_bin_dir,
    fresh_database,
    plain_url,
    seal_template,
)
from buteco_dev.processes import ServiceGroup, ServiceProcess


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Treat SIGTERM like Ctrl-C, so teardown still stops the servers and services we started."""
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupt)


def _docker_answers() -> bool:
    """A Docker engine (not just the client) answers within 3 s."""
    docker = shutil.which("docker")
    if docker is None:
        return bool(os.environ.get("DOCKER_HOST")) or os.path.exists("/var/run/docker.sock")
    try:
        return subprocess.run([docker, "info"], check=False, capture_output=True, timeout=3).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def _container_postgres() -> Iterator[str]:
    """PostgreSQL in a container; raises before yielding when the engine cannot start it (no image, no registry)."""
    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")  # the reaper image needs a registry; we stop it
    from testcontainers.community.postgres import PostgresContainer

    flags = " ".join(f"-c {k}={v}" for k, v in {**FAST_SETTINGS, "max_connections": "300"}.items())
    container = PostgresContainer("postgres:16-alpine", username="postgres", password="postgres", dbname="postgres")
    container.with_command(f"postgres {flags}")
    container.start()
    try:
        yield plain_url(container.get_connection_url())
    finally:
        container.stop()


@contextmanager
def _local_postgres() -> Iterator[str]:
    if not find_bin_dir():
        pytest.fail("no PostgreSQL: set TEST_DATABASE_URL, or run scripts/ensure-postgres.sh (make install)")
    with Postgres.throwaway() as server:
        yield server.url


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """URL of a server where tests may CREATE DATABASE: TEST_DATABASE_URL, else Docker, else a local throwaway."""
    if os.environ.get("TEST_DATABASE_URL"):
        yield plain_url(os.environ["TEST_DATABASE_URL"])
        return
    if importlib.util.find_spec("testcontainers") and _docker_answers():
        containers = _container_postgres()
        try:
            url = next(containers)
        except Exception as exc:
            warnings.warn(
                f"Docker answers but PostgreSQL did not start in it ({type(exc).__name__}: "
                f"{str(exc)[:200]}); using a local throwaway server",
                stacklevel=1,
            )
        else:
            try:
                yield url
            finally:
                containers.close()
            return
    with _local_postgres() as url:
        yield url


@pytest.fixture(scope="session")
def migrated_template_url(pg_admin_url: str) -> str:
    """A database migrated by the real TypeORM migrations once per session; tests get copies of it.

    The migrations also give each service role LOGIN with the tests' fixed password (buteco_dev/credentials.py).
    """
    if not migrations.migration_service_present():
        pytest.skip("db_migration_service/package.json does not exist yet: no schema to test against")
    try:
        migrations.ensure_built()
        drop_database(pg_admin_url, TEMPLATE_DATABASE)
        url = create_database(pg_admin_url, TEMPLATE_DATABASE)
        migrations.run_migrations(url)
    except migrations.MigrationError as exc:
        pytest.fail(str(exc), pytrace=False)
    seal_template(pg_admin_url, TEMPLATE_DATABASE)
    return url


@pytest.fixture
def database_url(pg_admin_url: str, migrated_template_url: str) -> Iterator[str]:
    """A migrated database of this test's own, dropped afterwards: the owner's URL (services get their role's)."""
    with fresh_database(pg_admin_url) as url:
        yield url


@pytest.fixture(scope="module")
def module_database_url(pg_admin_url: str, migrated_template_url: str) -> Iterator[str]:
    """A migrated database shared by one test module."""
    with fresh_database(pg_admin_url) as url:
        yield url


StartService = Callable[..., ServiceProcess]


def _service_starter(request: pytest.FixtureRequest, log_dir, database_fixture: str) -> Iterator[StartService]:
    with ServiceGroup(None, log_dir) as group:

        def start(module: str, *, database_url: str | None = None, env: dict[str, str] | None = None) -> ServiceProcess:
            database_url = database_url or request.getfixturevalue(database_fixture)
            return group.start(module, env, database_url=database_url)

        yield start


@pytest.fixture
def start_service(request: pytest.FixtureRequest, tmp_path) -> Iterator[StartService]:
    """start_service("balance_api.main", env={...}) -> running ServiceProcess on this test's database."""
    yield from _service_starter(request, tmp_path, "database_url")


@pytest.fixture(scope="module")
def module_start_service(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[StartService]:
    """Like start_service, but the services (and their database) live for the whole module."""
    yield from _service_starter(request, tmp_path_factory.mktemp("services"), "module_database_url")


@pytest.fixture
def fault_proxy() -> Iterator[Callable[[str], FaultProxy]]:
    """fault_proxy(upstream_url) -> started FaultProxy, stopped at teardown."""
    proxies: list[FaultProxy] = []

    def make(upstream_url: str) -> FaultProxy:
        proxies.append(FaultProxy(upstream_url).start())
        return proxies[-1]

    try:
        yield make
    finally:
        for proxy in proxies:
            proxy.stop()


@pytest.fixture(scope="session")
def go_build(tmp_path_factory) -> Callable[[Path], Path]:
    """go_build(module_dir) -> its binary, built once per session; skips the test without a Go toolchain."""
    built: dict[Path, Path] = {}

    def build(module_dir: Path) -> Path:
        if module_dir not in built:
            try:
                built[module_dir] = build_go_binary(module_dir, tmp_path_factory.mktemp("go") / module_dir.name)
            except GoUnavailable as exc:
                pytest.skip(str(exc))
            except RuntimeError as exc:
                pytest.fail(str(exc), pytrace=False)
        return built[module_dir]

    return build
