"""The ledger's wire format: validated at the edge so nothing malformed reaches the database."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service_kit.types import MAX_AMOUNT, SNOWFLAKE_MAX, Amount, Reason, Snowflake, Strict, exactly_one_of

SystemCode = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_.:-]{0,63}$")]
Kind = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
SignedAmount = Annotated[
    int,
    Field(
        strict=True,
        ge=-MAX_AMOUNT,
        le=MAX_AMOUNT,
        json_schema_extra={"not": {"const": 0}},
        description="coins in (positive) or out (negative) of the account; never 0",
    ),
]


DATA_MAX_ENTRIES = 8
DataKey = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
DataValue = Annotated[int, Field(strict=True, ge=-SNOWFLAKE_MAX, le=SNOWFLAKE_MAX)]
TransactionData = Annotated[
    dict[DataKey, DataValue],
    Field(
        min_length=1,
        max_length=DATA_MAX_ENTRIES,
        description="what the move is about, as named integers (e.g. claim_number, streak, event_id), so readers"
        " can render it in their own language; never a member's text",
        json_schema_extra={"additionalProperties": False},  # a name outside the pattern is refused, not let through
    ),
]


class TransferIn(Strict):
    from_user_id: Snowflake
    to_user_id: Snowflake
    amount: Amount
    reason: Reason = None


class PostingIn(Strict):
    """One account's share: a member (user_id, a Discord id) or a system account (system), never both."""

    model_config = ConfigDict(json_schema_extra=exactly_one_of("user_id", "system"))

    user_id: Snowflake | None = None
    system: SystemCode | None = None
    amount: SignedAmount

    @model_validator(mode="after")
    def _one_owner(self) -> "PostingIn":
        if (self.user_id is None) == (self.system is None):
            raise ValueError("a posting names exactly one of user_id or system")
        return self


class TransactionIn(Strict):
    guild_id: Snowflake
    kind: Kind
    reason: Reason = None
    data: TransactionData | None = None
    postings: list[PostingIn] = Field(min_length=2, max_length=20000)


class PostingOut(BaseModel):
    account_id: int
    user_id: Snowflake | None
    system: str | None
    amount: int
    balance_after: int


class TransactionOut(BaseModel):
    id: int
    guild_id: Snowflake
    kind: str
    reason: str | None
    data: dict[str, int] | None = None
    idempotency_key: str
    created_at: datetime
    postings: list[PostingOut]


class BalanceOut(BaseModel):
    guild_id: Snowflake
    user_id: Snowflake
    balance: int = Field(description="coins the member can spend; held coins are not part of it")
    held: int = Field(description="coins reserved in the member's active holds, on their way to a capture or back")
    updated_at: datetime | None


class LimitsOut(BaseModel):
    """What a caller checks before asking a member to confirm a move the ledger would refuse."""

    transfer_max_amount: int = Field(description="the most coins one member-to-member transfer may move")


class SystemBalanceOut(BaseModel):
    guild_id: Snowflake
    system: str
    balance: int


class Counterparty(BaseModel):
    """The other side of a two-sided move: a member (null once forgotten) or a system account."""

    user_id: Snowflake | None
    system: str | None
    display_name: str | None = Field(default=None, description="the member's name as last registered")


class StatementLine(BaseModel):
    posting_id: int
    transaction_id: int
    kind: str
    reason: str | None
    data: dict[str, int] | None = Field(default=None, description="the move's ids, to render with its kind")
    amount: int
    balance_after: int
    counterparty: Counterparty | None
    created_at: datetime


class StatementOut(BaseModel):
    items: list[StatementLine]
    next_before_id: int | None


class LeaderboardEntry(BaseModel):
    rank: int
    user_id: Snowflake
    display_name: str | None
    balance: int


class CallerRank(BaseModel):
    rank: int
    balance: int


class LeaderboardOut(BaseModel):
    items: list[LeaderboardEntry]
    caller: CallerRank | None


class AuditOut(BaseModel):
    guild_id: Snowflake
    postings_sum: int
    balances_sum: int
    accounts_out_of_step: int
    holds_active_sum: int = Field(description="coins of the guild's holds still held")
    holds_account_balance: int = Field(description="the balance of the guild's `holds` account: equal to the above")
    holds_out_of_step: int = Field(description="holds whose ledger transactions do not move exactly their amount")
    balanced: bool


class HoldIn(Strict):
    """Reserve a member's coins now; a capture moves them to `system` as a `kind` move, a release gives them back."""

    user_id: Snowflake
    system: SystemCode = Field(description="the system account that receives the coins on capture, e.g. sink")
    amount: Amount
    kind: Kind = Field(description="the kind of the capture's ledger transaction, e.g. ai_usage")
    reason: Reason = None
    expires_in_s: int = Field(
        strict=True, ge=1, le=3600, description="seconds until the ledger releases the hold by itself"
    )


HoldStatus = Literal["held", "captured", "released", "expired"]


class HoldOut(BaseModel):
    id: int
    guild_id: Snowflake
    user_id: Snowflake | None = Field(description="the member's Discord id; null once they asked to be forgotten")
    system: str
    amount: int
    kind: str
    reason: str | None
    status: HoldStatus = Field(description="expired: released by the ledger because nobody captured it in time")
    expires_at: datetime
    created_at: datetime
    resolved_at: datetime | None
    hold_transaction_id: int
    final_transaction_id: int | None
