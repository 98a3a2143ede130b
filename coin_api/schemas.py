"""coin_api's wire format, as docs/architecture.md gives it, so the bot reads every service the same way."""

from datetime import datetime

from pydantic import BaseModel, Field

from coin_api.models import DailyClaim


class ClaimOut(BaseModel):
    """One daily claim; credited is false while the ledger has not confirmed paying it, or once it is voided."""

    claim_number: int
    streak: int
    amount: int
    claimed_at: datetime
    credited: bool
    voided: bool = Field(description="its member was forgotten before the ledger credited it: no coin was minted")
    transaction_id: int | None

    @classmethod
    def of(cls, claim: DailyClaim) -> "ClaimOut":
        return cls(
            claim_number=claim.claim_number,
            streak=claim.streak,
            amount=claim.amount,
            claimed_at=claim.claimed_at,
            credited=claim.credited,
            voided=claim.voided,
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
    """One reconcile pass: claims found pending, credited, voided (forgotten members), skipped, still failing."""

    found: int
    credited: int
    voided: int
    skipped: int = Field(description="a request held them, or their member was forgotten too recently to decide")
    failed: int
