"""The ledger's refusals, each a sentence the bot can show a member."""

from service_kit.errors import ConflictError, UnprocessableError


class InsufficientFunds(ConflictError):
    code = "insufficient_funds"


class SelfTransfer(UnprocessableError):
    code = "self_transfer"


class AmountOverLimit(UnprocessableError):
    code = "amount_over_limit"


class UnbalancedTransaction(UnprocessableError):
    code = "unbalanced_transaction"


class IdempotencyKeyReused(ConflictError):
    code = "idempotency_key_reused"
