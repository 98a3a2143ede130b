"""Completing claims a crash or a ledger outage left pending, page by page, without waiting for the member to retry."""

import logging
import threading
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import Engine, text

from coin_api.crediting import complete, member_lock
from coin_api.errors import CreditPending
from coin_api.models import DailyClaim
from service_kit.ledger_client import LedgerClient
from service_kit.locks import pinned_session
from service_kit.pending import FORGOTTEN_COLUMNS, LedgerRejected, caused_by_the_ledger, pending_rows, too_soon_to_tell

logger = logging.getLogger("coin_api.reconcile")
_PENDING_CLAIMS = text(
    f"SELECT c.id, c.guild_id, c.user_id, {FORGOTTEN_COLUMNS} FROM daily_claims c JOIN users u ON u.id = c.user_id"
    " WHERE c.credited_at IS NULL AND c.voided_at IS NULL AND c.id > :after ORDER BY c.id LIMIT :limit"
)


@dataclass(frozen=True)
class ReconcileReport:
    """One pass: claims found pending, credited, voided (forgotten members), skipped (busy or too soon), failing."""

    found: int = 0
    credited: int = 0
    voided: int = 0
    skipped: int = 0
    failed: int = 0
    ledger_down: bool = False


def reconcile_pending(
    *, engine: Engine, ledger: LedgerClient, batch: int = 100, stop: threading.Event | None = None
) -> ReconcileReport:
    """Every pending claim, oldest first, a page at a time; the pass stops when the ledger stops answering."""
    counts: Counter[str] = Counter()
    for row in pending_rows(engine, _PENDING_CLAIMS, batch=batch, stop=stop):
        counts["found"] += 1
        if too_soon_to_tell(row, ledger):
            counts["skipped"] += 1
            continue
        outcome = _reconcile_one(engine, ledger, row)
        counts[outcome] += 1
        if outcome == "ledger_down":
            counts["failed"] += 1
            break
    report = ReconcileReport(
        found=counts["found"],
        credited=counts["credited"],
        voided=counts["voided"],
        skipped=counts["skipped"],
        failed=counts["failed"],
        ledger_down=counts["ledger_down"] > 0,
    )
    if report.found:
        logger.info("reconcile: %s", report)
    return report


def _reconcile_one(engine: Engine, ledger: LedgerClient, row) -> str:
    """What became of one claim: credited, voided, skipped, failed, ledger_down, or done (a request paid it)."""
    with (
        pinned_session(engine) as session,
        member_lock(session, guild_id=row.guild_id, user_id=row.user_id, wait_s=0) as held,
    ):
        if not held:
            return "skipped"
        claim = session.get_one(DailyClaim, row.id, populate_existing=True)
        if not claim.pending:
            return "done"
        try:
            claim = complete(session, ledger, claim)
        except LedgerRejected:
            return "failed"
        except CreditPending as exc:
            return "ledger_down" if caused_by_the_ledger(exc) else "failed"
        return "credited" if claim.credited else "voided" if claim.voided else "skipped"
