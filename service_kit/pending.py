"""Pending money work that heals itself: the ledger client on app.state, and a reconcile that runs on its own."""

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Annotated, Any, Protocol

from fastapi import Depends, FastAPI, Request
from pydantic import Field, SecretStr, model_validator
from sqlalchemy import Engine, TextClause
from sqlalchemy.orm import Session

from service_kit.client import InternalClient
from service_kit.errors import ServiceError
from service_kit.ledger_client import LedgerClient, NotConfirmed
from service_kit.periodic import Periodic
from service_kit.settings import DatabaseSettings

logger = logging.getLogger("service_kit.pending")
FORGOTTEN_COLUMNS = (
    "u.discord_id IS NULL AS forgotten, coalesce(extract(epoch FROM now() - u.forgotten_at), 0) AS forgotten_for_s"
)
"""Columns of a pending item's member `u` (users): forgotten or not, and for how many seconds."""


class LedgerCallerSettings(DatabaseSettings):
    """A service that moves coins through balance_api and completes what an outage left pending, unasked."""

    balance_api_url: str = Field(pattern=r"^https?://")
    balance_api_timeout_s: float = Field(default=3.0, gt=0, le=60)
    reconcile_interval_s: float = Field(default=1.0, gt=0, le=3600)
    reconcile_backoff_max_s: float = Field(default=5.0, gt=0, le=3600)
    reconcile_batch: int = Field(default=100, ge=1, le=1000)
    forgotten_member_grace_s: float = Field(default=60.0, ge=0, le=86_400)

    @model_validator(mode="after")
    def _backoff_covers_the_interval(self) -> "LedgerCallerSettings":
        if self.reconcile_backoff_max_s < self.reconcile_interval_s:
            raise ValueError("RECONCILE_BACKOFF_MAX_S must be at least RECONCILE_INTERVAL_S")
        return self

    @property
    def ledger_token(self) -> SecretStr:
        """The service's own credential, presented to balance_api; each service names its variable."""
        raise NotImplementedError


class LedgerRejected(ServiceError):
    """balance_api refused a move outright: a bug or a broken invariant, not a passing outage."""

    status_code = 502
    code = "ledger_rejected"

    def __init__(self, what: str, **extra: Any) -> None:
        super().__init__(f"the ledger refused {what}; the operators were told", **extra)


class PassReport(Protocol):
    """What a reconcile pass tells the loop: whether it met work (one log line) and whether the ledger answered."""

    found: int
    ledger_down: bool


class Reconcile(Protocol):
    """One pass over everything pending, page by page; it ends early when stop is set."""

    def __call__(
        self, *, engine: Any, ledger: LedgerClient, batch: int, stop: threading.Event | None
    ) -> PassReport: ...


def caused_by_the_ledger(exc: BaseException) -> bool:
    """Whether an error comes from the ledger not answering, so a reconcile pass stops rather than hammer it."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, NotConfirmed):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def keyset(
    fetch: Callable[[int, int], Sequence[Any]], *, batch: int, stop: threading.Event | None = None
) -> Iterator[Any]:
    """Every row of fetch(after_id, batch), page after page by id: an item that stays pending never hides the rest."""
    after = 0
    while stop is None or not stop.is_set():
        rows = fetch(after, batch)
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].id


def pending_rows(
    engine: Engine, statement: TextClause, *, batch: int, stop: threading.Event | None = None
) -> Iterator[Any]:
    """The rows of a statement taking :after and :limit (ORDER BY id), a page of batch at a time."""

    def fetch(after: int, limit: int) -> list[Any]:
        with Session(engine) as session:
            return list(session.execute(statement, {"after": after, "limit": limit}))

    return keyset(fetch, batch=batch, stop=stop)


def too_soon_to_tell(row: Any, ledger: LedgerClient) -> bool:
    """A forgotten member's item the pass leaves without asking the ledger: a move sent before may still land."""
    return bool(row.forgotten) and row.forgotten_for_s < ledger.forgotten_grace_s


def open_ledger(app: FastAPI, *, large_timeout_s: float | None = None) -> LedgerClient:
    """The service's one ledger client, on app.state for LedgerDep; a second pool for long calls (a settlement)."""
    settings: LedgerCallerSettings = app.state.settings

    def client(timeout_s: float) -> InternalClient:
        return InternalClient(settings.balance_api_url, settings.ledger_token, timeout_s)

    small = client(settings.balance_api_timeout_s)
    large = client(large_timeout_s) if large_timeout_s else None
    app.state.ledger = LedgerClient(small, large, forgotten_grace_s=settings.forgotten_member_grace_s)
    return app.state.ledger


def start_reconciling(app: FastAPI, name: str, reconcile: Reconcile) -> Periodic:
    """Run the reconcile at once, then every interval, backing off while the ledger does not answer."""
    settings: LedgerCallerSettings = app.state.settings

    def one_pass(stop: threading.Event) -> bool:
        report = reconcile(engine=app.state.engine, ledger=app.state.ledger, batch=settings.reconcile_batch, stop=stop)
        return not report.ledger_down

    app.state.reconciler = Periodic(
        name, one_pass, interval_s=settings.reconcile_interval_s, max_backoff_s=settings.reconcile_backoff_max_s
    ).start()
    return app.state.reconciler


def stop_ledger(app: FastAPI) -> None:
    """Shutdown: let the pass in progress end at its next page, then close the ledger's connections."""
    reconciler: Periodic | None = getattr(app.state, "reconciler", None)
    if reconciler is not None:
        reconciler.stop()
    ledger: LedgerClient | None = getattr(app.state, "ledger", None)
    if ledger is not None:
        ledger.close()


async def get_ledger(request: Request) -> LedgerClient:
    """No I/O: async, so reading it costs no thread-pool hand-off."""
    return request.app.state.ledger


LedgerDep = Annotated[LedgerClient, Depends(get_ledger)]
"""The service's ledger client, in a route that moves coins."""
