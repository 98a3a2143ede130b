"""Daily claim use cases: claim (exactly one per window), status and history."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Engine, column, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from coin_api import rules
from coin_api.crediting import complete, credit_claim, member_lock
from coin_api.errors import CreditPending, DailyAlreadyClaimed
from coin_api.models import DailyClaim
from coin_api.rules import DailyRules, LastClaim
from coin_api.schemas import ClaimOut, ClaimPageOut, DailyStatusOut
from service_kit.db import AutocommitSession
from service_kit.errors import IdempotencyKeyReused
from service_kit.identity import find_discord_id, require_user_id, unknown_user
from service_kit.ledger_client import LedgerClient
from service_kit.locks import pinned_session


@dataclass(frozen=True)
class ClaimOutcome:
    """The claim to answer with, and how: 201 new, 200 completed or replayed; built before the lock is let go."""

    claim: ClaimOut
    status: int
    replayed: bool = False

    @classmethod
    def of(cls, claim: DailyClaim, status: int, *, replayed: bool = False) -> "ClaimOutcome":
        return cls(ClaimOut.of(claim), status, replayed)


@dataclass(frozen=True)
class MemberState:
    """A member's internal id, latest claim in a guild and the database's clock (the one claimed_at is written with,
    so the cooldown has one time source), read in one round trip."""

    user_id: int
    now: datetime
    latest: DailyClaim | None


def _member_state_query(member: str):
    statement = text(
        "SELECT u.id AS member_id, now() AS now, c.* FROM users u LEFT JOIN LATERAL (SELECT * FROM daily_claims"
        " WHERE guild_id = :guild_id AND user_id = u.id ORDER BY claim_number DESC LIMIT 1) c ON true"
        f" WHERE {member}"
    ).columns(column("member_id", BigInteger), column("now", DateTime(timezone=True)), *DailyClaim.__table__.columns)
    return (
        select(statement.selected_columns.member_id, statement.selected_columns.now, DailyClaim)
        .from_statement(statement)
        .execution_options(populate_existing=True)
    )


_BY_DISCORD_ID = _member_state_query("u.discord_id = :discord_id")
_BY_USER_ID = _member_state_query("u.id = :user_id")


def _member_state(session: Session, guild_id: int, discord_id: int) -> MemberState:
    """A registered member's state; 404 for a Discord id nobody registered."""
    row = session.execute(_BY_DISCORD_ID, {"guild_id": guild_id, "discord_id": discord_id}).one_or_none()
    if row is None:
        raise unknown_user(discord_id)
    return MemberState(*row)


def _member_state_by_id(session: Session, guild_id: int, user_id: int) -> MemberState:
    """The same by internal id, under the member's lock (the member may have been forgotten since)."""
    return MemberState(*session.execute(_BY_USER_ID, {"guild_id": guild_id, "user_id": user_id}).one())


def _last(claim: DailyClaim | None) -> LastClaim | None:
    return None if claim is None else LastClaim(claim.claim_number, claim.streak, claim.claimed_at)


def _by_key(session: Session, key: str, guild_id: int, discord_id: int) -> DailyClaim | None:
    """The claim this key already recorded, for this member or for one forgotten since (whose id is not kept)."""
    claim = session.scalars(select(DailyClaim).where(DailyClaim.idempotency_key == key)).one_or_none()
    if claim is None:
        return None
    if claim.guild_id != guild_id or find_discord_id(session, claim.user_id) not in (None, discord_id):
        raise IdempotencyKeyReused(f"idempotency key {key!r} already recorded another member's claim")
    return claim


def _pending(session: Session, guild_id: int, user_id: int) -> list[DailyClaim]:
    return list(
        session.scalars(
            select(DailyClaim)
            .where(
                DailyClaim.guild_id == guild_id,
                DailyClaim.user_id == user_id,
                DailyClaim.credited_at.is_(None),
                DailyClaim.voided_at.is_(None),
            )
            .order_by(DailyClaim.claim_number)
        )
    )


def _refuse(last: DailyClaim, daily: DailyRules) -> DailyAlreadyClaimed:
    due = rules.next_claim_at(last=_last(last), rules=daily)
    assert due is not None
    return DailyAlreadyClaimed(due)


