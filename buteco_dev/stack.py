"""`make run`'s stack: a durable PostgreSQL, the migrations, every catalogued service, the bot. Nothing outlives it.

Each child is a processes.ChildProcess in its own process group, so a stop signals the whole group (uvicorn's and
PostgreSQL's workers included), SIGTERM first (SIGINT, a fast shutdown, for PostgreSQL), SIGKILL after a grace
period. Each process gets the credentials its compose container gets (credentials.py). Ctrl-C, SIGTERM, SIGHUP and
interpreter exit (atexit) all end in Stack.stop(); a later run reaps what a killed one left (reap_previous). The
pids of the last run stay in <data dir>/pids.json.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path

from . import REPO_ROOT, migrations
from .catalogue import command_for, compose, discover
from .credentials import Grant, bot_grant, is_secret, role_url, run_secrets, service_grant
from .environment import read_env_file
from .postgres import Postgres
from .processes import ChildProcess, ServiceProcess, ServiceStartError, free_port, signal_group


def shown(path: Path | str) -> str:
    """A path as the person typed it: relative to the current directory when it is inside it."""
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative


MARKER = "BUTECO_DEV_RUN"
"""Set in every child's environment (inherited by its own children) to the data dir: how a later run finds what
an earlier, killed run (SIGKILL, say) left behind."""


def _proc(pid: int | str, name: str) -> bytes:
    try:
        return Path(f"/proc/{pid}/{name}").read_bytes()
    except OSError:
        return b""


def _marked(data_dir: Path) -> list[int]:
    """Pids of the processes whose environment carries this data dir's marker."""
    wanted = f"{MARKER}={data_dir}".encode()
    return sorted(
        int(p.name)
        for p in Path("/proc").iterdir()
        if p.name.isdigit() and int(p.name) != os.getpid() and wanted in _proc(p.name, "environ").split(b"\0")
    )


def reap_previous(data_dir: Path) -> int:
    """End what an earlier run of this data dir left running: each child's process group (PostgreSQL with its
    fast shutdown), then SIGKILL for anything still there after 10 s. Returns how many children it found."""
    leaders = [pid for pid in _marked(data_dir) if _session_of(pid) == pid]
    for pid in leaders:
        postgres = _proc(pid, "comm").strip() == b"postgres"
        signal_group(pid, signal.SIGINT if postgres else signal.SIGTERM)
    deadline = time.monotonic() + 10
    while _marked(data_dir) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in _marked(data_dir):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    return len(leaders)


def _session_of(pid: int) -> int | None:
    try:
        return os.getsid(pid)
    except OSError:
        return None


