"""Real service processes (uvicorn subprocesses) for end-to-end tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from tests.support.db_roles import service_database_url
from tests.support.postgres import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_TOKENS = {"bot": "buteco-test-bot-token", "coin_api": "buteco-test-coin-api-token",
               "bet_api": "buteco-test-bet-api-token", "joke": "buteco-test-joke-token"}
TEST_TOKEN = TEST_TOKENS["bot"]  # most tests call the services the bot's way


def caller_env() -> dict[str, str]:
    """Every caller's credential under its variable, as each service (and the bot) reads it."""
    return {"BOT_API_TOKEN": TEST_TOKENS["bot"], "COIN_API_TOKEN": TEST_TOKENS["coin_api"],
            "BET_API_TOKEN": TEST_TOKENS["bet_api"], "JOKE_API_TOKEN": TEST_TOKENS["joke"]}


def auth_headers(token: str = TEST_TOKEN, **extra: str) -> dict[str, str]:
    """Bearer auth plus extra headers; keyword underscores become dashes (idempotency_key=...)."""
    return {"Authorization": f"Bearer {token}", **{k.replace("_", "-").title(): v for k, v in extra.items()}}


def fund_member(ledger_url: str, guild_id: int, discord_id: int, amount: int, *, key: str) -> httpx.Response:
    """Credit a member from the guild's mint the one way the ledger allows: a daily credit, as coin_api."""
    body = {"guild_id": str(guild_id), "kind": "daily", "reason": "test funds",
            "postings": [{"system": "mint", "amount": -amount}, {"user_id": str(discord_id), "amount": amount}]}
    return httpx.post(f"{ledger_url.rstrip('/')}/transactions", json=body, trust_env=False, timeout=30,
                      headers=auth_headers(TEST_TOKENS["coin_api"], idempotency_key=key))


class ServiceStartError(RuntimeError):
    """The service died or never answered /health; the message carries its log."""


class ServiceProcess:
    """`python -m uvicorn <module>:app` on a free loopback port, with its output in a log file."""

    def __init__(self, module: str, *, database_url: str | None = None,
                 env: Mapping[str, str] | None = None, port: int | None = None,
                 log_dir: str | os.PathLike | None = None, startup_timeout: float = 15.0) -> None:
        self.module = module
        self.port = port or free_port()
        self.startup_timeout = startup_timeout
        self.env = {**os.environ, **caller_env(), **(env or {})}
        if database_url is not None:
            self.env["DATABASE_URL"] = service_database_url(module, database_url)  # its own role
        log_dir = Path(log_dir or tempfile.mkdtemp(prefix="buteco-svc-"))
        self.log_path = log_dir / f"{module.replace('.', '_')}-{self.port}.log"
        self._proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServiceProcess:
        cmd = [sys.executable, "-m", "uvicorn", f"{self.module}:app", "--host", "127.0.0.1",
               "--port", str(self.port), "--log-level", "warning"]
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL)
        self._wait_healthy()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Graceful stop (SIGTERM, as an orchestrator does), killing it if it hangs."""
        proc, self._proc = self._proc, None
        if proc and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def kill(self) -> None:
        """Crash it (SIGKILL): no shutdown hooks run."""
        if self._proc and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._proc = None

    def restart(self) -> ServiceProcess:
        """Stop and start again on the same port, so URLs held by other services stay valid."""
        self.stop()
        return self.start()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> ServiceProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                code, self._proc = self._proc.returncode, None
                raise ServiceStartError(f"{self.module} exited with {code} at start:\n{self.logs()}")
            try:
                httpx.get(f"{self.url}/health", timeout=1.0, trust_env=False)
                return
            except httpx.TransportError:
                time.sleep(0.05)
        self.kill()
        raise ServiceStartError(f"{self.module} did not answer /health in {self.startup_timeout} s:\n{self.logs()}")


class ServiceGroup:
    """Services started on one database and stopped together, newest first, whatever happens in between."""

    def __init__(self, database_url: str | None, log_dir: str | os.PathLike) -> None:
        self.database_url, self.log_dir = database_url, log_dir
        self.started: list[ServiceProcess] = []

    def start(self, module: str, env: Mapping[str, str] | None = None, *,
              database_url: str | None = None) -> ServiceProcess:
        service = ServiceProcess(module, database_url=database_url or self.database_url, env=env,
                                 log_dir=self.log_dir)
        self.started.append(service)
        return service.start()

    def stop(self) -> None:
        for service in reversed(self.started):
            service.stop()

    def __enter__(self) -> ServiceGroup:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
