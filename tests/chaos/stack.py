"""The stack the chaos suite breaks: a PostgreSQL server of its own (so it may restart it), the money services on it
as their own database roles, and a fault proxy in front of balance_api for each of coin_api and bet_api."""

from __future__ import annotations

import time
from pathlib import Path

from buteco_dev import migrations
from buteco_dev.fault_proxy import FaultProxy
from buteco_dev.postgres import Postgres, create_database, query
from buteco_dev.processes import ServiceProcess, python_service

LEDGER_TIMEOUT_S = 1.0  # coin_api and bet_api give up on balance_api after this: outages turn into pending work
COOLDOWN_S = 1  # a member may claim the daily reward again a second later, so claims keep coming
# coin_api and bet_api look for pending work every second on their own, and decide a forgotten member's 2 s after
# the forget-me (a credit sent before it may still land until then: LEDGER_TIMEOUT_S and some).
RECONCILE_ENV = {"RECONCILE_INTERVAL_S": "1", "RECONCILE_BACKOFF_MAX_S": "2", "FORGOTTEN_MEMBER_GRACE_S": "2"}
PENDING_SQL = {
    "claims": "SELECT count(*) FROM daily_claims WHERE credited_at IS NULL AND voided_at IS NULL",
    "stakes": "SELECT count(*) FROM bet_stakes WHERE confirmed_at IS NULL",
    "settlements": "SELECT count(*) FROM bet_events WHERE status IN ('settling', 'cancelling')",
}
SERVICE_ENV = {
    "balance_api": {"HOLD_SWEEP_INTERVAL_S": "1"},  # an expired hold comes back within a second
    "coin_api": {
        "BALANCE_API_TIMEOUT_S": str(LEDGER_TIMEOUT_S),
        "DAILY_COOLDOWN_SECONDS": str(COOLDOWN_S),
        "DAILY_STREAK_GRACE_SECONDS": str(2 * COOLDOWN_S),
        **RECONCILE_ENV,
    },
    "bet_api": {
        "BALANCE_API_TIMEOUT_S": str(LEDGER_TIMEOUT_S),
        "BALANCE_API_SETTLE_TIMEOUT_S": "5",
        **RECONCILE_ENV,
    },
}


class ChaosStack:
    """Starts everything in start(), stops everything in stop(); kill/revive keep a service's port."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.postgres = Postgres.throwaway()
        self.services: dict[str, ServiceProcess] = {}
        self.proxies: dict[str, FaultProxy] = {}
        self.database_url = ""

    def start(self) -> ChaosStack:
        try:
            self.postgres.start()
            self.database_url = create_database(self.postgres.url, "buteco_chaos")
            migrations.ensure_built()
            migrations.run_migrations(self.database_url)
            self._start("client_api")
            ledger = self._start("balance_api")
            for name in ("coin_api", "bet_api"):
                self.proxies[name] = FaultProxy(ledger.url).start()
                self._start(name, BALANCE_API_URL=self.proxies[name].url)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, name: str, **env: str) -> ServiceProcess:
        service = python_service(
            f"{name}.main",
            database_url=self.database_url,
            env={"LOG_LEVEL": "INFO", **SERVICE_ENV.get(name, {}), **env},
            log_dir=self.log_dir,
            startup_timeout=30,
        )
        self.services[name] = service.start()
        return service

    def url(self, name: str) -> str:
        return self.services[name].url

    def kill(self, *names: str) -> None:
        """SIGKILL: no shutdown hook runs, requests in flight die with the process."""
        for name in names:
            self.services[name].kill()

    def revive(self, *names: str) -> float:
        """Start killed services again on their ports; the seconds until every one answers /health."""
        started = time.monotonic()
        for name in names:
            self.services[name].start()
        return time.monotonic() - started

    def proxy_mode(self, mode: str, seconds: float = 0.0, **options) -> None:
        for proxy in self.proxies.values():
            proxy.set_mode(mode, seconds, **options)

    def restart_postgres(self, pause_s: float) -> float:
        return self.postgres.restart(pause_s=pause_s)

    def sql(self, statement: str, *params) -> list[tuple]:
        """Read what was stored, as the schema's owner."""
        return query(self.database_url, statement, *params)

    def pending(self) -> dict[str, int]:
        """Work the services still owe: claims not credited, stakes not confirmed, settlements not finished."""
        return {name: self.sql(statement)[0][0] for name, statement in PENDING_SQL.items()}

    def logs(self, name: str) -> str:
        return self.services[name].logs()

    def stop(self) -> None:
        for service in reversed(list(self.services.values())):
            service.stop()
        for proxy in self.proxies.values():
            proxy.stop()
        self.postgres.stop()
