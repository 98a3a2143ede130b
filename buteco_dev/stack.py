"""Start and stop the local stack: PostgreSQL, the migrations, every service, the bot. Nothing outlives it.

Each child runs in its own session (its own process group), so a stop signals the whole group (uvicorn's and
PostgreSQL's workers included), SIGTERM first, SIGKILL after a grace period. Ctrl-C, SIGTERM, SIGHUP and
interpreter exit (atexit) all end in Stack.stop(). The pids of the last run stay in <data dir>/pids.json.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support import migrations
from tests.support.db_roles import role_url
from tests.support.postgres import free_port

from .credentials import Grant, bot_grant, is_secret, run_secrets, service_grant
from .postgres import LocalPostgres
from .services import REPO_ROOT, ServiceSpec, command_for, compose_services, discover


@dataclass
class Child:
    name: str
    proc: subprocess.Popen
    log_path: Path | None

    def terminate(self) -> None:
        if self.proc.poll() is None:
            _signal_group(self.proc.pid, signal.SIGTERM)

    def finish(self, grace: float = 10.0) -> None:
        """Wait for a terminated child, then SIGKILL whatever of its process group is still alive."""
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
        _signal_group(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


def shown(path: Path | str) -> str:
    """A path as the person typed it: relative to the current directory when it is inside it."""
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


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
    return sorted(int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and int(p.name) != os.getpid()
                  and wanted in _proc(p.name, "environ").split(b"\0"))


def reap_previous(data_dir: Path) -> int:
    """End what an earlier run of this data dir left running: each child's process group (PostgreSQL with its
    fast shutdown), then SIGKILL for anything still there after 10 s. Returns how many children it found."""
    leaders = [pid for pid in _marked(data_dir) if _session_of(pid) == pid]
    for pid in leaders:
        postgres = _proc(pid, "comm").strip() == b"postgres"
        _signal_group(pid, signal.SIGINT if postgres else signal.SIGTERM)
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


def read_env_file(path: Path | None) -> dict[str, str]:
    """KEY=VALUE lines of a .env file (comments, blanks and empty values skipped; quotes removed)."""
    if path is None or not path.is_file():
        return {}
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.strip().partition("=")
        value = value.strip().strip("\"'")
        if sep and key and not key.startswith("#") and value:
            values[key.strip()] = value
    return values


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
        compose = compose_services()
        self.grants = {spec.name: service_grant(compose.get(spec.name), package=spec.package,
                                                token_env=spec.token_env) for spec in self.specs}
        self.bot_grant = bot_grant(compose.get("bot"), [spec.token_env for spec in self.specs])
        self.secrets = run_secrets([*self.grants.values(), self.bot_grant], self.env)
        self.postgres = LocalPostgres(self.data_dir / "pgdata", self.logs / "postgres.log",
                                      env={**os.environ, MARKER: str(self.data_dir)})
        self.children: list[Child] = []
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
        created = self.postgres.prepare()
        self.postgres.start()
        self._record(Child("postgres", self.postgres.proc, self.postgres.log_path))
        where = shown(self.postgres.data_dir)
        say(f"  postgres     {self.postgres.url}  ({'new cluster in' if created else 'data in'} {where})")
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
            waiting.append((spec, self._spawn(spec.name, command, env)))
        for spec, child in waiting:
            say(f"  {spec.name:<12} {spec.url}  {self._wait_healthy(spec, child)}")

    def start_bot(self, env: dict[str, str], *, log: bool = True) -> Child:
        """`python -m buteco_bot` with the services' URLs; log=False lets it write to this terminal."""
        return self._spawn("bot", [sys.executable, "-m", "buteco_bot"],
                           {**self.child_env(self.bot_grant), "PLUGINS_DIR": str(REPO_ROOT / "plugins"), **env},
                           log=log)

    def _spawn(self, name: str, command: list[str], env: dict[str, str], *, log: bool = True) -> Child:
        log_path = self.logs / f"{name}.log" if log else None
        with open(log_path or os.devnull, "wb") as out:
            proc = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL,
                                    stdout=out if log else None, stderr=subprocess.STDOUT if log else None,
                                    start_new_session=True)
        return self._record(Child(name, proc, log_path))

    def _record(self, child: Child) -> Child:
        self.children.append(child)
        pids = [{"name": c.name, "pid": c.proc.pid} for c in self.children]
        (self.data_dir / "pids.json").write_text(json.dumps(pids, indent=1))
        return child

    def _wait_healthy(self, spec: ServiceSpec, child: Child, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if child.proc.poll() is not None:
                return f"EXITED ({child.proc.returncode}); see {shown(child.log_path)}"
            try:
                body = httpx.get(f"{spec.url}/health", timeout=1.0, trust_env=False).json()
                return str(body.get("status", "?")) if isinstance(body, dict) else "answering"
            except (httpx.HTTPError, ValueError):
                time.sleep(0.1)
        return f"NOT ANSWERING after {timeout:.0f} s; see {shown(child.log_path)}"

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
