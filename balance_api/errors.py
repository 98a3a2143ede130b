"""The ledger's refusals, each a sentence the bot can show a member."""

from service_kit.errors import NotFoundError, UnprocessableError


class SelfTransfer(UnprocessableError):
    code = "self_transfer"


class AmountOverLimit(UnprocessableError):
    code = "amount_over_limit"


class UnbalancedTransaction(UnprocessableError):
    code = "unbalanced_transaction"


class TransactionNotFound(NotFoundError):
    """No transaction was posted under that key: a caller that lost an answer learns its move never happened."""

    code = "transaction_not_found"
