"""Request plumbing that costs little: one thread-pool hand-off per request, Server-Timing on every answer, a cheap
access line, thread pool and connection pool sized together, and no pre-ping round trip.

The services run in this process (Starlette's TestClient, lifespan included) on a real migrated database, so a
wrapper around anyio's `to_thread.run_sync` sees every hand-off a real request makes.
"""

import importlib
import inspect
import re
import threading
import time
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import anyio.to_thread
import httpx
import pytest
from fastapi.routing import APIRoute

from buteco_dev.credentials import TEST_TOKENS, auth_headers, caller_env, service_database_url
from buteco_dev.postgres import query
from buteco_dev.processes import python_service
from service_kit.db import create_db_engine
from service_kit.settings import DatabaseSettings

with warnings.catch_warnings():  # it asks for httpx2, which the stack does not ship; httpx works the same here
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

GUILD = 930_000_000_000_000_001
ALICE, BOB = 710_000_000_000_000_001, 710_000_000_000_000_002
SERVER_TIMING = re.compile(r"^app;dur=(\d+\.\d\d), db;dur=(\d+\.\d\d), upstream;dur=(\d+\.\d\d)$")
pytestmark = pytest.mark.filterwarnings("default::DeprecationWarning")  # as the services run: warned, not raised
SERVICES = ["balance_api.main", "bet_api.main", "client_api.main", "coin_api.main", "genai_api.main"]


@pytest.fixture
def hand_offs(monkeypatch) -> list[str]:
    """The name of every callable sent to the thread pool, in order (FastAPI and Starlette call anyio's)."""
    seen: list[str] = []
    real = anyio.to_thread.run_sync

    async def counting(func, *args, **kwargs):
        seen.append(getattr(func, "__name__", repr(func)))
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    return seen


@pytest.fixture
def serve(monkeypatch, database_url) -> Iterator:
    """serve(module) → a TestClient on that service's app, started against the test database as its own role."""
    clients: list[TestClient] = []

    def start(module: str, **env: str) -> TestClient:
        for name, value in {**caller_env(), "DATABASE_URL": service_database_url(module, database_url), **env}.items():
            monkeypatch.setenv(name, value)
        client = TestClient(importlib.import_module(module).app)
        clients.append(client.__enter__())
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


def _fund(client: TestClient) -> None:
    postings = [{"system": "mint", "amount": -1000}, {"user_id": str(ALICE), "amount": 1000}]
    body = {"guild_id": str(GUILD), "kind": "daily", "reason": "funds", "postings": postings}
    headers = auth_headers(TEST_TOKENS["coin_api"], idempotency_key="plumbing-fund")
    assert client.post("/transactions", json=body, headers=headers).status_code == 201


def _register(database_url: str, *discord_ids: int) -> None:
    for discord_id in discord_ids:
        query(database_url, "INSERT INTO users (discord_id, display_name) VALUES (%s, 'm')", discord_id)


def test_a_transfer_and_a_read_each_cross_into_the_thread_pool_once(serve, hand_offs, database_url):
    _register(database_url, ALICE, BOB)
    balance = serve("balance_api.main")
    _fund(balance)
    hand_offs.clear()
    transfer = balance.post(
        f"/guilds/{GUILD}/transfers",
        json={"from_user_id": str(ALICE), "to_user_id": str(BOB), "amount": 5},
        headers=auth_headers(TEST_TOKENS["bot"], idempotency_key="plumbing-transfer"),
    )
    assert transfer.status_code == 201, transfer.text
    assert len(hand_offs) == 1, hand_offs
    hand_offs.clear()
    read = balance.get(f"/guilds/{GUILD}/members/{BOB}/balance", headers=auth_headers(TEST_TOKENS["bot"]))
    assert read.status_code == 200 and read.json()["balance"] == 5, read.text
    assert len(hand_offs) == 1, hand_offs


def test_a_refusal_and_a_service_dependency_cost_no_extra_hand_off(serve, hand_offs, database_url):
    _register(database_url, ALICE)
    balance = serve("balance_api.main")
    hand_offs.clear()
    refused = balance.post(
        f"/guilds/{GUILD}/transfers",
        json={"from_user_id": str(ALICE), "to_user_id": str(BOB), "amount": 5},
        headers=auth_headers(TEST_TOKENS["bot"], idempotency_key="plumbing-refused"),
    )
    assert refused.status_code in (404, 409, 422), refused.text
    assert len(hand_offs) == 1, hand_offs
    coin = serve("coin_api.main", BALANCE_API_URL="http://127.0.0.1:9")  # its rules dependency, no ledger call
    hand_offs.clear()
    status = coin.get(f"/guilds/{GUILD}/members/{ALICE}/daily", headers=auth_headers(TEST_TOKENS["bot"]))
    assert status.status_code == 200, status.text
    assert len(hand_offs) == 1, hand_offs


def test_no_route_of_any_service_has_a_sync_dependency():
    """A `def` dependency is a hand-off per request; the kit's endpoint wrapper makes the only one."""

    def sync_calls(dependant) -> Iterator[str]:
        for sub in dependant.dependencies:
            call = sub.call
            sync = inspect.isfunction(call) and not inspect.iscoroutinefunction(call)
            if sync and not inspect.isasyncgenfunction(call):
                yield call.__qualname__
            yield from sync_calls(sub)

    found = {}
    for module in SERVICES:
        router = importlib.import_module(module).router  # what the app serves: FastAPI builds routes from it lazily
        for route in router.routes:
            if isinstance(route, APIRoute):
                assert inspect.iscoroutinefunction(route.endpoint), f"{module} {route.name} is not wrapped"
                if offenders := sorted(set(sync_calls(route.dependant))):
                    found[f"{module} {route.name}"] = offenders
    assert not found, found


