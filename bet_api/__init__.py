"""bet_api: community bets on events, staked into an escrow and paid out through balance_api's ledger."""

__version__ = "1.0.0"
