"""coin_api's wire format, as docs/architecture.md gives it, so the bot reads every service the same way."""

from datetime import datetime

from pydantic import BaseModel

from coin_api.models import DailyClaim


class ClaimOut(BaseModel):
    """One daily claim; credited is false while the ledger has not confirmed paying it."""

    claim_number: int
    streak: int
    amount: int
    claimed_at: datetime
    credited: bool
    transaction_id: int | None

    @classmethod
    def of(cls, claim: DailyClaim) -> "ClaimOut":
        return cls(
            claim_number=claim.claim_number,
            streak=claim.streak,
            amount=claim.amount,
            claimed_at=claim.claimed_at,
            credited=claim.credited,
            transaction_id=claim.transaction_id,
        )


class DailyStatusOut(BaseModel):
    """What the bot shows before a claim; next_claim_at is null before a member's first claim."""

    can_claim: bool
    next_claim_at: datetime | None
    streak: int
    next_amount: int
    pending_credit: bool


class ClaimPageOut(BaseModel):
    """One keyset page of history, newest first; pass next_before_number to get the next one."""

    items: list[ClaimOut]
    next_before_number: int | None


class ReconcileOut(BaseModel):
    """One reconcile pass: claims found pending, credited now, skipped (a request held them), still failing."""

    found: int
    credited: int
    skipped: int
    failed: int
