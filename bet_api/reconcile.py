"""Completing what a crash or a ledger outage left half-done: pending stakes and unfinished settlements."""

import logging
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bet_api.balance_client import BalanceClient
from bet_api.errors import Busy, LedgerRejected, SettlementPending, StakePending
from bet_api.locking import event_lock
from bet_api.models import PENDING_STATES, BetEvent, BetStake
from bet_api.service import lock_expired
from bet_api.settlement import finish
from bet_api.stakes import CONFIRMED, SKIPPED, complete_stake
from service_kit.locks import pinned_session

logger = logging.getLogger("bet_api.reconcile")


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


def reconcile(*, engine: Engine, ledger: BalanceClient, wait_s: float, limit: int = 500) -> ReconcileReport:
    """Oldest first; a pass stops at the first ledger outage, the next pass (or a retry) goes on from there."""
    with Session(engine) as session:
        locked = lock_expired(session)
        session.commit()
        stake_ids = list(
            session.scalars(
                select(BetStake.id).where(BetStake.confirmed_at.is_(None)).order_by(BetStake.created_at).limit(limit)
            )
        )
        event_ids = list(
            session.scalars(
                select(BetEvent.id).where(BetEvent.status.in_(PENDING_STATES)).order_by(BetEvent.id).limit(limit)
            )
        )
    counts = {"confirmed": 0, "rejected": 0, "completed": 0, "skipped": 0, "failed": 0}
    ledger_up = _stakes(engine, ledger, stake_ids, wait_s, counts)
    if ledger_up:
        _events(engine, ledger, event_ids, wait_s, counts)
    report = ReconcileReport(
        events_locked=locked,
        stakes_found=len(stake_ids),
        stakes_confirmed=counts["confirmed"],
        stakes_rejected=counts["rejected"],
        events_found=len(event_ids),
        events_completed=counts["completed"],
        skipped=counts["skipped"],
        failed=counts["failed"],
    )
    logger.info("reconcile: %s", report)
    return report


def _stakes(engine: Engine, ledger: BalanceClient, stake_ids: list[int], wait_s: float, counts: dict) -> bool:
    """Stakes a request is still moving are skipped (SKIP LOCKED); False once the ledger stops answering."""
    for stake_id in stake_ids:
        with Session(engine) as session:
            try:
                state = complete_stake(session, ledger, stake_id, wait_s=wait_s, skip_locked=True).state
            except StakePending:
                counts["failed"] += 1
                return False
        key = "confirmed" if state == CONFIRMED else "skipped" if state == SKIPPED else "rejected"
        counts[key] += 1
    return True


def _events(engine: Engine, ledger: BalanceClient, event_ids: list[int], wait_s: float, counts: dict) -> None:
    """Settlements a request is running are skipped; the others are finished where they stopped."""
    for event_id in event_ids:
        with pinned_session(engine) as session, event_lock(session, event_id, wait_s=0) as held:
            if not held:
                counts["skipped"] += 1
                continue
            try:
                counts["completed"] += finish(session, ledger, event_id, wait_s=wait_s)
            except (LedgerRejected, Busy):
                counts["failed"] += 1
            except SettlementPending:
                counts["failed"] += 1
                return
