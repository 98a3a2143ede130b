"""bet_api's own settings on top of the kit's ledger caller's: its credential and how long a settlement may take."""

from pydantic import Field, SecretStr, model_validator

from service_kit.pending import LedgerCallerSettings
from service_kit.settings import ApiToken


class BetSettings(LedgerCallerSettings):
    """A stake is one small ledger call; a settlement pays every winner in one, so it may take longer."""

    bet_api_token: ApiToken  # bet_api's own credential, presented to balance_api (which allows it escrow moves)
    balance_api_settle_timeout_s: float = Field(default=30.0, gt=0, le=300)

    @model_validator(mode="after")
    def _settle_waits_at_least_a_stake(self) -> "BetSettings":
        if self.balance_api_settle_timeout_s < self.balance_api_timeout_s:
            raise ValueError("BALANCE_API_SETTLE_TIMEOUT_S must be at least BALANCE_API_TIMEOUT_S")
        return self

    @property
    def ledger_token(self) -> SecretStr:
        return self.bet_api_token

    @property
    def stake_lock_wait_s(self) -> float:
        """How long a request waits for a stake another request is moving: one ledger call and some."""
        return self.balance_api_timeout_s + 2.0

    @property
    def settle_lock_wait_s(self) -> float:
        """How long a settle or cancel waits behind another one of the same event before answering 503."""
        return self.balance_api_settle_timeout_s + self.stake_lock_wait_s + 5.0
