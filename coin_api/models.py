"""SQLAlchemy mapping of daily_claims; db_migration_service creates the table, this only maps it."""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from service_kit.db import Base


class DailyClaim(Base):
    """One daily claim: recorded first (pending), then credited once the ledger paid it, or voided if never paid."""

    __tablename__ = "daily_claims"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_daily_claims_idempotency_key"),
        UniqueConstraint("guild_id", "user_id", "claim_number", name="uq_daily_claims_guild_user_claim_number"),
        CheckConstraint("guild_id > 0", name="ck_daily_claims_guild_id_positive"),
        CheckConstraint("claim_number > 0", name="ck_daily_claims_claim_number_positive"),
        CheckConstraint("streak > 0", name="ck_daily_claims_streak_positive"),
        CheckConstraint("amount > 0", name="ck_daily_claims_amount_positive"),
        CheckConstraint(
            "(credited_at IS NULL) = (transaction_id IS NULL)", name="ck_daily_claims_credited_with_transaction"
        ),
        CheckConstraint("credited_at IS NULL OR voided_at IS NULL", name="ck_daily_claims_credited_or_voided"),
        Index(
            "ix_daily_claims_pending_credit", "id", postgresql_where=text("credited_at IS NULL AND voided_at IS NULL")
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", name="fk_daily_claims_user_id", ondelete="RESTRICT"), nullable=False
    )
    claim_number: Mapped[int] = mapped_column(Integer, nullable=False)
    streak: Mapped[int] = mapped_column(Integer, nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    idempotency_key: Mapped[str] = mapped_column(String(200), nullable=False)
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    credited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    transaction_id: Mapped[int | None] = mapped_column(
        BigInteger,
        ForeignKey("ledger_transactions.id", name="fk_daily_claims_transaction_id", ondelete="RESTRICT"),
        nullable=True,
    )

    @property
    def credited(self) -> bool:
        return self.credited_at is not None

    @property
    def voided(self) -> bool:
        return self.voided_at is not None

    @property
    def pending(self) -> bool:
        return not (self.credited or self.voided)
