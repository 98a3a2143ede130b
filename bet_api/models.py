"""SQLAlchemy mapping of the bet tables; db_migration_service creates them, this only maps them."""

from datetime import datetime

from sqlalchemy import (
    CHAR,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    SmallInteger,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from service_kit.db import Base

OPEN, LOCKED, SETTLING, SETTLED, CANCELLING, CANCELLED = (
    "open",
    "locked",
    "settling",
    "settled",
    "cancelling",
    "cancelled",
)


def _restrict(column: str, name: str) -> ForeignKey:
    return ForeignKey(column, name=name, ondelete="RESTRICT")


class BetEvent(Base):
    """An event members bet on; settling/cancelling are stored before any coin moves, so a crash resumes."""

    __tablename__ = "bet_events"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_bet_events_idempotency_key"),
        UniqueConstraint("settlement_key", name="uq_bet_events_settlement_key"),
        ForeignKeyConstraint(
            ["id", "winning_outcome_id"],
            ["bet_outcomes.event_id", "bet_outcomes.id"],
            name="fk_bet_events_winning_outcome",
            ondelete="RESTRICT",
            use_alter=True,
        ),
        CheckConstraint("guild_id > 0", name="ck_bet_events_guild_id_positive"),
        CheckConstraint("btrim(title) <> ''", name="ck_bet_events_title_not_blank"),
        CheckConstraint(
            "status IN ('open', 'locked', 'settling', 'settled', 'cancelling', 'cancelled')",
            name="ck_bet_events_status",
        ),
        CheckConstraint("closes_at IS NULL OR closes_at > created_at", name="ck_bet_events_closes_after_creation"),
        CheckConstraint(
            "(winning_outcome_id IS NOT NULL) = (status IN ('settling', 'settled'))",
            name="ck_bet_events_winner_only_when_settled",
        ),
        CheckConstraint(
            "(settlement_key IS NOT NULL) = (status IN ('settling', 'settled', 'cancelling', 'cancelled'))",
            name="ck_bet_events_settlement_key_once_closing",
        ),
        CheckConstraint(
            "settlement_transaction_id IS NULL OR status IN ('settled', 'cancelled')",
            name="ck_bet_events_transaction_only_when_resolved",
        ),
        CheckConstraint("(locked_at IS NULL) = (status = 'open')", name="ck_bet_events_locked_at_unless_open"),
        CheckConstraint(
            "(resolved_at IS NOT NULL) = (status IN ('settled', 'cancelled'))",
            name="ck_bet_events_resolved_at_when_resolved",
        ),
        Index("ix_bet_events_guild_id", "guild_id", "id"),
        Index("ix_bet_events_guild_status", "guild_id", "status", "id"),
        Index("ix_bet_events_creator_id", "creator_id"),
        Index("ix_bet_events_closing", "closes_at", postgresql_where=text("status = 'open' AND closes_at IS NOT NULL")),
        Index("ix_bet_events_unfinished", "id", postgresql_where=text("status IN ('settling', 'cancelling')")),
        CheckConstraint("channel_id > 0", name="ck_bet_events_channel_id_positive"),
        CheckConstraint(
            "lock_announced_at IS NULL OR locked_at IS NOT NULL", name="ck_bet_events_announced_once_locked"
        ),
        Index(
            "ix_bet_events_lock_unannounced",
            "id",
            postgresql_where=text("status = 'locked' AND channel_id IS NOT NULL AND lock_announced_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    creator_id: Mapped[int] = mapped_column(
        BigInteger, _restrict("users.id", "fk_bet_events_creator_id"), nullable=False
    )
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default=OPEN)
    closes_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    winning_outcome_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), nullable=False)
    request_hash: Mapped[str] = mapped_column(CHAR(64), nullable=False)
    settlement_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    settlement_transaction_id: Mapped[int | None] = mapped_column(
        BigInteger, _restrict("ledger_transactions.id", "fk_bet_events_settlement_transaction_id"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    locked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    channel_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # where it was created and announced
    lock_announced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class BetOutcome(Base):
    """One of an event's 2 to 25 outcomes, shown at its position."""

    __tablename__ = "bet_outcomes"
    __table_args__ = (
        UniqueConstraint("event_id", "position", name="uq_bet_outcomes_event_position"),
        UniqueConstraint("event_id", "id", name="uq_bet_outcomes_event_id_id"),
        CheckConstraint("position BETWEEN 1 AND 25", name="ck_bet_outcomes_position_range"),
        CheckConstraint("btrim(label) <> ''", name="ck_bet_outcomes_label_not_blank"),
        Index("uq_bet_outcomes_event_label", "event_id", func.lower(text("label")), unique=True),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    event_id: Mapped[int] = mapped_column(
        BigInteger, _restrict("bet_events.id", "fk_bet_outcomes_event_id"), nullable=False
    )
    position: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    label: Mapped[str] = mapped_column(String(100), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class Bet(Base):
    """A member's one side of an event: amount sums its confirmed stakes; result and payout come at the end."""

    __tablename__ = "bets"
    __table_args__ = (
        UniqueConstraint("event_id", "user_id", name="uq_bets_event_user"),
        UniqueConstraint("event_id", "id", name="uq_bets_event_id_id"),
        ForeignKeyConstraint(
            ["event_id", "outcome_id"],
            ["bet_outcomes.event_id", "bet_outcomes.id"],
            name="fk_bets_outcome",
            ondelete="RESTRICT",
        ),
        CheckConstraint("amount >= 0", name="ck_bets_amount_not_negative"),
        CheckConstraint("result IN ('won', 'lost', 'refunded')", name="ck_bets_result"),
        CheckConstraint("(result IS NULL) = (payout IS NULL)", name="ck_bets_payout_with_result"),
        CheckConstraint(
            "result IS NULL OR (result = 'won' AND amount > 0 AND payout >= amount)"
            " OR (result = 'lost' AND payout = 0) OR (result = 'refunded' AND payout = amount)",
            name="ck_bets_payout_fits_result",
        ),
        Index("ix_bets_event_outcome", "event_id", "outcome_id"),
        Index("ix_bets_user_id", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    event_id: Mapped[int] = mapped_column(BigInteger, _restrict("bet_events.id", "fk_bets_event_id"), nullable=False)
    outcome_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    user_id: Mapped[int] = mapped_column(BigInteger, _restrict("users.id", "fk_bets_user_id"), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    result: Mapped[str | None] = mapped_column(String(16), nullable=True)
    payout: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class BetStake(Base):
    """One stake (a first bet or a raise), moved into the escrow under its own ledger key bet:stake:<id>."""

    __tablename__ = "bet_stakes"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_bet_stakes_idempotency_key"),
        UniqueConstraint("transaction_id", name="uq_bet_stakes_transaction_id"),
        ForeignKeyConstraint(
            ["event_id", "bet_id"], ["bets.event_id", "bets.id"], name="fk_bet_stakes_bet", ondelete="RESTRICT"
        ),
        CheckConstraint("amount > 0", name="ck_bet_stakes_amount_positive"),
        CheckConstraint(
            "(confirmed_at IS NULL) = (transaction_id IS NULL)", name="ck_bet_stakes_confirmed_with_transaction"
        ),
        Index("ix_bet_stakes_event_id", "event_id"),
        Index("ix_bet_stakes_bet_id", "bet_id"),
        Index("ix_bet_stakes_pending", "created_at", postgresql_where=text("confirmed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    event_id: Mapped[int] = mapped_column(
        BigInteger, _restrict("bet_events.id", "fk_bet_stakes_event_id"), nullable=False
    )
    bet_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    idempotency_key: Mapped[str] = mapped_column(String(200), nullable=False)
    request_hash: Mapped[str] = mapped_column(CHAR(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    transaction_id: Mapped[int | None] = mapped_column(
        BigInteger, _restrict("ledger_transactions.id", "fk_bet_stakes_transaction_id"), nullable=True
    )
