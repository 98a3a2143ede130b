"""PostgreSQL on this machine for `make run`, the tests and the benchmarks: one server class, and database helpers.

Postgres.throwaway() is a new cluster in a temp dir, deleted on stop (fast, crash-unsafe settings by default);
Postgres.durable() keeps its cluster in a data dir across runs (`make run`'s .run/pgdata). Either listens on a
free loopback port over TCP only, runs as the postgres user when started by root, and lives in its own process
group. The admin (postgres) is trusted on loopback; every other role, the services' own, must bring its password.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import psycopg2
from sqlalchemy.engine import make_url

from .processes import ChildProcess, free_port

FAST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
PG_HBA = "local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n"
TEMPLATE_DATABASE = "buteco_template"  # the migrated database the tests copy
START_TIMEOUT_S = 30.0


def find_bin_dir() -> str | None:
    """Newest PostgreSQL server bin dir (PG_BIN overrides), or None when no server is installed."""
    if os.environ.get("PG_BIN"):
        return os.environ["PG_BIN"]
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    found.sort(key=lambda path: [int(part) for part in path.split("/")[4].split(".") if part.isdigit()])
    return os.path.dirname(found[-1]) if found else None


class Postgres:
    """One PostgreSQL server on 127.0.0.1; url points at `database` (default: postgres) as the admin."""

    def __init__(
        self,
        data_dir: Path | None,
        *,
        log_path: Path | None = None,
        database: str = "postgres",
        settings: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.bin_dir = find_bin_dir()
        self.temp_dir = None if data_dir else Path(tempfile.mkdtemp(prefix="buteco-pg-"))
        self.data_dir = data_dir or self.temp_dir / "data"
        self.log_path = log_path or self.temp_dir / "postgres.log"
        self.database, self.settings, self.env = database, dict(settings or {}), env
        self.port: int | None = None
        self.created = False
        self.process: ChildProcess | None = None
        self._as_user = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        if self.temp_dir:
            atexit.register(self.stop)  # the temp dir goes even if it never starts
            if self._as_user:
                os.chown(self.temp_dir, self._as_user.pw_uid, self._as_user.pw_gid)

    @classmethod
    def throwaway(
        cls, *, fast: bool = True, max_connections: int = 300, settings: Mapping[str, str] | None = None
    ) -> Postgres:
        """A new cluster in a temp dir, deleted on stop(); fast turns durability off (nothing here must last)."""
        return cls(
            None,
            settings={**(FAST_SETTINGS if fast else {}), "max_connections": str(max_connections), **(settings or {})},
        )

    @classmethod
    def durable(
        cls, data_dir: Path, *, log_path: Path, database: str, env: Mapping[str, str] | None = None
    ) -> Postgres:
        """The cluster in data_dir (initdb the first time), kept across runs; start() creates database if missing."""
        return cls(data_dir, log_path=log_path, database=database, settings={"max_connections": "200"}, env=env)

    @property
    def url(self) -> str:
        """Its database, as the admin."""
        if self.port is None:
            raise RuntimeError("this PostgreSQL server is not started")
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    def start(self) -> Postgres:
        """Create the cluster if there is none (self.created says so), start it, create the database."""
        if self.bin_dir is None:
            raise RuntimeError(
                "no PostgreSQL server binaries: run `make install` (scripts/ensure-postgres.sh) or set PG_BIN"
            )
        atexit.register(self.stop)
        try:
            self.created = self._prepare()
            with open(self.data_dir / "pg_hba.conf", "w", encoding="utf-8") as hba:  # keeps its owner
                hba.write(PG_HBA)
            for _ in range(5):
                if self._launch(free_port()):
                    ensure_database(with_database(self.url, "postgres"), self.database)
                    return self
            raise RuntimeError(f"PostgreSQL did not start; see {self.log_path}")
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout: float = 15.0) -> None:
        """Fast shutdown (SIGINT): open transactions roll back; a throwaway cluster is deleted. Idempotent."""
        if self.process is not None:
            self.process.stop(timeout)
        self.port = None
        if self.temp_dir:
            shutil.rmtree(self.temp_dir, ignore_errors=True)

    def restart(self, *, pause_s: float = 0.0, timeout: float = 15.0) -> float:
        """Fast shutdown, pause_s of outage, then the same cluster on the same port, as an operator's restart does
        to the services connected to it: their pooled connections break, their URLs stay valid. Returns the
        seconds it took, outage included."""
        if self.process is None or self.port is None:
            raise RuntimeError("this PostgreSQL server is not started")
        started = time.monotonic()
        self.process.stop(timeout)
        time.sleep(pause_s)
        if not self._launch(self.port):
            raise RuntimeError(f"PostgreSQL could not listen on port {self.port} again; see {self.log_path}")
        return time.monotonic() - started

    def __enter__(self) -> Postgres:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _user_options(self) -> dict:
        user = self._as_user
        return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []} if user else {}

    def _prepare(self) -> bool:
        """initdb when the data dir holds no cluster; else stop a server a killed run left on it. True: created."""
        if (self.data_dir / "PG_VERSION").exists():
            if (self.data_dir / "postmaster.pid").exists():
                self._run(f"{self.bin_dir}/pg_ctl", "-D", str(self.data_dir), "stop", "-m", "fast", "-w")
            return False
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._as_user:
            os.chown(self.data_dir, self._as_user.pw_uid, self._as_user.pw_gid)
        os.chmod(self.data_dir, 0o700)
        done = self._run(
            f"{self.bin_dir}/initdb",
            "-D",
            str(self.data_dir),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            *(["--no-sync"] if self.temp_dir else []),
        )
        if done.returncode != 0:
            hint = (
                " (the postgres user must be able to reach it: pick --data-dir outside /root)" if self._as_user else ""
            )
            raise RuntimeError(f"initdb failed for {self.data_dir}{hint}:\n{done.stdout}{done.stderr}")
        return True

    def _run(self, *cmd: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            cmd, capture_output=True, text=True, check=False, cwd=self.data_dir.parent, **self._user_options()
        )

    def _launch(self, port: int) -> bool:
        """Start the postmaster on port; False when the port was taken meanwhile."""
        options = {**self.settings, "unix_socket_directories": ""}
        cmd = [
            f"{self.bin_dir}/postgres",
            "-D",
            str(self.data_dir),
            "-p",
            str(port),
            "-h",
            "127.0.0.1",
            *[arg for key, value in options.items() for arg in ("-c", f"{key}={value}")],
        ]
        logged = self.log_path.stat().st_size if self.log_path.exists() else 0
        self.process = ChildProcess(
            "postgres",
            cmd,
            env=self.env,
            log_path=self.log_path,
            cwd=self.data_dir.parent,
            stop_signal=signal.SIGINT,
            **self._user_options(),
        ).spawn()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if not self.process.running:
                self.process.finish(0)
                said = self._log_tail(since=logged)
                if "could not bind" in said or "already in use" in said:
                    return False
                raise RuntimeError(f"PostgreSQL exited at start:\n{said}")
            try:
                psycopg2.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", connect_timeout=1).close()
                self.port = port
                return True
            except psycopg2.OperationalError:
                time.sleep(0.05)
        raise RuntimeError(f"PostgreSQL did not answer in {START_TIMEOUT_S:.0f} s:\n{self._log_tail(since=logged)}")

    def _log_tail(self, since: int) -> str:
        with open(self.log_path, "rb") as log:
            log.seek(since)
            return log.read().decode(errors="replace")[-4000:]


def with_database(url: str, name: str) -> str:
    """Same server, other database, as a plain postgresql:// URL that libpq, SQLAlchemy and TypeORM all take."""
    return make_url(url).set(drivername="postgresql", database=name).render_as_string(hide_password=False)