def test_every_answer_says_where_its_time_went(serve, database_url):
    _register(database_url, ALICE)
    balance = serve("balance_api.main")
    read = balance.get(f"/guilds/{GUILD}/members/{ALICE}/balance", headers=auth_headers(TEST_TOKENS["bot"]))
    app_ms, db_ms, upstream_ms = _timings(read)
    assert 0 < db_ms <= app_ms and upstream_ms == 0, read.headers["server-timing"]
    unauthorized = balance.get(f"/guilds/{GUILD}/members/{ALICE}/balance")
    assert unauthorized.status_code == 401 and _timings(unauthorized)[1:] == (0, 0)
    coin = serve("coin_api.main", BALANCE_API_URL="http://127.0.0.1:9")  # nobody listens: the credit stays pending
    claim = coin.post(
        f"/guilds/{GUILD}/members/{ALICE}/daily",
        headers=auth_headers(TEST_TOKENS["bot"], idempotency_key="plumbing-daily"),
    )
    app_ms, db_ms, upstream_ms = _timings(claim)
    assert claim.status_code == 503 and db_ms > 0 and upstream_ms > 0 and db_ms + upstream_ms <= app_ms, claim.text
    health = serve("genai_api.main").get("/health")
    assert _timings(health)[1:] == (0, 0), health.headers


def _timings(response: httpx.Response) -> tuple[float, float, float]:
    """(app, db, upstream) in ms, from a Server-Timing header that must have exactly that shape."""
    found = SERVER_TIMING.match(response.headers["server-timing"])
    assert found, response.headers["server-timing"]
    app_ms, db_ms, upstream_ms = (float(value) for value in found.groups())
    return app_ms, db_ms, upstream_ms


def test_the_access_line_is_one_preformatted_line_in_the_common_format(serve, database_url, capfd):
    _register(database_url, ALICE)
    balance = serve("balance_api.main", LOG_LEVEL="INFO")
    path = f"/guilds/{GUILD}/members/{ALICE}/balance"
    headers = {**auth_headers(TEST_TOKENS["bot"]), "X-Request-ID": "plumbing-1"}
    assert balance.get(path, headers=headers).status_code == 200
    balance.get(f"/guilds/{GUILD}/members/{TEST_TOKENS['bot']}/balance", headers=auth_headers(TEST_TOKENS["bot"]))
    lines = capfd.readouterr().err.splitlines()
    access = [line for line in lines if "service_kit.access" in line]
    started = next(line for line in lines if "service_kit.app: balance_api" in line)  # written by logging itself
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"
    assert re.match(rf"^{stamp} INFO balance_api \[-\] service_kit\.app: ", started), started
    assert re.match(
        rf"^{stamp} INFO balance_api \[plumbing-1\] service_kit\.access: GET {path} 200 \d+\.\dms$", access[0]
    )
    assert TEST_TOKENS["bot"] not in "\n".join(lines) and "[redacted]" in access[1], access


def test_the_thread_pool_is_sized_from_settings_and_the_pool_covers_it(serve, capfd):
    balance = serve("balance_api.main", THREAD_POOL_SIZE="5")

    async def tokens() -> float:
        return anyio.to_thread.current_default_thread_limiter().total_tokens

    assert balance.portal.call(tokens) == 5
    defaults = DatabaseSettings(database_url="postgresql://u@127.0.0.1/d")
    assert defaults.db_pool_size >= defaults.thread_pool_size + 1 and defaults.db_max_overflow == 0
    assert "DB_POOL_SIZE" not in capfd.readouterr().err
    serve("client_api.main", THREAD_POOL_SIZE="12", DB_POOL_SIZE="10")
    assert "DB_POOL_SIZE=10 is below THREAD_POOL_SIZE=12 + 1" in capfd.readouterr().err


def test_a_checkout_sends_no_ping(database_url):
    engine = create_db_engine(DatabaseSettings(database_url=database_url), "plumbing")
    try:
        assert engine.pool._pre_ping is False
    finally:
        engine.dispose()


def _backends(database_url: str) -> set[int]:
    return {
        pid
        for (pid,) in query(
            database_url,
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s",
            "balance_api",
        )
    }


@pytest.mark.slow
def test_the_default_sizes_open_no_connection_per_request_at_32_clients(database_url, tmp_path):
    """Two workers, 32 clients at once, the shipped pool and thread pool: after the first round every request
    finds a pooled connection, so no PostgreSQL backend is opened and closed per request."""
    _register(database_url, ALICE)
    path = f"/guilds/{GUILD}/members/{ALICE}/balance"
    with python_service("balance_api.main", database_url=database_url, workers=2, log_dir=tmp_path) as service:
        time.sleep(1.0)  # both workers up, not just the first to answer /health
        clients = [httpx.Client(base_url=service.url, headers=auth_headers(TEST_TOKENS["bot"])) for _ in range(32)]

        def round_of(requests: int) -> list[int]:
            with ThreadPoolExecutor(32) as pool:
                return list(pool.map(lambda c: [c.get(path).status_code for _ in range(requests)], clients))

        try:
            round_of(20)
            pooled, seen, done = _backends(database_url), set(), threading.Event()

            def watch() -> None:
                while not done.is_set():
                    seen.update(_backends(database_url))

            watcher = threading.Thread(target=watch)
            watcher.start()
            statuses = round_of(50)
            done.set()
            watcher.join()
            alive = _backends(database_url)
        finally:
            for client in clients:
                client.close()
    assert statuses == [[200] * 50] * 32
    # The pool may still grow by a connection a background pass needs; none is ever opened and closed again.
    assert pooled and not seen - alive, f"{len(seen - alive)} backends opened and closed under steady load"
    assert len(alive - pooled) <= 2, "more connections than the pool's room for background passes"
