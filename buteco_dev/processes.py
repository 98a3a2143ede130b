"""Child processes of any language, each in its own process group: PostgreSQL, the services, the bot.

A ServiceProcess listens on a loopback port; start() returns once it answers GET /health. stop() signals the
whole group (uvicorn's workers and a server's children included), then SIGKILLs what is left after a grace period.
python_service() and go_service() run a service as the tests and benchmarks do, with the tests' credentials.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

from . import REPO_ROOT
from .credentials import caller_env, service_database_url


def free_port() -> int:
    """Ask the kernel for a free TCP port on loopback (tiny race, retried by callers)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def signal_group(pgid: int, sig: int) -> None:
    """Signal a process group that may already be gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


class ServiceStartError(RuntimeError):
    """The service died or never answered /health; the message carries its log."""

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class ChildProcess:
    """A command in a session of its own, its output appended to log_path (None: left on this terminal)."""

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        log_path: Path | None = None,
        cwd: Path = REPO_ROOT,
        stop_signal: int = signal.SIGTERM,
        **popen_options,
    ) -> None:
        self.name, self.command, self.cwd, self.log_path = name, list(command), cwd, log_path
        self.env = dict(os.environ if env is None else env)
        self.stop_signal, self.popen_options = stop_signal, popen_options
        self.proc: subprocess.Popen | None = None
        self._last_exit: int | None = None

    def spawn(self) -> ChildProcess:
        with open(self.log_path, "ab") if self.log_path else contextlib.nullcontext() as log:
            self.proc = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT if log else None,
                start_new_session=True,
                **self.popen_options,
            )
        return self

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def exit_code(self) -> int | None:
        """How the last run ended; None while it runs or before it started."""
        return self.proc.poll() if self.proc else self._last_exit

    def terminate(self) -> None:
        """Ask the whole group to stop (stop_signal) without waiting."""
        if self.running:
            signal_group(self.proc.pid, self.stop_signal)

    def finish(self, grace: float = 10.0) -> None:
        """Wait up to grace for a terminated child, then SIGKILL whatever of its group is still alive."""
        proc = self.proc
        if proc is None:
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
        signal_group(proc.pid, signal.SIGKILL)
        proc.wait()
        self.proc, self._last_exit = None, proc.returncode

    def stop(self, timeout: float = 10.0) -> None:
        """Graceful stop (stop_signal, as an orchestrator does), killing the group if it hangs; idempotent."""
        self.terminate()
        self.finish(timeout)

    def kill(self) -> None:
        """Crash it (SIGKILL to the group): no shutdown hooks run."""
        if self.proc is not None:
            signal_group(self.proc.pid, signal.SIGKILL)
            self.finish(0)

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""


class ServiceProcess(ChildProcess):
    """A service on 127.0.0.1:port; start() waits until it answers /health, restart() keeps the port."""

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        *,
        port: int,
        env: Mapping[str, str] | None = None,
        log_path: Path,
        startup_timeout: float = 15.0,
        cwd: Path = REPO_ROOT,
    ) -> None:
        super().__init__(name, command, env=env, log_path=log_path, cwd=cwd)
        self.port, self.startup_timeout = port, startup_timeout

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServiceProcess:
        self.spawn()
        try:
            self.wait_healthy()
        except ServiceStartError:
            self.kill()
            raise
        return self

    def wait_healthy(self) -> str:
        """The status /health reports (or "answering"), once it answers at all; ServiceStartError if it dies."""
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if not self.running:
                code = self.exit_code
                self.finish(0)
                raise ServiceStartError(f"{self.name} exited with {code} at start:\n{self.logs()}", code)
            try:
                body = httpx.get(f"{self.url}/health", timeout=1.0, trust_env=False).json()
                return str(body.get("status", "?")) if isinstance(body, dict) else "answering"
            except ValueError:
                return "answering"
            except httpx.TransportError:
                time.sleep(0.05)
        raise ServiceStartError(f"{self.name} did not answer /health in {self.startup_timeout:.0f} s:\n{self.logs()}")

    def restart(self) -> ServiceProcess:
        """Stop and start again on the same port, so URLs held by other services stay valid."""
        self.stop()
        return self.start()

    def __enter__(self) -> ServiceProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def uvicorn_command(module: str, port: int, *, log_level: str = "warning", workers: int | None = None) -> list[str]:
    """`python -m uvicorn <module>:app` on 127.0.0.1:port."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        f"{module}:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        log_level,
        *(["--workers", str(workers)] if workers else []),
    ]


def _log_path(log_dir: str | os.PathLike | None, stem: str, port: int) -> Path:
    return Path(log_dir or tempfile.mkdtemp(prefix="buteco-svc-")) / f"{stem}-{port}.log"


def python_service(
    module: str,
    *,
    database_url: str | None = None,
    env: Mapping[str, str] | None = None,
    port: int | None = None,
    log_dir: str | os.PathLike | None = None,
    startup_timeout: float = 15.0,
    workers: int | None = None,
) -> ServiceProcess:
    """A Python service as tests and benchmarks run it: every caller's test credential, and on database_url its
    own database role (with the tests' password); env comes last and wins."""
    port = port or free_port()
    full_env = {**os.environ, **caller_env(), **(env or {})}
    if database_url is not None:
        full_env["DATABASE_URL"] = service_database_url(module, database_url)
    return ServiceProcess(
        module,
        uvicorn_command(module, port, workers=workers),
        port=port,
        env=full_env,
        log_path=_log_path(log_dir, module.replace(".", "_"), port),
        startup_timeout=startup_timeout,
    )


def go_service(
    binary: Path,
    *,
    env: Mapping[str, str] | None = None,
    port: int | None = None,
    log_dir: str | os.PathLike | None = None,
    startup_timeout: float = 10.0,
) -> ServiceProcess:
    """A built Go service as tests run it: every caller's test credential, PORT and HOST set."""
    port = port or free_port()
    full_env = {**os.environ, **caller_env(), **(env or {}), "PORT": str(port), "HOST": "127.0.0.1"}
    return ServiceProcess(
        binary.name,
        [str(binary)],
        port=port,
        env=full_env,
        log_path=_log_path(log_dir, binary.name, port),
        startup_timeout=startup_timeout,
    )


class ServiceGroup:
    """Python services started on one database and stopped together, newest first, whatever happens between."""

    def __init__(self, database_url: str | None, log_dir: str | os.PathLike) -> None:
        self.database_url, self.log_dir = database_url, log_dir
        self.started: list[ServiceProcess] = []

    def start(
        self, module: str, env: Mapping[str, str] | None = None, *, database_url: str | None = None
    ) -> ServiceProcess:
        service = python_service(module, database_url=database_url or self.database_url, env=env, log_dir=self.log_dir)
        self.started.append(service)
        return service.start()

    def stop(self) -> None:
        for service in reversed(self.started):
            service.stop()

    def __enter__(self) -> ServiceGroup:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