def claim_daily(
    *,
    engine: Engine,
    ledger: LedgerClient,
    daily: DailyRules,
    lock_wait_s: float,
    guild_id: int,
    discord_id: int,
    key: str,
) -> ClaimOutcome:
    """Record one claim per cooldown window, commit it, then have the ledger pay it under the claim's key."""
    # Every step is one statement that needs no transaction around it (the claim is committed before the ledger
    # call, and the member's lock is a session-level one), so each runs in autocommit: one round trip apiece.
    with pinned_session(engine, AutocommitSession) as session:
        replayed = _by_key(session, key, guild_id, discord_id)  # replays first: the member may be forgotten since
        if replayed is not None and not replayed.pending:
            return ClaimOutcome.of(replayed, 200, replayed=True)
        if replayed is not None:
            with member_lock(session, guild_id=guild_id, user_id=replayed.user_id, wait_s=lock_wait_s):
                return ClaimOutcome.of(_completed(session, ledger, replayed), 200, replayed=True)
        state = _member_state(session, guild_id, discord_id)
        last = state.latest
        if last is not None and last.credited and not rules.can_claim(last=_last(last), now=state.now, rules=daily):
            raise _refuse(last, daily)
        with member_lock(session, guild_id=guild_id, user_id=state.user_id, wait_s=lock_wait_s):
            return _claim_locked(session, ledger, daily, guild_id, state.user_id, discord_id, key)


def _claim_locked(
    session: Session, ledger: LedgerClient, daily: DailyRules, guild_id: int, user_id: int, discord_id: int, key: str
) -> ClaimOutcome:
    replayed = _by_key(session, key, guild_id, discord_id)
    if replayed is not None:
        return ClaimOutcome.of(_completed(session, ledger, replayed), 200, replayed=True)
    for claim in _pending(session, guild_id, user_id):
        credit_claim(session, ledger, claim, discord_id)
    state = _member_state_by_id(session, guild_id, user_id)
    now, last = state.now, state.latest
    if last is not None and not rules.can_claim(last=_last(last), now=now, rules=daily):
        # A claim paid just now under another key still used this window: this key is refused, now and on replay.
        raise _refuse(last, daily)
    plan = rules.plan_claim(last=_last(last), now=now, rules=daily)
    claim = session.scalars(
        insert(DailyClaim)
        .values(
            guild_id=guild_id,
            user_id=user_id,
            claim_number=plan.claim_number,
            streak=plan.streak,
            amount=plan.amount,
            idempotency_key=key,
            claimed_at=now,
        )
        .on_conflict_do_nothing()
        .returning(DailyClaim)
    ).one_or_none()
    if claim is None:
        session.rollback()
        return _lost_race(session, ledger, daily, guild_id, user_id, discord_id, key)
    session.commit()
    return ClaimOutcome.of(credit_claim(session, ledger, claim, discord_id), 201)


def _completed(session: Session, ledger: LedgerClient, claim: DailyClaim) -> DailyClaim:
    """A replayed claim, paid now if it was pending (the caller holds the member's lock); 503 while it cannot be."""
    claim = session.get_one(DailyClaim, claim.id, populate_existing=True)
    claim = complete(session, ledger, claim) if claim.pending else claim
    if claim.pending:
        raise CreditPending(claim.claim_number, claim.amount)
    return claim


def _lost_race(
    session: Session, ledger: LedgerClient, daily: DailyRules, guild_id: int, user_id: int, discord_id: int, key: str
) -> ClaimOutcome:
    """Another insert won the claim number or the key: answer as if this request had come second."""
    replayed = _by_key(session, key, guild_id, discord_id)
    if replayed is not None:
        return ClaimOutcome.of(_completed(session, ledger, replayed), 200, replayed=True)
    last = _member_state_by_id(session, guild_id, user_id).latest
    assert last is not None, "an insert only conflicts with an existing claim"
    raise _refuse(last, daily)


def daily_status(session: Session, *, daily: DailyRules, guild_id: int, discord_id: int) -> DailyStatusOut:
    """What the bot shows before a claim: whether it is open, when, for how much, and any credit pending."""
    state = _member_state(session, guild_id, discord_id)
    now, last = state.now, _last(state.latest)
    due = rules.next_claim_at(last=last, rules=daily)
    upcoming = rules.plan_claim(last=last, now=max(now, due) if due else now, rules=daily)
    return DailyStatusOut(
        can_claim=rules.can_claim(last=last, now=now, rules=daily),
        next_claim_at=due,
        streak=rules.current_streak(last=last, now=now, rules=daily),
        next_amount=upcoming.amount,
        pending_credit=bool(_pending(session, guild_id, state.user_id)),
    )


def claim_history(
    session: Session, *, guild_id: int, discord_id: int, limit: int, before_number: int | None
) -> ClaimPageOut:
    """A member's claims in a guild, newest first, one keyset page at a time."""
    user_id = require_user_id(session, discord_id)
    query = select(DailyClaim).where(DailyClaim.guild_id == guild_id, DailyClaim.user_id == user_id)
    if before_number is not None:
        query = query.where(DailyClaim.claim_number < before_number)
    claims = list(session.scalars(query.order_by(DailyClaim.claim_number.desc()).limit(limit + 1)))
    items = [ClaimOut.of(claim) for claim in claims[:limit]]
    return ClaimPageOut(items=items, next_before_number=items[-1].claim_number if len(claims) > limit else None)
