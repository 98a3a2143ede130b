"""SQLAlchemy mapping of the ledger tables; db_migration_service creates them, this only maps them."""

from datetime import datetime

from sqlalchemy import CHAR, BigInteger, Boolean, DateTime, ForeignKey, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from service_kit.db import Base


class Account(Base):
    """A wallet: a member's in one guild, or a system account (mint, sink, escrow) of that guild."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    user_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", name="fk_accounts_user_id", ondelete="RESTRICT"), nullable=True
    )
    system_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    balance: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    allow_negative: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class LedgerTransaction(Base):
    """One money move: its postings sum to zero and its idempotency key makes it happen once."""

    __tablename__ = "ledger_transactions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    idempotency_key: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    request_hash: Mapped[str] = mapped_column(CHAR(64), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    data: Mapped[dict | None] = mapped_column(JSONB, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class Posting(Base):
    """One leg of a transaction on one account, with the balance it left behind."""

    __tablename__ = "postings"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(
        BigInteger,
        ForeignKey("ledger_transactions.id", name="fk_postings_transaction_id", ondelete="RESTRICT"),
        nullable=False,
    )
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", name="fk_postings_account_id", ondelete="RESTRICT"), nullable=False
    )
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    balance_after: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class Hold(Base):
    """Coins reserved in the guild's `holds` account, then captured to a system account or released, exactly once."""

    __tablename__ = "holds"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    user_account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", name="fk_holds_user_account_id", ondelete="RESTRICT"), nullable=False
    )
    system_code: Mapped[str] = mapped_column(String(64), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default="held")
    idempotency_key: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    request_hash: Mapped[str] = mapped_column(CHAR(64), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    hold_transaction_id: Mapped[int] = mapped_column(
        BigInteger,
        ForeignKey("ledger_transactions.id", name="fk_holds_hold_transaction_id", ondelete="RESTRICT"),
        nullable=False,
        unique=True,
    )
    final_transaction_id: Mapped[int | None] = mapped_column(
        BigInteger,
        ForeignKey("ledger_transactions.id", name="fk_holds_final_transaction_id", ondelete="RESTRICT"),
        nullable=True,
        unique=True,
    )
