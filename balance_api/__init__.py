"""balance_api: the double-entry ledger every coin moves through."""

__version__ = "1.0.0"
