"""A database blip is never a 500: retried once when nothing was committed, else 503 `database_unavailable`.

Connections are broken for real: a backend terminated under a request, and a PostgreSQL server restarted under
a dozen of them (its own throwaway server, so no other test shares the outage).
"""

import threading
import time
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from buteco_dev.credentials import auth_headers
from buteco_dev.postgres import Postgres, find_bin_dir, query
from buteco_dev.processes import ServiceProcess, python_service

pytestmark = pytest.mark.slow

NOTES = "CREATE TABLE probe_notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, text text NOT NULL)"


@pytest.fixture(scope="module")
def probe(module_start_service, module_database_url) -> ServiceProcess:
    query(module_database_url, NOTES)
    return module_start_service("service_kit.tests.probe_app", env={"DB_STATEMENT_TIMEOUT_MS": "1500"})


def _in_background(call: Callable[[], httpx.Response]) -> Callable[[], httpx.Response]:
    """Start a request in a thread; the returned function waits for its answer."""
    answers: list[httpx.Response | BaseException] = []

    def run() -> None:
        try:
            answers.append(call())
        except BaseException as exc:
            answers.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def answer() -> httpx.Response:
        thread.join(30)
        assert answers and isinstance(answers[0], httpx.Response), answers
        return answers[0]

    return answer


def _terminate_backend_running(admin_url: str, statement: str) -> int:
    """pg_terminate_backend the probe's connection once it runs statement; the pid, found within 10 s."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        pids = query(
            admin_url,
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'probe' AND state = 'active' AND query LIKE %s",
            statement + "%",
        )
        if pids:
            query(admin_url, "SELECT pg_terminate_backend(%s)", pids[0][0])
            return pids[0][0]
        time.sleep(0.02)
    raise AssertionError(f"the probe never ran {statement!r}")


def _post(url: str, path: str, body: dict) -> httpx.Response:
    return httpx.post(f"{url}{path}", json=body, headers=auth_headers(), timeout=30, trust_env=False)


def _get(url: str, path: str) -> httpx.Response:
    return httpx.get(f"{url}{path}", headers=auth_headers(), timeout=30, trust_env=False)


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "database_unavailable" and response.headers["Retry-After"] == "1"


def test_a_read_whose_connection_dies_is_retried_once_on_a_fresh_one(probe, module_database_url):
    answer = _in_background(lambda: _get(probe.url, "/db/sleep?seconds=0.6"))
    killed = _terminate_backend_running(module_database_url, "SELECT pg_sleep")
    response = answer()
    assert response.status_code == 200 and response.json() == {"slept": 0.6}, response.text
    assert killed and "nothing committed: retrying once" in probe.logs()


def test_a_write_that_committed_is_never_run_twice_but_answered_503(probe, module_database_url):
    text = f"note-{uuid.uuid4()}"
    answer = _in_background(lambda: _post(probe.url, "/db/notes", {"text": text, "sleep_after_s": 5}))
    _terminate_backend_running(module_database_url, "SELECT pg_sleep")
    assert_unavailable(answer())
    assert query(module_database_url, "SELECT count(*) FROM probe_notes WHERE text = %s", text) == [(1,)]
    assert "after a commit): answered 503" in probe.logs()


def test_a_statement_that_timed_out_is_a_503_without_a_retry(probe):
    started = time.monotonic()
    assert_unavailable(_get(probe.url, "/db/sleep?seconds=5"))
    assert time.monotonic() - started < 3, "one 1.5 s statement timeout, not two"


@pytest.fixture
def restartable(tmp_path) -> Iterator[tuple[Postgres, ServiceProcess]]:
    """A PostgreSQL server of this test's own and a probe on it."""
    if find_bin_dir() is None:
        pytest.skip("no PostgreSQL server binaries to restart")
    with Postgres.throwaway() as server:
        query(server.url, NOTES)
        # A dozen requests on their connections at once: more than the default thread pool runs.
        wide = {"THREAD_POOL_SIZE": "16", "DB_POOL_SIZE": "17"}
        with python_service(
            "service_kit.tests.probe_app", database_url=server.url, env=wide, log_dir=tmp_path
        ) as probe:
            yield server, probe


def test_a_postgresql_restart_under_load_gives_no_500_and_writes_nothing_twice(restartable):
    server, probe = restartable
    texts = [f"restart-{n}-{uuid.uuid4()}" for n in range(6)]
    answers = [_in_background(lambda: _get(probe.url, "/db/sleep?seconds=3")) for _ in range(6)]
    answers += [
        _in_background(lambda text=text: _post(probe.url, "/db/notes", {"text": text, "sleep_after_s": 3}))
        for text in texts
    ]
    deadline = time.monotonic() + 10
    while len(query(server.url, "SELECT 1 FROM pg_stat_activity WHERE query LIKE %s", "SELECT pg_sleep%")) < 12:
        assert time.monotonic() < deadline, "the requests never reached the database"
        time.sleep(0.05)

    outage = threading.Thread(target=server.restart, kwargs={"pause_s": 1.5})
    outage.start()
    time.sleep(0.5)
    during = _get(probe.url, "/db/sleep?seconds=0")
    outage.join(30)
    statuses = sorted(answer().status_code for answer in answers)
    assert_unavailable(during)
    assert statuses == [503] * 12, statuses

    recovered_at, started = None, time.monotonic()
    while recovered_at is None and time.monotonic() - started < 10:
        if _get(probe.url, "/db/sleep?seconds=0").status_code == 200:
            recovered_at = time.monotonic() - started
    assert recovered_at is not None and recovered_at < 2, recovered_at
    stored = query(server.url, "SELECT text, count(*) FROM probe_notes GROUP BY text")
    assert sorted(stored) == sorted((text, 1) for text in texts)
    assert " 500 " not in probe.logs()


def test_pooled_connections_a_restart_left_dead_cost_no_5xx(restartable):
    """No pre-ping: a pooled connection the restart killed fails its first statement, which invalidates the pool,
    and the request runs once more on a fresh connection; the member never sees the restart."""
    server, probe = restartable
    warm = [_in_background(lambda: _get(probe.url, "/db/sleep?seconds=0.5")) for _ in range(8)]
    assert [answer().status_code for answer in warm] == [200] * 8  # eight connections, back in the pool, idle

    server.restart()
    text = f"stale-{uuid.uuid4()}"
    after = [_in_background(lambda: _get(probe.url, "/db/sleep?seconds=0.1")) for _ in range(8)]
    after.append(_in_background(lambda: _post(probe.url, "/db/notes", {"text": text})))
    statuses = [answer().status_code for answer in after]
    statuses += [_get(probe.url, "/db/sleep?seconds=0").status_code for _ in range(5)]

    assert statuses == [200] * 8 + [201] + [200] * 5, statuses
    assert query(server.url, "SELECT count(*) FROM probe_notes WHERE text = %s", text) == [(1,)]
    logs = probe.logs()
    assert "nothing committed: retrying once" in logs and "answered 503" not in logs and " 500 " not in logs
