"""bet_api's wire format: validated at the edge so nothing malformed reaches the database or the ledger."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    model_validator,
)

from service_kit.types import TRIMMED_LINE, Amount, RowId, Snowflake, Strict, TextRule, exactly_one_of

MAX_OUTCOMES = 25
TOP_PAYOUTS = 20  # what a settlement names: Discord's announcement lists at most this many
EventStatus = Literal["open", "locked", "settling", "settled", "cancelling", "cancelled"]
BetResult = Literal["pending", "won", "lost", "refunded"]
Title = Annotated[str, StringConstraints(max_length=200), TRIMMED_LINE]
Description = Annotated[str, StringConstraints(max_length=1000), TextRule(multiline=True, strip=True)]
Label = Annotated[str, StringConstraints(max_length=100), TRIMMED_LINE]
Position = Annotated[int, Field(strict=True, ge=1, le=MAX_OUTCOMES)]


class ActorIn(Strict):
    """Who acts, as the bot saw them: the API itself refuses non-admins."""

    actor_id: Snowflake
    actor_is_admin: StrictBool


class EventIn(ActorIn):
    title: Title
    description: Description | None = None
    outcomes: list[Label] = Field(min_length=2, max_length=MAX_OUTCOMES)
    closes_at: AwareDatetime | None = None
    channel_id: Snowflake | None = Field(default=None, description="where to announce that it locked by itself")


class OutcomeChoice(Strict):
    """An outcome by its id or by its position (1 = first), exactly one of the two."""

    model_config = ConfigDict(json_schema_extra=exactly_one_of("outcome_id", "position"))

    outcome_id: RowId | None = None
    position: Position | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> "OutcomeChoice":
        if (self.outcome_id is None) == (self.position is None):
            raise ValueError("give exactly one of outcome_id or position")
        return self


class BetIn(OutcomeChoice):
    user_id: Snowflake
    amount: Amount


class SettleIn(ActorIn, OutcomeChoice):
    pass


class OutcomeOut(BaseModel):
    id: int
    position: int
    label: str
    pool: int
    bettors: int
    odds: float | None = Field(description="total pool ÷ this outcome's pool, rounded; null while it is 0")


class EventOut(BaseModel):
    id: int
    guild_id: Snowflake
    title: str
    description: str | None
    status: EventStatus
    closes_at: datetime | None
    channel_id: Snowflake | None
    creator_id: Snowflake | None
    winning_outcome_id: int | None
    total_pool: int
    bettors: int
    outcomes: list[OutcomeOut]
    settlement_transaction_id: int | None
    created_at: datetime
    updated_at: datetime
    locked_at: datetime | None
    resolved_at: datetime | None


class EventPageOut(BaseModel):
    items: list[EventOut]
    next_before_id: int | None


class LockAnnouncementsOut(BaseModel):
    """Events that locked by themselves at closes_at, each handed out once, for the bot to announce."""

    items: list[EventOut]


class StakeOut(BaseModel):
    id: int
    amount: int
    confirmed: bool
    transaction_id: int | None


class BetOut(BaseModel):
    id: int
    event_id: int
    event_title: str
    event_status: EventStatus
    outcome_id: int
    outcome_position: int
    outcome_label: str
    user_id: Snowflake | None
    amount: int
    pending_amount: int
    result: BetResult
    payout: int | None
    created_at: datetime
    updated_at: datetime


class PlacedBetOut(BetOut):
    stake: StakeOut


class QuoteOut(BaseModel):
    """What placing `amount` would do now: the member's stake before and after, the pools after, the payout."""

    event_id: int
    outcome_id: int
    amount: int
    stake_before: int = Field(description="the member's confirmed stake on this outcome so far (0: a new bet)")
    stake_after: int
    pool_after: int
    outcome_pool_after: int
    payout: int = Field(description="what settlement would pay the member if this outcome won and nothing else moved")


class BetPageOut(BaseModel):
    items: list[BetOut]
    next_before_id: int | None


class PayoutOut(BaseModel):
    user_id: Snowflake | None
    amount: int


class SettlementOut(BaseModel):
    """The closed event and what moved: paid (winners shared the pool), refunded, or nothing to move."""

    event: EventOut
    outcome: Literal["paid", "refunded", "no_bets"]
    paid_out: int
    recipients: int
    top_payouts: list[PayoutOut] = Field(
        description=f"the {TOP_PAYOUTS} largest payouts, largest first (ties: earliest bet); recipients counts all"
    )
    transaction_id: int | None
    escrow_balance: int | None = Field(description="read back from balance_api: 0 once closed; null if unread")


class ReconcileOut(BaseModel):
    events_locked: int
    stakes_found: int
    stakes_confirmed: int
    stakes_rejected: int
    events_found: int
    events_completed: int
    skipped: int
    failed: int
