"""A durable local PostgreSQL for `make run`: its data lives in <data dir>/pgdata and survives restarts."""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import time
from pathlib import Path

import psycopg2

from tests.support.postgres import find_bin_dir, free_port, write_hba

DATABASE = "buteco"


class LocalPostgres:
    """initdb once, then start/stop a server on a free loopback port (TCP only, no Unix socket)."""

    def __init__(self, data_dir: Path, log_path: Path, env: dict[str, str] | None = None) -> None:
        self.bin_dir = find_bin_dir()
        self.env = env
        self.data_dir = data_dir
        self.log_path = log_path
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None
        self._as_user = pwd.getpwnam("postgres") if os.geteuid() == 0 else None

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def _user_kwargs(self) -> dict:
        if not self._as_user:
            return {}
        return {"user": self._as_user.pw_uid, "group": self._as_user.pw_gid, "extra_groups": []}

    def _run(self, *cmd: str) -> subprocess.CompletedProcess:
        return subprocess.run(cmd, check=False, capture_output=True, text=True, **self._user_kwargs())

    def prepare(self) -> bool:
        """Create the cluster if there is none; True when it was created now. Stops a server an earlier,
        killed run left behind on this data directory (the caller holds the data dir's lock)."""
        if self.bin_dir is None:
            raise RuntimeError("no PostgreSQL server binaries: run `make install` (scripts/ensure-postgres.sh)")
        if (self.data_dir / "PG_VERSION").exists():
            if (self.data_dir / "postmaster.pid").exists():
                self._run(f"{self.bin_dir}/pg_ctl", "-D", str(self.data_dir), "stop", "-m", "fast", "-w")
            return False
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._as_user:
            os.chown(self.data_dir, self._as_user.pw_uid, self._as_user.pw_gid)
        os.chmod(self.data_dir, 0o700)
        done = self._run(f"{self.bin_dir}/initdb", "-D", str(self.data_dir), "-A", "trust", "-U", "postgres",
                         "-E", "UTF8", "--locale=C")
        if done.returncode != 0:
            hint = " (the postgres user must be able to reach it: pick --data-dir outside /root)" \
                if self._as_user else ""
            raise RuntimeError(f"initdb failed for {self.data_dir}{hint}:\n{done.stdout}{done.stderr}")
        return True

    def start(self) -> None:
        """Start the server (its own process group) and create the `buteco` database if it is missing.

        The admin is trusted on loopback; the services' roles log in with their passwords (also in a data dir
        an older run created with trust for everyone).
        """
        write_hba(self.data_dir)
        self.port = free_port()
        cmd = [f"{self.bin_dir}/postgres", "-D", str(self.data_dir), "-p", str(self.port), "-h", "127.0.0.1",
               "-c", "unix_socket_directories=", "-c", "max_connections=200"]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         env=self.env, start_new_session=True, **self._user_kwargs())
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"PostgreSQL exited at start; see {self.log_path}")
            try:
                psycopg2.connect(self.admin_url, connect_timeout=1).close()
                break
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"PostgreSQL did not answer in 30 s; see {self.log_path}") from None
                time.sleep(0.1)
        conn = psycopg2.connect(self.admin_url)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
                if cur.fetchone() is None:
                    cur.execute(f'CREATE DATABASE "{DATABASE}"')
        finally:
            conn.close()

    def stop(self, timeout: float = 15.0) -> None:
        """Fast shutdown (SIGINT): open transactions roll back, committed data stays."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
