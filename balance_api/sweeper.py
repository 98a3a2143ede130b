"""Releases the holds nobody captured or released in time, so reserved coins always come back to their member."""

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from balance_api import holds

logger = logging.getLogger("balance_api.sweeper")

PAGES_PER_PASS = 10
_FROM_THE_START = (datetime.min.replace(tzinfo=UTC), 0)
_EXPIRED_PAGE = text(
    "SELECT id, expires_at FROM holds WHERE status = 'held' AND expires_at <= now()"
    " AND (expires_at, id) > (:after_at, :after_id) ORDER BY expires_at, id LIMIT :limit"
)


@dataclass
class SweepReport:
    """One pass: holds released by expiry, passed over (busy or resolved meanwhile), and failed."""

    expired: int = 0
    skipped: int = 0
    failed: int = 0


class HoldSweeper:
    """Each pass pages through expired holds by (expires_at, id) from where the last one stopped, so a hold that
    keeps failing is stepped over instead of blocking those behind it; bounded to PAGES_PER_PASS pages a pass."""

    def __init__(self, engine: Engine, batch_size: int) -> None:
        self.engine = engine
        self.batch_size = batch_size
        self._after = _FROM_THE_START

    def __call__(self, stop: threading.Event) -> SweepReport:
        report = SweepReport()
        with Session(self.engine, expire_on_commit=False) as session:
            for _ in range(PAGES_PER_PASS):
                after_at, after_id = self._after
                page = session.execute(
                    _EXPIRED_PAGE, {"after_at": after_at, "after_id": after_id, "limit": self.batch_size}
                ).all()
                session.rollback()
                for row in page:
                    if stop.is_set():
                        break
                    self._after = (row.expires_at, row.id)
                    self._expire(session, row.id, report)
                if len(page) < self.batch_size:
                    self._after = _FROM_THE_START  # every expired hold was seen: the next pass starts over
                if stop.is_set() or len(page) < self.batch_size:
                    break
        if report.expired or report.failed:
            logger.info(
                "hold sweep: %d expired holds released, %d passed over, %d failed",
                report.expired,
                report.skipped,
                report.failed,
            )
        return report

    @staticmethod
    def _expire(session: Session, hold_id: int, report: SweepReport) -> None:
        try:
            released = holds.expire_if_due(session, hold_id)
        except Exception:
            report.failed += 1
            logger.exception("hold %d could not be released; the sweep goes on past it", hold_id)
            return
        if released:
            report.expired += 1
        else:
            report.skipped += 1
