"""balance_api's own settings on top of the kit's."""

from pydantic import Field

from service_kit.settings import DatabaseSettings
from service_kit.types import MAX_AMOUNT


class BalanceSettings(DatabaseSettings):
    transfer_max_amount: int = Field(default=1_000_000, ge=1, le=MAX_AMOUNT)
