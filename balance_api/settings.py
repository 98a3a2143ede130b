"""balance_api's own settings on top of the kit's."""

from pydantic import Field

from service_kit.settings import ServiceSettings
from service_kit.types import MAX_AMOUNT


class BalanceSettings(ServiceSettings):
    transfer_max_amount: int = Field(default=1_000_000, ge=1, le=MAX_AMOUNT)
