"""SQLAlchemy mapping of users; db_migration_service creates the table, this only maps it, column for column."""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Identity, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from service_kit.db import Base

DISPLAY_NAME_MAX = 100


class User(Base):
    """A Discord member known to Buteco; after forget-me only the id and the timestamps remain."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("discord_id", name="uq_users_discord_id"),
        CheckConstraint("discord_id > 0", name="ck_users_discord_id_positive"),
        CheckConstraint("(forgotten_at IS NULL) = (discord_id IS NOT NULL)", name="ck_users_forgotten_xor_discord_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    discord_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    display_name: Mapped[str | None] = mapped_column(String(DISPLAY_NAME_MAX), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    forgotten_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    @property
    def forgotten(self) -> bool:
        """True once the member asked to be forgotten: the row stays only so the ledger keeps its history."""
        return self.forgotten_at is not None

    def __repr__(self) -> str:
        return f"User(id={self.id!r}, discord_id={self.discord_id!r}, forgotten={self.forgotten!r})"
