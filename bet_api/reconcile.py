"""Completing what a crash or a ledger outage left half-done: pending stakes and unfinished settlements."""

import logging
import threading
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from bet_api.errors import Busy, SettlementPending, StakePending
from bet_api.locking import event_lock
from bet_api.service import lock_expired
from bet_api.settlement import finish
from bet_api.stakes import CONFIRMED, REJECTED, complete_stake
from service_kit.ledger_client import LedgerClient
from service_kit.locks import pinned_session
from service_kit.pending import FORGOTTEN_COLUMNS, LedgerRejected, caused_by_the_ledger, pending_rows, too_soon_to_tell

logger = logging.getLogger("bet_api.reconcile")
_PENDING_STAKES = text(
    f"SELECT s.id, {FORGOTTEN_COLUMNS} FROM bet_stakes s JOIN bets b ON b.id = s.bet_id"
    " JOIN users u ON u.id = b.user_id WHERE s.confirmed_at IS NULL AND s.id > :after ORDER BY s.id LIMIT :limit"
)
_UNFINISHED_EVENTS = text(
    "SELECT id FROM bet_events WHERE status IN ('settling', 'cancelling') AND id > :after ORDER BY id LIMIT :limit"
)


@dataclass(frozen=True)
class ReconcileReport:
    """One pass: events lazily locked, stakes and settlements found / completed, skipped (busy), failing."""

    events_locked: int = 0
    stakes_found: int = 0
    stakes_confirmed: int = 0
    stakes_rejected: int = 0
    events_found: int = 0
    events_completed: int = 0
    skipped: int = 0
    failed: int = 0
    ledger_down: bool = False

    @property
    def found(self) -> int:
        """Whether the pass met any work, for its one log line."""
        return self.events_locked + self.stakes_found + self.events_found


def reconcile(
    *, engine: Engine, ledger: LedgerClient, wait_s: float, batch: int = 100, stop: threading.Event | None = None
) -> ReconcileReport:
    """Stakes, then settlements, a page at a time by id; the pass stops at the first sign of a ledger outage."""
    with Session(engine) as session:
        locked = lock_expired(session)
        session.commit()
    counts: Counter[str] = Counter()
    _stakes(engine, ledger, wait_s, batch, stop, counts)
    if not counts["ledger_down"]:
        _events(engine, ledger, wait_s, batch, stop, counts)
    report = ReconcileReport(
        events_locked=locked,
        stakes_found=counts["stakes_found"],
        stakes_confirmed=counts["confirmed"],
        stakes_rejected=counts["rejected"],
        events_found=counts["events_found"],
        events_completed=counts["completed"],
        skipped=counts["skipped"],
        failed=counts["failed"],
        ledger_down=counts["ledger_down"] > 0,
    )
    if report.found:
        logger.info("reconcile: %s", report)
    return report


def _stakes(
    engine: Engine, ledger: LedgerClient, wait_s: float, batch: int, stop: threading.Event | None, counts: Counter
) -> None:
    """Stakes a request is moving are skipped (SKIP LOCKED), as are forgotten members' still within the grace."""
    for row in pending_rows(engine, _PENDING_STAKES, batch=batch, stop=stop):
        counts["stakes_found"] += 1
        if too_soon_to_tell(row, ledger):
            counts["skipped"] += 1
            continue
        with Session(engine) as session:
            try:
                state = complete_stake(session, ledger, row.id, wait_s=wait_s, skip_locked=True).state
            except Busy:
                state = "skipped"
            except StakePending as exc:
                counts["failed"] += 1
                if caused_by_the_ledger(exc):
                    counts["ledger_down"] += 1
                    return
                continue
        counts["confirmed" if state == CONFIRMED else "rejected" if state == REJECTED else "skipped"] += 1


def _events(
    engine: Engine, ledger: LedgerClient, wait_s: float, batch: int, stop: threading.Event | None, counts: Counter
) -> None:
    """Settlements a request is running are skipped; the others are finished where they stopped."""
    for row in pending_rows(engine, _UNFINISHED_EVENTS, batch=batch, stop=stop):
        counts["events_found"] += 1
        with pinned_session(engine) as session, event_lock(session, row.id, wait_s=0) as held:
            if not held:
                counts["skipped"] += 1
                continue
            try:
                counts["completed"] += finish(session, ledger, row.id, wait_s=wait_s)
            except (LedgerRejected, Busy):
                counts["failed"] += 1
            except SettlementPending as exc:
                counts["failed"] += 1
                if caused_by_the_ledger(exc):
                    counts["ledger_down"] += 1
                    return
