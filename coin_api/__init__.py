"""coin_api: the daily claim, recorded here and paid through balance_api's ledger."""

__version__ = "1.0.0"
