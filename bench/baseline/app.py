"""The comparison row: a faithful, minimal replica of the original Python balance_api (and its daily claim).

Written for bench/ from the original's documented shape, not copied: FastAPI with sync endpoints and a sync
SQLAlchemy session per request, SQLAlchemy's default pool (5 + 10 overflow). A balance is the SUM, in Python, of
every row of the member, with no index on the member column; a transfer is two INSERTs with no overdraft check
and no idempotency; a daily claim reads the last claim, then writes, with nothing to stop a concurrent twin.
Its flaws are the point: never use it for anything but measuring against it.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel
from sqlalchemy import BigInteger, Column, DateTime, Integer, String, create_engine
from sqlalchemy.orm import Session, declarative_base, sessionmaker

Base = declarative_base()
DAILY_AMOUNT = 100


class BalanceOperation(Base):
    """One signed movement of a member's coins; the member column has no index, as in the original."""

    __tablename__ = "balance_operations"
    id = Column(Integer, primary_key=True)
    client_id = Column(String, nullable=False)
    amount = Column(BigInteger, nullable=False)
    description = Column(String)
    created_at = Column(DateTime(timezone=True), default=lambda: datetime.now(UTC))


class DailyClaim(Base):
    """When a member last claimed the daily coins."""

    __tablename__ = "daily_claims"
    id = Column(Integer, primary_key=True)
    client_id = Column(String, nullable=False)
    claimed_at = Column(DateTime(timezone=True), nullable=False)


class TransactionIn(BaseModel):
    senderId: str  # the original's wire names
    receiverId: str
    amount: int
    description: str = ""


class DailyIn(BaseModel):
    clientId: str


engine = create_engine(os.environ.get("DATABASE_URL", "postgresql+psycopg2:///chorume"))
SessionLocal = sessionmaker(bind=engine, autoflush=False)
app = FastAPI()


@app.post("/balance/transaction")
def create_transaction(transaction: TransactionIn) -> dict:
    """Two INSERTs, whatever the sender holds."""
    if transaction.senderId == transaction.receiverId:
        raise HTTPException(status_code=400, detail="Sender and receiver cannot be the same")
    db: Session = SessionLocal()
    try:
        sent = BalanceOperation(client_id=transaction.senderId, amount=-abs(transaction.amount))
        received = BalanceOperation(client_id=transaction.receiverId, amount=abs(transaction.amount))
        db.add_all([sent, received])
        db.commit()
        db.refresh(sent)
        db.refresh(received)
        return {"sender": sent.id, "receiver": received.id}
    finally:
        db.close()


@app.get("/balance/{user_id}")
def balance(user_id: str) -> dict:
    """Every row of the member, summed in Python."""
    db: Session = SessionLocal()
    try:
        rows = db.query(BalanceOperation).filter(BalanceOperation.client_id == user_id)
        return {"user_id": user_id, "balance": sum(row.amount for row in rows.with_entities(BalanceOperation.amount))}
    finally:
        db.close()


@app.post("/daily-coins")
def daily(claim: DailyIn) -> dict:
    """Check the last claim, then write: a concurrent claim passes the same check."""
    db: Session = SessionLocal()
    try:
        now = datetime.now(UTC)
        last = (
            db.query(DailyClaim)
            .filter(DailyClaim.client_id == claim.clientId)
            .order_by(DailyClaim.claimed_at.desc())
            .first()
        )
        if last is not None and now - last.claimed_at < timedelta(days=1):
            raise HTTPException(status_code=400, detail="Daily coins already claimed")
        db.add(DailyClaim(client_id=claim.clientId, claimed_at=now))
        db.add(BalanceOperation(client_id=claim.clientId, amount=DAILY_AMOUNT, description="daily"))
        db.commit()
        return {"clientId": claim.clientId, "amount": DAILY_AMOUNT}
    finally:
        db.close()


@app.get("/health")
def health() -> dict:
    return {"status": "healthy", "service": "balance-api"}