def port_free(port: int) -> bool:
    """Whether a server could listen on 127.0.0.1:port now (SO_REUSEADDR, as uvicorn: TIME_WAIT is fine)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


class Stack:
    def __init__(self, data_dir: Path, *, env_file: Path | None = None, free_ports: bool = False) -> None:
        self.data_dir = data_dir.resolve()
        self.logs = self.data_dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.data_dir / ".lock", "w")  # noqa: SIM115 - held for the whole run
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SystemExit(f"another `buteco_dev run` is using {self.data_dir}; stop it first") from None
        self.reaped = reap_previous(self.data_dir)
        self.env = {**read_env_file(env_file), **os.environ, "PYTHONUNBUFFERED": "1", MARKER: str(self.data_dir)}
        self.specs = discover(free_ports=free_ports)
        services = compose().get("services", {})
        self.grants = {
            spec.name: service_grant(services.get(spec.name), package=spec.package, token_env=spec.token_env)
            for spec in self.specs
        }
        self.bot_grant = bot_grant(services.get("bot"), [spec.token_env for spec in self.specs])
        self.secrets = run_secrets([*self.grants.values(), self.bot_grant], self.env)
        self.postgres = Postgres.durable(
            self.data_dir / "pgdata",
            log_path=self.logs / "postgres.log",
            database="buteco",
            env={**os.environ, MARKER: str(self.data_dir)},
        )
        self.children: list[ChildProcess] = []
        self._pids: list[dict] = []
        atexit.register(self.stop)

    def child_env(self, grant: Grant) -> dict[str, str]:
        """The .env/process settings without any secret, the services' URLs, then what grant says it may have."""
        urls = {spec.url_env: spec.url for spec in self.specs if spec.url_env}
        public = {k: v for k, v in self.env.items() if not is_secret(k) and k != "DATABASE_URL"}
        env = {**public, **urls, **{name: self.secrets[name] for name in grant.secrets if name in self.secrets}}
        if grant.role:  # its own role, whose password the migrator set this run
            env["DATABASE_URL"] = role_url(self.postgres.url, grant.role, self.secrets[grant.password_variable])
        return env

    def start_backend(self, say=print) -> None:
        """PostgreSQL, migrations, then every service in parallel, each waited for on /health."""
        self.postgres.start()
        self._record(self.postgres.process)
        where = shown(self.postgres.data_dir)
        say(f"  postgres     {self.postgres.url}  ({'new cluster in' if self.postgres.created else 'data in'} {where})")
        if migrations.migration_service_present():
            migrations.ensure_built()
            passwords = {g.password_variable: self.secrets[g.password_variable] for g in self.grants.values() if g.role}
            output = migrations.run_migrations(self.postgres.url, passwords)
            say(f"  migrations   {'up to date' if 'No migrations are pending' in output else 'applied'}")
            for name in sorted(n for n in passwords if f"{n} ignored" in output):
                say(f"  ! {name}: no migration creates that service's database role, so it cannot connect")
        for spec in self.specs:  # all ports first: every service gets the URLs of all the others
            if not spec.skipped and not port_free(spec.port):
                busy, spec.port = spec.port, free_port()
                say(f"  {spec.name:<12} port {busy} is taken (another run?); using {spec.port}")
        waiting = []
        for spec in self.specs:
            if spec.skipped:
                say(f"  {spec.name:<12} skipped: {spec.skipped}")
                continue
            try:
                command = command_for(spec, self.data_dir / "bin")
            except RuntimeError as exc:
                spec.skipped = str(exc).splitlines()[0]
                say(f"  {spec.name:<12} skipped: {exc}")
                continue
            env = {**self.child_env(self.grants[spec.name]), "PORT": str(spec.port), "HOST": "127.0.0.1"}
            service = ServiceProcess(
                spec.name, command, port=spec.port, env=env, log_path=self._fresh_log(spec.name), startup_timeout=30.0
            )
            waiting.append(self._record(service.spawn()))
        for service in waiting:
            say(f"  {service.name:<12} {service.url}  {self._health(service)}")

    def start_bot(self, env: dict[str, str], *, log: bool = True) -> ChildProcess:
        """`python -m buteco_bot` with the services' URLs; log=False lets it write to this terminal."""
        bot = ChildProcess(
            "bot",
            [sys.executable, "-m", "buteco_bot"],
            env={**self.child_env(self.bot_grant), "PLUGINS_DIR": str(REPO_ROOT / "plugins"), **env},
            log_path=self._fresh_log("bot") if log else None,
        )
        return self._record(bot.spawn())

    def _fresh_log(self, name: str) -> Path:
        """logs/<name>.log, emptied: each run's log holds that run only."""
        path = self.logs / f"{name}.log"
        path.write_bytes(b"")
        return path

    def _record(self, child: ChildProcess) -> ChildProcess:
        self.children.append(child)
        self._pids.append({"name": child.name, "pid": child.pid})
        (self.data_dir / "pids.json").write_text(json.dumps(self._pids, indent=1))
        return child

    @staticmethod
    def _health(service: ServiceProcess) -> str:
        """What its /health says; or how it failed to start, without stopping the others."""
        try:
            return service.wait_healthy()
        except ServiceStartError as exc:
            if exc.exit_code is not None:
                return f"EXITED ({exc.exit_code}); see {shown(service.log_path)}"
            return f"NOT ANSWERING after {service.startup_timeout:.0f} s; see {shown(service.log_path)}"

    def stop(self) -> None:
        """Bot first, then the services, PostgreSQL last; idempotent (atexit calls it again)."""
        children, self.children = self.children, []
        bot = [c for c in children if c.name == "bot"]
        services = [c for c in children if c.name not in ("bot", "postgres")]
        for group in (bot, services):  # each group at once: SIGTERM all, then wait for each
            for child in group:
                child.terminate()
            for child in group:
                child.finish()
        self.postgres.stop()  # also when Ctrl-C came before it was recorded as a child
        if not self._lock.closed:
            self._lock.close()
