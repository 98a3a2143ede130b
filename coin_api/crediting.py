"""Paying recorded claims through the ledger, one request per member at a time, and reconciling leftovers."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from coin_api.balance_client import BalanceClient, CreditNotConfirmed, CreditRefused, DailyCredit
from coin_api.errors import ClaimInProgress, CreditPending, LedgerRejected
from coin_api.models import DailyClaim
from service_kit.identity import find_discord_id
from service_kit.locks import advisory_key, advisory_lock, pinned_session

logger = logging.getLogger("coin_api.crediting")


def member_lock_name(guild_id: int, user_id: int) -> str:
    return f"coin_api:daily:{guild_id}:{user_id}"


def member_lock_key(guild_id: int, user_id: int) -> int:
    """The advisory key of a member's claims, for tests that hold the lock from outside."""
    return advisory_key(member_lock_name(guild_id, user_id))


@contextmanager
def member_lock(session: Session, *, guild_id: int, user_id: int, wait_s: float) -> Iterator[bool]:
    """Lets a request tell a claim still being paid from one whose request gave up (wait_s=0: only try)."""
    # The claim row is committed before the ledger call; without this lock a concurrent request would see
    # that pending row and complete it itself, answering 200 where the contract wants 409.
    with advisory_lock(session, member_lock_name(guild_id, user_id), wait_s=wait_s, busy=ClaimInProgress) as held:
        yield held


def credit_claim(session: Session, ledger: BalanceClient, claim: DailyClaim, discord_id: int) -> DailyClaim:
    """Post the claim with its own key, then mark it credited; the caller holds the member's lock."""
    credit = DailyCredit(
        guild_id=claim.guild_id,
        user_id=claim.user_id,
        discord_id=discord_id,
        claim_number=claim.claim_number,
        streak=claim.streak,
        amount=claim.amount,
    )
    try:
        transaction_id = ledger.credit(credit)
    except CreditNotConfirmed as exc:
        raise CreditPending(claim.claim_number, claim.amount) from exc
    except CreditRefused as exc:
        raise LedgerRejected(claim.claim_number) from exc
    try:
        session.execute(
            update(DailyClaim)
            .where(DailyClaim.id == claim.id, DailyClaim.credited_at.is_(None))
            .values(credited_at=func.now(), transaction_id=transaction_id)
        )
        session.commit()
    except OperationalError as exc:
        logger.warning("claim %s was paid but could not be marked; a retry will: %s", credit.key, exc)
        raise CreditPending(claim.claim_number, claim.amount) from exc
    return session.get_one(DailyClaim, claim.id, populate_existing=True)


@dataclass(frozen=True)
class ReconcileReport:
    """What one pass did: claims found pending, credited, skipped (a request held them) and still failing."""

    found: int
    credited: int
    skipped: int
    failed: int


def reconcile_pending(*, engine: Engine, ledger: BalanceClient, limit: int = 500) -> ReconcileReport:
    """Complete claims whose credit was never confirmed, oldest first; stops when the ledger is unreachable."""
    with Session(engine) as session:
        pending = session.execute(
            select(DailyClaim.id, DailyClaim.guild_id, DailyClaim.user_id)
            .where(DailyClaim.credited_at.is_(None))
            .order_by(DailyClaim.claimed_at)
            .limit(limit)
        ).all()
    credited = skipped = failed = 0
    for row in pending:
        with (
            pinned_session(engine) as session,
            member_lock(session, guild_id=row.guild_id, user_id=row.user_id, wait_s=0) as held,
        ):
            if not held:
                skipped += 1
                continue
            claim = session.get_one(DailyClaim, row.id, populate_existing=True)
            if claim.credited:
                continue
            discord_id = find_discord_id(session, claim.user_id)
            if discord_id is None:
                logger.warning("pending claim %s belongs to a forgotten member; left pending", claim.id)
                failed += 1
                continue
            try:
                credit_claim(session, ledger, claim, discord_id)
                credited += 1
            except LedgerRejected:
                failed += 1
            except CreditPending:
                failed += 1
                break
    report = ReconcileReport(found=len(pending), credited=credited, skipped=skipped, failed=failed)
    logger.info("reconcile: %s", report)
    return report
