"""coin_api's refusals, each a sentence the bot can show a member, in the kit's one error shape."""

from datetime import datetime

from service_kit.errors import ConflictError, UnavailableError


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
