"""buteco_dev's infrastructure as the tests use it: PostgreSQL, the migrated template, service processes, FaultProxy."""

from __future__ import annotations

import os
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import psycopg2
import pytest
from sqlalchemy.engine import make_url

from buteco_dev.credentials import TEST_TOKEN, auth_headers, fixed_password, service_database_url
from buteco_dev.postgres import Postgres, create_database, drop_database, find_bin_dir, query, unique_name
from buteco_dev.processes import ChildProcess, ServiceStartError, python_service

ECHO_APP = "buteco_dev.tests.echo_app"

SCHEMA_TABLES = {"users", "accounts", "ledger_transactions", "postings", "daily_claims"}


def public_tables(url: str) -> set[str]:
    rows = query(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
    return {row[0] for row in rows}


def test_server_answers_select_1(pg_admin_url):
    assert query(pg_admin_url, "SELECT 1") == [(1,)]


@pytest.mark.slow
@pytest.mark.skipif(find_bin_dir() is None, reason="no PostgreSQL server binaries installed")
def test_throwaway_postgres_durable_lifecycle():
    server = Postgres.throwaway(fast=False, max_connections=50).start()
    temp_dir, url = server.temp_dir, server.url
    try:
        assert query(url, "SHOW fsync") == [("on",)]
        assert query(url, "SHOW max_connections") == [("50",)]
    finally:
        server.stop()
    assert not os.path.exists(temp_dir)
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(url, connect_timeout=2)


def test_template_copy_has_the_schema(database_url):
    assert public_tables(database_url) >= SCHEMA_TABLES
    assert query(database_url, "SELECT count(*) FROM users") == [(0,)]


def test_each_database_is_an_independent_copy(pg_admin_url, database_url):
    query(database_url, "CREATE TABLE scratch (id int)")
    other = unique_name()
    try:
        other_url = create_database(pg_admin_url, other, template="buteco_template")
        assert "scratch" not in public_tables(other_url)
        assert public_tables(other_url) >= SCHEMA_TABLES
    finally:
        drop_database(pg_admin_url, other)


def test_a_service_process_connects_as_its_own_role():
    url = "postgresql://postgres:owner@127.0.0.1:5432/db"
    parsed = make_url(python_service("coin_api.main", database_url=url).env["DATABASE_URL"])
    assert (parsed.username, parsed.password, parsed.host, parsed.port, parsed.database) == (
        "coin_api",
        fixed_password("coin_api"),
        "127.0.0.1",
        5432,
        "db",
    )
    assert service_database_url(ECHO_APP, url) == url, "no role for what is no service"


def test_auth_headers():
    assert auth_headers(idempotency_key="k1") == {"Authorization": f"Bearer {TEST_TOKEN}", "Idempotency-Key": "k1"}


@pytest.mark.slow
def test_service_process_env_logs_restart_stop(start_service):
    service = start_service(ECHO_APP, database_url="postgresql://example/db", env={"EXTRA": "x"})
    with httpx.Client(base_url=service.url, trust_env=False) as client:
        assert client.get("/env/BOT_API_TOKEN").json()["value"] == TEST_TOKEN
        assert client.get("/env/DATABASE_URL").json()["value"] == "postgresql://example/db"
        assert client.get("/env/EXTRA").json()["value"] == "x"
        first_pid = client.get("/health").json()["pid"]
        port = service.port
        service.restart()
        assert service.port == port
        assert client.get("/health").json()["pid"] != first_pid
    assert "echo_app read EXTRA" in service.logs()
    service.stop()
    assert not service.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{service.url}/health", trust_env=False)


@pytest.mark.slow
def test_service_process_that_dies_reports_its_output(start_service):
    with pytest.raises(ServiceStartError, match="no_such_module"):
        start_service("buteco_dev.tests.no_such_module", database_url="postgresql://example/db")


def _alive(pid: int) -> bool:
    """Running, or stopped but not yet dead: neither gone from /proc nor a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_stop_ends_the_whole_process_group(tmp_path):
    """What a child started (uvicorn's workers, PostgreSQL's backends) goes with it, and nothing else."""
    shell = ChildProcess(
        "shell", ["sh", "-c", "sleep 300 & echo $! > grandchild; wait"], cwd=tmp_path, log_path=tmp_path / "shell.log"
    ).spawn()
    marker, deadline = tmp_path / "grandchild", time.monotonic() + 10
    while not (marker.exists() and marker.read_text().strip()):
        assert time.monotonic() < deadline, shell.logs()
        time.sleep(0.02)
    grandchild = int(marker.read_text())
    assert shell.running and _alive(grandchild)
    shell.stop(timeout=5)
    assert not shell.running and shell.exit_code == -signal.SIGTERM
    deadline = time.monotonic() + 2  # SIGKILL is sent; the kernel ends it a moment later
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _alive(grandchild)
    shell.stop()  # a second stop (atexit's) signals nobody


class Upstream:
    """A tiny HTTP/1.1 keep-alive server that records what reached it."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str, bytes]] = []
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                self._answer(b"")

            def do_POST(self):
                self._answer(self.rfile.read(int(self.headers.get("Content-Length", 0))))

            def _answer(self, body: bytes) -> None:
                upstream.received.append((self.command, self.path, body))
                if self.path == "/chunked":
                    self.send_response(200)
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    self.wfile.write(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
                    return
                payload = b"echo:" + self.path.encode() + b":" + body
                self.send_response(201 if self.command == "POST" else 200)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def upstream():
    server = Upstream()
    yield server
    server.close()


@pytest.fixture
def client():
    with httpx.Client(trust_env=False, timeout=5) as http:
        yield http


def test_proxy_pass_relays_both_ways(upstream, fault_proxy, client):
    proxy = fault_proxy(upstream.url)
    response = client.post(f"{proxy.url}/apply?x=1", content=b"body")
    assert (response.status_code, response.content) == (201, b"echo:/apply?x=1:body")
    chunked = client.get(f"{proxy.url}/chunked")
    assert chunked.content == b"hello world"
    assert upstream.received == [("POST", "/apply?x=1", b"body"), ("GET", "/chunked", b"")]
    assert [seen.mode for seen in proxy.seen] == ["pass", "pass"]


def test_proxy_refuse_closes_before_upstream(upstream, fault_proxy, client):
    proxy = fault_proxy(upstream.url)
    proxy.set_mode("refuse")
    with pytest.raises(httpx.TransportError):
        client.post(f"{proxy.url}/apply", content=b"body")
    assert upstream.received == []


def test_proxy_drop_response_applies_upstream_but_caller_hears_nothing(upstream, fault_proxy, client):
    proxy = fault_proxy(upstream.url)
    proxy.set_mode("drop_response")
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(f"{proxy.url}/apply", content=b"money")
    assert upstream.received == [("POST", "/apply", b"money")]


def test_proxy_delay_holds_the_response(upstream, fault_proxy, client):
    proxy = fault_proxy(upstream.url)
    proxy.set_mode("delay", 0.5)
    started = time.monotonic()
    assert client.get(f"{proxy.url}/slow").status_code == 200
    assert time.monotonic() - started >= 0.5
    with pytest.raises(httpx.ReadTimeout):
        client.post(f"{proxy.url}/apply", content=b"late", timeout=0.2)
    assert upstream.received == [("GET", "/slow", b""), ("POST", "/apply", b"late")]


def test_proxy_mode_switch_applies_to_pooled_connections(upstream, fault_proxy, client):
    proxy = fault_proxy(upstream.url)
    assert client.get(f"{proxy.url}/one").status_code == 200
    proxy.set_mode("drop_response")
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(f"{proxy.url}/two")
    proxy.set_mode("refuse")
    with pytest.raises(httpx.TransportError):
        client.get(f"{proxy.url}/three")
    proxy.set_mode("pass")
    assert client.get(f"{proxy.url}/four").status_code == 200
    assert [path for _, path, _ in upstream.received] == ["/one", "/two", "/four"]


def test_proxy_rejects_unknown_mode(upstream, fault_proxy):
    with pytest.raises(ValueError, match="unknown proxy mode"):
        fault_proxy(upstream.url).set_mode("explode")
