"""coin_api's own settings on top of the kit's ledger caller's: its credential and what a daily claim pays."""

from pydantic import Field, SecretStr, model_validator

from service_kit.pending import LedgerCallerSettings
from service_kit.settings import ApiToken
from service_kit.types import MAX_AMOUNT


class CoinSettings(LedgerCallerSettings):
    """The daily reward's tuning; the grace must cover the cooldown or no streak could ever grow."""

    coin_api_token: ApiToken  # coin_api's own credential, presented to balance_api (which allows it daily credits)
    daily_amount: int = Field(default=100, ge=1, le=MAX_AMOUNT)
    daily_cooldown_seconds: int = Field(default=86_400, ge=1)
    daily_streak_bonus: int = Field(default=10, ge=0, le=MAX_AMOUNT)
    daily_streak_max_days: int = Field(default=7, ge=0, le=3650)
    daily_streak_grace_seconds: int = Field(default=172_800, ge=1)

    @model_validator(mode="after")
    def _grace_covers_cooldown(self) -> "CoinSettings":
        if self.daily_streak_grace_seconds < self.daily_cooldown_seconds:
            raise ValueError("DAILY_STREAK_GRACE_SECONDS must be at least DAILY_COOLDOWN_SECONDS")
        if self.daily_amount + self.daily_streak_bonus * self.daily_streak_max_days > MAX_AMOUNT:
            raise ValueError("the largest daily amount would exceed the ledger's per-posting limit")
        return self

    @property
    def ledger_token(self) -> SecretStr:
        return self.coin_api_token

    @property
    def lock_wait_s(self) -> float:
        """How long a request waits behind another one for the same member: one ledger call and some."""
        return self.balance_api_timeout_s + 2.0
