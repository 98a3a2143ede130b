"""PostgreSQL for tests and benchmarks: throwaway local servers and database helpers."""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Mapping

import psycopg2
from sqlalchemy.engine import make_url

FAST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
# The admin (the migrations' owner) is trusted on loopback; every other role, the services' own, must bring its
# password, as in compose: a service role that was never given one cannot log in.
PG_HBA = """\
local all all trust
host all postgres 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
"""


def write_hba(data_dir: str | os.PathLike) -> None:
    """Replace initdb's all-trust pg_hba.conf with PG_HBA (the file keeps its owner; read at server start)."""
    with open(os.path.join(data_dir, "pg_hba.conf"), "w", encoding="utf-8") as hba:
        hba.write(PG_HBA)


def free_port() -> int:
    """Ask the kernel for a free TCP port on loopback (tiny race, retried by callers)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_bin_dir() -> str | None:
    """Newest PostgreSQL server bin dir (PG_BIN overrides), or None when no server is installed."""
    if os.environ.get("PG_BIN"):
        return os.environ["PG_BIN"]
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    found.sort(key=lambda path: [int(part) for part in path.split("/")[4].split(".") if part.isdigit()])
    return os.path.dirname(found[-1]) if found else None


def with_database(url: str, name: str) -> str:
    """Same server, other database, as a plain postgresql:// URL that libpq, SQLAlchemy and TypeORM all take."""
    parsed = make_url(url).set(drivername="postgresql", database=name)
    return parsed.render_as_string(hide_password=False)


def plain_url(url: str) -> str:
    """postgresql+psycopg2://... (SQLAlchemy, testcontainers) as the postgresql://... that psycopg2 and npm take."""
    return with_database(url, make_url(url).database or "postgres")


def admin_connection(url: str):
    """Autocommit connection: CREATE/DROP DATABASE cannot run in a transaction."""
    conn = psycopg2.connect(plain_url(url))
    conn.autocommit = True
    return conn


def create_database(admin_url: str, name: str, template: str | None = None) -> str:
    """Create a database (optionally a copy of a template) and return its URL."""
    sql = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
    conn = admin_connection(admin_url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()
    return with_database(admin_url, name)


def drop_database(admin_url: str, name: str) -> None:
    """Drop a database even if a leaked connection or the template flag would block it."""
    conn = admin_connection(admin_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone():
                cur.execute(f'ALTER DATABASE "{name}" WITH IS_TEMPLATE false')
                cur.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        conn.close()


def seal_template(admin_url: str, name: str) -> None:
    """Mark a database as a template nobody may connect to, so copies of it never fail as 'being accessed'."""
    conn = admin_connection(admin_url)
    try:
        with conn.cursor() as cur:
            cur.execute(f'ALTER DATABASE "{name}" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false')
    finally:
        conn.close()


def query(url: str, sql: str, *params) -> list[tuple]:
    """Run one statement in its own committed transaction; tests check what was stored, not only answered."""
    connection = psycopg2.connect(url)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []
    finally:
        connection.close()


def unique_name(prefix: str = "test") -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


class ThrowawayPostgres:
    """A private PostgreSQL server in a temp dir on a free loopback port, deleted on stop()."""

    def __init__(self, *, durable: bool = False, max_connections: int = 300,
                 settings: Mapping[str, str] | None = None, bin_dir: str | None = None) -> None:
        self.bin_dir = bin_dir or find_bin_dir()
        self.settings = {**({} if durable else FAST_SETTINGS), "max_connections": str(max_connections),
                         **(settings or {})}
        self.port: int | None = None
        self.base_dir: str | None = None
        self._proc: subprocess.Popen | None = None
        self._as_user = pwd.getpwnam("postgres") if os.geteuid() == 0 else None

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("ThrowawayPostgres is not started")
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def log_path(self) -> str:
        return os.path.join(self.base_dir or "", "postgres.log")

    def start(self) -> ThrowawayPostgres:
        if self.bin_dir is None:
            raise RuntimeError("no PostgreSQL server binaries: run scripts/ensure-postgres.sh (or set PG_BIN)")
        atexit.register(self.stop)
        try:
            self.base_dir = tempfile.mkdtemp(prefix="buteco-pg-")
            if self._as_user:
                os.chown(self.base_dir, self._as_user.pw_uid, self._as_user.pw_gid)
            self._run([f"{self.bin_dir}/initdb", "-D", self._data_dir, "-A", "trust", "-U", "postgres",
                       "--no-sync", "-E", "UTF8", "--locale=C"])
            write_hba(self._data_dir)
            for _ in range(5):
                if self._launch(free_port()):
                    return self
            raise RuntimeError(f"PostgreSQL did not start:\n{self._log_tail()}")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Fast shutdown, then delete the data; safe to call twice (atexit calls it again)."""
        proc, self._proc = self._proc, None
        if proc and proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self.base_dir:
            shutil.rmtree(self.base_dir, ignore_errors=True)
            self.base_dir = None
        self.port = None

    def __enter__(self) -> ThrowawayPostgres:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def _data_dir(self) -> str:
        return os.path.join(self.base_dir, "data")

    def _user_kwargs(self) -> dict:
        if not self._as_user:
            return {}
        return {"user": self._as_user.pw_uid, "group": self._as_user.pw_gid, "extra_groups": []}

    def _run(self, cmd: list[str]) -> None:
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=self.base_dir, **self._user_kwargs())
        if done.returncode != 0:
            raise RuntimeError(f"{cmd[0]} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")

    def _launch(self, port: int) -> bool:
        """Start the postmaster on port; False when the port was taken meanwhile."""
        options = [arg for key, value in self.settings.items() for arg in ("-c", f"{key}={value}")]
        cmd = [f"{self.bin_dir}/postgres", "-D", self._data_dir, "-p", str(port), "-h", "127.0.0.1",
               "-k", self.base_dir, *options]
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=self.base_dir,
                                          start_new_session=True, **self._user_kwargs())
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self._proc = None
                if "could not bind" in self._log_tail() or "already in use" in self._log_tail():
                    return False
                raise RuntimeError(f"PostgreSQL exited at start:\n{self._log_tail()}")
            ready = subprocess.run([f"{self.bin_dir}/pg_isready", "-q", "-h", "127.0.0.1", "-p", str(port),
                                    "-U", "postgres", "-t", "1"], capture_output=True)
            if ready.returncode == 0:
                self.port = port
                return True
            time.sleep(0.05)
        raise RuntimeError(f"PostgreSQL not ready after 30 s:\n{self._log_tail()}")

    def _log_tail(self) -> str:
        try:
            with open(self.log_path, errors="replace") as log:
                return log.read()[-4000:]
        except OSError:
            return "(no log)"
