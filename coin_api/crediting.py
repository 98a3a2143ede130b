"""Paying recorded claims through the ledger, one request per member at a time; a forgotten member's are voided."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import func, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from coin_api.errors import ClaimInProgress, CreditPending
from coin_api.models import DailyClaim
from service_kit.ledger_client import LedgerClient, LedgerRefused, Move, NotConfirmed, Posting, StillInFlight
from service_kit.locks import advisory_key, advisory_lock
from service_kit.pending import FORGOTTEN_COLUMNS, LedgerRejected

logger = logging.getLogger("coin_api.crediting")
MINT = "mint"
_OWNER = text(f"SELECT u.discord_id, {FORGOTTEN_COLUMNS} FROM users u WHERE u.id = :user_id")


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


def daily_key(claim: DailyClaim) -> str:
    """Keyed by the internal user id: a member who is forgotten and registers again gets fresh keys."""
    return f"daily:{claim.guild_id}:{claim.user_id}:{claim.claim_number}"


def daily_move(claim: DailyClaim, discord_id: int) -> Move:
    """mint → member; everything but the Discord id derives from the claim row, so every re-post is the same."""
    return Move(
        key=daily_key(claim),
        guild_id=claim.guild_id,
        kind="daily",
        reason=f"daily reward #{claim.claim_number} (streak {claim.streak})",
        postings=[Posting(-claim.amount, system=MINT), Posting(claim.amount, discord_id=discord_id)],
        data={"claim_number": claim.claim_number, "streak": claim.streak},
    )


def credit_claim(session: Session, ledger: LedgerClient, claim: DailyClaim, discord_id: int) -> DailyClaim:
    """Post the claim with its own key, then mark it credited; the caller holds the member's lock."""
    try:
        transaction_id = ledger.post(daily_move(claim, discord_id))
    except NotConfirmed as exc:
        raise CreditPending(claim.claim_number, claim.amount) from exc
    except LedgerRefused as exc:
        raise LedgerRejected(f"to credit claim #{claim.claim_number}", claim_number=claim.claim_number) from exc
    return _resolve(session, claim, credited_at=func.now(), transaction_id=transaction_id)


def complete(session: Session, ledger: LedgerClient, claim: DailyClaim) -> DailyClaim:
    """Pay a pending claim; a forgotten member's is credited if the ledger has it, else voided after the grace.

    The claim comes back still pending while a forgotten member's credit may yet land; the caller holds the lock.
    """
    owner = session.execute(_OWNER, {"user_id": claim.user_id}).one()
    if owner.discord_id is not None:
        return credit_claim(session, ledger, claim, owner.discord_id)
    try:
        transaction_id = ledger.left_by_forgotten(daily_key(claim), forgotten_for_s=float(owner.forgotten_for_s))
    except NotConfirmed as exc:
        raise CreditPending(claim.claim_number, claim.amount) from exc
    except StillInFlight:
        return claim
    if transaction_id is not None:
        return _resolve(session, claim, credited_at=func.now(), transaction_id=transaction_id)
    logger.info("claim %s of a forgotten member voided: the ledger never credited it", daily_key(claim))
    return _resolve(session, claim, voided_at=func.now())


def _resolve(session: Session, claim: DailyClaim, **values: object) -> DailyClaim:
    """Mark a pending claim credited or voided; a database blip leaves it pending for a retry or the reconcile."""
    try:
        resolved = session.scalars(
            update(DailyClaim)
            .where(DailyClaim.id == claim.id, DailyClaim.credited_at.is_(None), DailyClaim.voided_at.is_(None))
            .values(**values)
            .returning(DailyClaim)
            .execution_options(populate_existing=True)
        ).one_or_none()
        session.commit()
    except OperationalError as exc:
        logger.warning("claim %s was settled but could not be marked; a retry will: %s", daily_key(claim), exc)
        raise CreditPending(claim.claim_number, claim.amount) from exc
    return resolved or session.get_one(DailyClaim, claim.id, populate_existing=True)  # marked by another request
