"""`make run`'s stack: a durable PostgreSQL, the migrations, every catalogued service, the bot. Nothing outlives it.

Each child is a processes.ChildProcess in its own process group, so a stop signals the whole group (uvicorn's and
PostgreSQL's workers included), SIGTERM first (SIGINT, a fast shutdown, for PostgreSQL), SIGKILL after a grace
period. Each process gets the credentials its compose container gets (credentials.py). Ctrl-C, SIGTERM, SIGHUP and
interpreter exit (atexit) all end in Stack.stop(); a later run reaps what a killed one left (reap_previous). The
pids of the last run stay in <data dir>/pids.json. While it runs, add(), replace() and remove() change one
service (watch.py calls them when plugins/ changes), and <data dir>/bot-plugins.env (PLUGINS_ENV_FILE) tells the bot
every service's URL and credential at its next /plugins reload.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import os
import sys
import threading
from pathlib import Path

from . import REPO_ROOT, migrations
from .catalogue import DEFAULT_PORT_BASE, ServiceSpec, compose, discover
from .credentials import Grant, bot_grant, is_secret, role_url, run_secrets, service_grant
from .environment import read_env_file
from .launch import command_for, port_env, shown_command
from .postgres import Postgres
from .processes import ChildProcess, ServiceProcess, ServiceStartError, free_port
from .reaper import MARKER, port_free, reap_previous

__all__ = ["MARKER", "Stack", "port_free", "reap_previous", "shown"]


def shown(path: Path | str) -> str:
    """A path as the person typed it: relative to the current directory when it is inside it."""
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative


class Stack:
    def __init__(
        self,
        data_dir: Path,
        *,
        env_file: Path | None = None,
        free_ports: bool = False,
        port_base: int = DEFAULT_PORT_BASE,
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.logs = self.data_dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.data_dir / ".lock", "w")  # noqa: SIM115 - held for the whole run
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SystemExit(f"another `buteco_dev run` is using {self.data_dir}; stop it first") from None
        self.reaped = reap_previous(self.data_dir)
        self.env_file, self.free_ports, self.port_base = env_file, free_ports, port_base
        self.env = {**read_env_file(env_file), **os.environ, "PYTHONUNBUFFERED": "1", MARKER: str(self.data_dir)}
        self.specs = self.discover()
        services = compose().get("services", {})
        self.grants = {spec.name: self._grant(spec, services) for spec in self.specs}
        self.bot_grant = bot_grant(services.get("bot"), [spec.token_env for spec in self.specs])
        self.bot_secrets = self.bot_grant.secrets  # what the bot starts with; bot-plugins.env brings the rest
        self.secrets = run_secrets([*self.grants.values(), self.bot_grant], self.env)
        self.bot_env_file = self.data_dir / "bot-plugins.env"
        self.postgres = Postgres.durable(
            self.data_dir / "pgdata",
            log_path=self.logs / "postgres.log",
            database="buteco",
            env={**os.environ, MARKER: str(self.data_dir)},
        )
        self.children: list[ChildProcess] = []
        self.services: dict[str, ServiceProcess] = {}
        self._pids: list[dict] = []
        self._mutex = threading.RLock()  # the watcher's thread and the main one both start and stop children
        self._stopping = False
        atexit.register(self.stop)

    def discover(self) -> list[ServiceSpec]:
        """The catalogue as plugins/ says now, with this run's port choice and .env's URLs."""
        return discover(free_ports=self.free_ports, port_base=self.port_base, env=self.env)

    @staticmethod
    def _grant(spec: ServiceSpec, services: dict) -> Grant:
        return service_grant(services.get(spec.name), package=spec.package, token_env=spec.token_env)

    def child_env(self, grant: Grant) -> dict[str, str]:
        """The .env/process settings without any secret, the services' URLs, then what grant says it may have."""
        urls = {spec.url_env: spec.url for spec in self.specs if spec.url_env}
        public = {k: v for k, v in self.env.items() if not is_secret(k) and k != "DATABASE_URL"}
        env = {**public, **urls, **{name: self.secrets[name] for name in grant.secrets if name in self.secrets}}
        if grant.role and grant.password_variable in self.secrets:  # its own role, whose password the migrator set
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
            self._claim_port(spec, say)
        waiting = [(spec, self._launch(spec, say)) for spec in self.specs]
        for spec, service in waiting:
            if service is not None:
                say(f"  {spec.name:<12} {service.url}  {self._health(service)}  {shown_command(spec)}".rstrip())
        self.write_bot_env()

    def _claim_port(self, spec: ServiceSpec, say) -> None:
        if not spec.skipped and not port_free(spec.port):
            busy, spec.port = spec.port, free_port()
            say(f"  {spec.name:<12} port {busy} is taken (another run?); using {spec.port}")

    def _launch(self, spec: ServiceSpec, say) -> ServiceProcess | None:
        """Build and spawn one service (not waiting for it); None, said why, when it is not started."""
        if spec.external_url:
            say(f"  {spec.name:<12} {spec.external_url}  (from {spec.url_env}: not started here)")
            return None
        if spec.skipped:
            say(f"  {spec.name:<12} skipped: {spec.skipped}")
            return None
        try:
            command, cwd = command_for(spec, self.data_dir / "bin")
        except RuntimeError as exc:  # a missing tool or a failed build
            spec.failed = str(exc).splitlines()[0]
            retry = f"(save plugins/{spec.plugin_id}.toml again to retry)" if spec.plugin_id else ""
            say(f"  {spec.name:<12} skipped: {str(exc).rstrip()}\n               {retry}".rstrip())
            return None
        env = {**self.child_env(self.grants[spec.name]), **port_env(spec)}
        service = ServiceProcess(
            spec.name,
            command,
            port=spec.port,
            env=env,
            log_path=self._fresh_log(spec.name),
            startup_timeout=30.0,
            cwd=cwd,
        )
        with self._mutex:
            if self._stopping:
                return None
            self.services[spec.name] = service
            self._record(service.spawn())
        return service

    def add(self, spec: ServiceSpec, say=print) -> None:
        """A service whose manifest appeared while the stack runs: its credential, a port, then start it."""
        services = compose().get("services", {})
        self.grants[spec.name] = grant = self._grant(spec, services)
        self.bot_grant = Grant(self.bot_grant.secrets | {spec.token_env} if spec.token_env else self.bot_grant.secrets)
        current = {**read_env_file(self.env_file), **self.env}  # a credential added to .env since the start wins
        for name, value in run_secrets([grant, self.bot_grant], current).items():
            self.secrets.setdefault(name, value)
        if grant.role and grant.password_variable not in self.secrets:
            say(f"  ! {spec.name}: its database role gets a password at the next start of `make run`")
        taken = {other.port for other in self.specs}
        while spec.port in taken and not self.free_ports:
            spec.port += 1
        self._claim_port(spec, say)
        self.specs = [*(other for other in self.specs if other.name != spec.name), spec]  # compose's listing too
        service = self._launch(spec, say)
        if service is not None:
            say(f"  {spec.name:<12} {service.url}  {self._health(service)}  {shown_command(spec)}".rstrip())

    def remove(self, name: str) -> ServiceSpec | None:
        """Stop a service whose manifest went away (or changed); returns its spec."""
        spec = next((s for s in self.specs if s.name == name), None)
        if spec is not None:
            self.specs.remove(spec)
        with self._mutex:
            service = self.services.pop(name, None)
            if service is not None and service in self.children:
                self.children.remove(service)
        if service is not None:
            service.stop()
        return spec

    def replace(self, spec: ServiceSpec, say=print) -> None:
        """A changed manifest: stop the old process, start the new one on the same port when it can."""
        old = self.remove(spec.name)
        if old is not None and old.port:
            spec.port = old.port
        self.add(spec, say)

    def write_bot_env(self) -> None:
        """Every service's URL and each plugin's credential, for the bot's next /plugins reload (mode 600)."""
        tokens = {spec.token_env for spec in self.specs if spec.token_env} & set(self.secrets) - self.bot_secrets
        lines = [f"{spec.url_env}={spec.url}" for spec in self.specs if spec.url_env]
        lines += [f"{name}={self.secrets[name]}" for name in sorted(tokens)]
        partial = self.bot_env_file.with_suffix(".tmp")
        partial.touch(mode=0o600)
        partial.write_text("\n".join(lines) + "\n")
        os.replace(partial, self.bot_env_file)

    def start_bot(self, env: dict[str, str], *, log: bool = True) -> ChildProcess:
        """`python -m buteco_bot` with the services' URLs; log=False lets it write to this terminal."""
        plugins = {"PLUGINS_DIR": str(REPO_ROOT / "plugins"), "PLUGINS_ENV_FILE": str(self.bot_env_file)}
        bot = ChildProcess(
            "bot",
            [sys.executable, "-m", "buteco_bot"],
            env={**self.child_env(self.bot_grant), **plugins, **env},
            log_path=self._fresh_log("bot") if log else None,
        )
        with self._mutex:
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
        with self._mutex:
            self._stopping = True
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
