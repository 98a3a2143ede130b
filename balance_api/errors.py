"""The ledger's refusals, each a sentence the bot can show a member."""

from service_kit.errors import ConflictError, NotFoundError, UnprocessableError


class SelfTransfer(UnprocessableError):
    code = "self_transfer"


class AmountOverLimit(UnprocessableError):
    code = "amount_over_limit"


class UnbalancedTransaction(UnprocessableError):
    code = "unbalanced_transaction"


class TransactionNotFound(NotFoundError):
    """No transaction was posted under that key: a caller that lost an answer learns its move never happened."""

    code = "transaction_not_found"


class HoldNotFound(NotFoundError):
    """No hold has that id in that guild, or that key: a caller that lost an answer learns nothing was reserved."""

    code = "hold_not_found"


class HoldReleased(ConflictError):
    """The coins went back to the member: there is nothing left to capture."""

    code = "hold_released"


class HoldExpired(ConflictError):
    """Nobody captured the hold in time, so the ledger gives the coins back: a late capture must not charge."""

    code = "hold_expired"


class HoldCaptured(ConflictError):
    """The coins were already moved on for good: a release cannot undo a capture."""

    code = "hold_captured"
