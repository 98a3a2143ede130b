"""bet_api's refusals, each a sentence the bot can show a member, in the kit's one error shape."""

from service_kit.errors import (
    ConflictError,
    NotFoundError,
    ServiceError,
    UnavailableError,
    UnprocessableError,
)


class NotAdmin(ServiceError):
    """Creating, locking, settling and cancelling events needs the Manage Server permission."""

    status_code = 403
    code = "not_admin"

    def __init__(self, action: str) -> None:
        super().__init__(f"only members with the Manage Server permission can {action}")


class EventNotFound(NotFoundError):
    code = "event_not_found"

    def __init__(self, event_id: int) -> None:
        super().__init__(f"there is no bet event #{event_id} in this server", event_id=event_id)


class BetNotFound(NotFoundError):
    """The member has no bet on that event (yet): any outcome is theirs to pick."""

    code = "bet_not_found"

    def __init__(self, event_id: int) -> None:
        super().__init__(f"no bet of this member on bet event #{event_id}", event_id=event_id)


class OutcomeNotFound(NotFoundError):
    code = "outcome_not_found"

    def __init__(self, event_id: int) -> None:
        super().__init__(f"bet event #{event_id} has no such outcome", event_id=event_id)


class EventLocked(ConflictError):
    code = "event_locked"

    def __init__(self, event_id: int) -> None:
        super().__init__(f"betting on event #{event_id} is closed", event_id=event_id)


class EventSettled(ConflictError):
    code = "event_settled"

    def __init__(self, event_id: int, winning_outcome_id: int | None) -> None:
        super().__init__(
            f"bet event #{event_id} is already settled", event_id=event_id, winning_outcome_id=winning_outcome_id
        )


class EventCancelled(ConflictError):
    code = "event_cancelled"

    def __init__(self, event_id: int) -> None:
        super().__init__(f"bet event #{event_id} was cancelled", event_id=event_id)


class OtherOutcomeBacked(ConflictError):
    """One side per member per event: raising one's own stake is fine, switching sides is not."""

    code = "already_backing_other_outcome"

    def __init__(self, label: str, outcome_id: int) -> None:
        super().__init__(f"you already bet on “{label}”; you can only raise that stake", outcome_id=outcome_id)


class EventFull(ConflictError):
    """The whole pool is paid in one ledger transaction, so its size and its number of bettors are capped."""

    code = "event_full"


class StakeRefused(ConflictError):
    """balance_api turned the stake down and nothing moved; placing the bet again is safe."""

    code = "stake_refused"


class DuplicateOutcomes(UnprocessableError):
    """Two outcomes a member could not tell apart: the same label but for letter case or outer spaces."""

    code = "duplicate_outcomes"

    def __init__(self) -> None:
        super().__init__("outcomes: must all be different (letter case and outer spaces aside)")


class ClosesAtInPast(UnprocessableError):
    code = "closes_at_in_past"

    def __init__(self) -> None:
        super().__init__("closes_at: must be in the future")


class StakePending(UnavailableError):
    """The stake is recorded but the ledger has not confirmed it; a retry with the same key completes it."""

    code = "stake_pending"

    def __init__(self, stake_id: int, amount: int) -> None:
        super().__init__(
            "the bet is recorded but the coins could not be moved yet; retry with the same key",
            stake_id=stake_id,
            amount=amount,
        )


class SettlementPending(UnavailableError):
    """The settlement or cancellation is recorded but not paid yet; retrying (or the reconcile) completes it."""

    code = "settlement_pending"

    def __init__(self, event_id: int) -> None:
        super().__init__(
            f"bet event #{event_id} is recorded as closing but the payout could not be made yet; retry in a moment",
            event_id=event_id,
        )


class Busy(UnavailableError):
    """Another request holds the same stake or event for longer than we wait; retrying is safe."""

    code = "in_progress"