def plain_url(url: str) -> str:
    """postgresql+psycopg2://... (SQLAlchemy, testcontainers) as the postgresql://... that psycopg2 and npm take."""
    return with_database(url, make_url(url).database or "postgres")


def admin_connection(url: str):
    """Autocommit connection: CREATE/DROP DATABASE cannot run in a transaction."""
    conn = psycopg2.connect(plain_url(url))
    conn.autocommit = True
    return conn


def _admin(admin_url: str, *statements: str) -> None:
    conn = admin_connection(admin_url)
    try:
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
    finally:
        conn.close()


def create_database(admin_url: str, name: str, template: str | None = None) -> str:
    """Create a database (optionally a copy of a template) and return its URL."""
    _admin(admin_url, f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return with_database(admin_url, name)


def ensure_database(admin_url: str, name: str) -> str:
    """The database's URL, creating it when it does not exist yet."""
    if not query(plain_url(admin_url), "SELECT 1 FROM pg_database WHERE datname = %s", name):
        return create_database(admin_url, name)
    return with_database(admin_url, name)


def drop_database(admin_url: str, name: str) -> None:
    """Drop a database even if a leaked connection or the template flag would block it."""
    if query(plain_url(admin_url), "SELECT 1 FROM pg_database WHERE datname = %s", name):
        _admin(admin_url, f'ALTER DATABASE "{name}" WITH IS_TEMPLATE false', f'DROP DATABASE "{name}" WITH (FORCE)')


def seal_template(admin_url: str, name: str) -> None:
    """Mark a database as a template nobody may connect to, so copies of it never fail as 'being accessed'."""
    _admin(admin_url, f'ALTER DATABASE "{name}" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false')


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


@contextmanager
def fresh_database(admin_url: str, prefix: str = "test", template: str = TEMPLATE_DATABASE) -> Iterator[str]:
    """A copy of the migrated template, dropped on exit."""
    name = unique_name(prefix)
    url = create_database(admin_url, name, template=template)
    try:
        yield url
    finally:
        drop_database(admin_url, name)
