"""coin_api's refusals, each a sentence the bot can show a member, in the kit's one error shape."""

from datetime import datetime

from service_kit.errors import ConflictError, ServiceError, UnavailableError


class DailyAlreadyClaimed(ConflictError):
    """The member claimed within the cooldown; the body says when the next claim opens."""

    code = "daily_already_claimed"

    def __init__(self, next_claim_at: datetime) -> None:
        super().__init__(
            f"the daily reward was already claimed; the next one opens at {next_claim_at.isoformat()}",
            next_claim_at=next_claim_at.isoformat(),
        )


class CreditPending(UnavailableError):
    """The claim is recorded but the ledger has not confirmed paying it; any retry completes it."""

    code = "credit_pending"

    def __init__(self, claim_number: int, amount: int) -> None:
        super().__init__(
            "the claim is recorded but the coins could not be credited yet; retry in a moment",
            claim_number=claim_number,
            amount=amount,
        )


class ClaimInProgress(UnavailableError):
    """Another request for the same member's daily held the lock for too long; retrying is safe."""

    code = "claim_in_progress"

    def __init__(self) -> None:
        super().__init__("another daily claim for this member is being processed; retry in a moment")


class LedgerRejected(ServiceError):
    """balance_api refused the credit outright: a bug or a broken invariant, not a passing outage."""

    status_code = 502
    code = "ledger_rejected"

    def __init__(self, claim_number: int) -> None:
        super().__init__(
            "the ledger refused to credit this claim; it stays recorded and the operators were told",
            claim_number=claim_number,
        )
