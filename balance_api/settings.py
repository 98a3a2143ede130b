"""balance_api's own settings on top of the kit's."""

from pydantic import Field

from service_kit.settings import DatabaseSettings
from service_kit.types import MAX_AMOUNT


class BalanceSettings(DatabaseSettings):
    transfer_max_amount: int = Field(default=1_000_000, ge=1, le=MAX_AMOUNT)
    hold_sweep_interval_s: float = Field(default=5.0, gt=0, le=3600)  # how late an expired hold may come back
    hold_sweep_batch_size: int = Field(default=100, ge=1, le=10_000)  # holds per page; ten pages at most a pass
