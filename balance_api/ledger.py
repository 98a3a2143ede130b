"""The posting engine: one database transaction per money move, balanced, idempotent, never overdrawn."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from psycopg2 import errorcodes
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from balance_api.errors import UnbalancedTransaction
from service_kit.errors import IdempotencyKeyReused, InsufficientFunds, ServiceError

MINT = "mint"
RETRYABLE = {errorcodes.DEADLOCK_DETECTED, errorcodes.SERIALIZATION_FAILURE}
ATTEMPTS = 3
RESERVED_PREFIX = "hold:"
T = TypeVar("T")


@dataclass(frozen=True)
class Leg:
    """One side of a move: a member (internal user id) or a system account (code), and a signed amount."""

    amount: int
    user_id: int | None = None
    system: str | None = None
    discord_id: int | None = None

    @property
    def owner(self) -> tuple[str, int | str]:
        return ("user", self.user_id) if self.user_id is not None else ("system", self.system or "")


@dataclass(frozen=True)
class PostedLeg:
    account_id: int
    discord_id: int | None
    system: str | None
    amount: int
    balance_after: int


@dataclass(frozen=True)
class PostedTransaction:
    id: int
    guild_id: int
    kind: str
    reason: str | None
    idempotency_key: str
    created_at: datetime
    postings: list[PostedLeg]


_CLAIM_KEY = text(
    "INSERT INTO ledger_transactions (guild_id, idempotency_key, request_hash, kind, reason) "
    "VALUES (:guild_id, :key, :hash, :kind, :reason) "
    "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, created_at"
)
_EXISTING_KEY = text("SELECT id, request_hash FROM ledger_transactions WHERE idempotency_key = :key")
_LOCK_ACCOUNTS = text(
    "SELECT id, user_id, system_code, balance, allow_negative FROM accounts "
    "WHERE guild_id = :guild_id AND (user_id = ANY(:user_ids) OR system_code = ANY(:codes)) "
    "ORDER BY id FOR UPDATE"
)
_OPEN_ACCOUNTS = text(
    "INSERT INTO accounts (guild_id, user_id, system_code, allow_negative) "
    "SELECT :guild_id, u, s, s IS NOT DISTINCT FROM :mint "
    "FROM unnest(CAST(:user_ids AS bigint[]), CAST(:codes AS varchar[])) AS t(u, s) "
    "ON CONFLICT DO NOTHING"
)
_APPLY = text(
    "WITH moved AS ("
    " UPDATE accounts a SET balance = v.balance_after, updated_at = now()"
    " FROM unnest(CAST(:account_ids AS bigint[]), CAST(:balances AS bigint[])) AS v(id, balance_after)"
    " WHERE a.id = v.id RETURNING a.id)"
    " INSERT INTO postings (transaction_id, account_id, amount, balance_after)"
    " SELECT :transaction_id, p.account_id, p.amount, p.balance_after"
    " FROM unnest(CAST(:account_ids AS bigint[]), CAST(:amounts AS bigint[]), CAST(:balances AS bigint[]))"
    " AS p(account_id, amount, balance_after)"
)
_LOAD = text(
    "SELECT t.id, t.guild_id, t.kind, t.reason, t.idempotency_key, t.created_at,"
    " p.account_id, u.discord_id, a.system_code, p.amount, p.balance_after"
    " FROM ledger_transactions t JOIN postings p ON p.transaction_id = t.id"
    " JOIN accounts a ON a.id = p.account_id LEFT JOIN users u ON u.id = a.user_id"
    " WHERE t.idempotency_key = :key ORDER BY p.id"
)


def validate_legs(legs: list[Leg]) -> None:
    """A move needs two or more distinct accounts whose amounts cancel out."""
    if len(legs) < 2:
        raise UnbalancedTransaction("a transaction needs at least two postings")
    if len({leg.owner for leg in legs}) != len(legs):
        raise UnbalancedTransaction("each account may appear only once in a transaction")
    if any(leg.amount == 0 for leg in legs):
        raise UnbalancedTransaction("a posting amount cannot be zero")
    total = sum(leg.amount for leg in legs)
    if total != 0:
        raise UnbalancedTransaction(f"postings must sum to zero; they sum to {total}")


def load_transaction(session: Session, key: str) -> PostedTransaction | None:
    """A committed transaction by its idempotency key, as the caller first received it."""
    rows = session.execute(_LOAD, {"key": key}).all()
    if not rows:
        return None
    first = rows[0]
    legs = [PostedLeg(r.account_id, r.discord_id, r.system_code, r.amount, r.balance_after) for r in rows]
    return PostedTransaction(
        first.id, first.guild_id, first.kind, first.reason, first.idempotency_key, first.created_at, legs
    )


def check_key(key: str) -> None:
    """Keys starting with `hold:` name the ledger's own capture and release moves; no caller may take one first."""
    if key.startswith(RESERVED_PREFIX):
        raise IdempotencyKeyReused(
            f"idempotency key {key!r} is reserved: keys starting with {RESERVED_PREFIX!r} name the ledger's hold moves"
        )


def key_used(session: Session, key: str) -> bool:
    """Whether a committed move already carries the key."""
    return session.execute(_EXISTING_KEY, {"key": key}).one_or_none() is not None


def replay(session: Session, key: str, fingerprint: str) -> PostedTransaction | None:
    """The first result of a key already applied, before anything else is looked at; None for a fresh key."""
    existing = session.execute(_EXISTING_KEY, {"key": key}).one_or_none()
    if existing is None:
        return None
    if existing.request_hash != fingerprint:
        raise IdempotencyKeyReused(f"idempotency key {key!r} was already used for a different request")
    return load_transaction(session, key)


def answer_once(find_first: Callable[[], T | None], decide: Callable[[], tuple[T, bool]]) -> tuple[T, bool]:
    """The first answer a key got, else decide's; a refusal stands only if no twin answered the key meanwhile."""
    if (first := find_first()) is not None:
        return first, True
    try:
        return decide()
    except ServiceError:
        # A twin may have committed between our look and a refusal (a member forgotten just after it paid).
        if (first := find_first()) is not None:
            return first, True
        raise


def _lock_accounts(session: Session, guild_id: int, legs: list[Leg]) -> dict[tuple[str, int | str], dict]:
    params = {
        "guild_id": guild_id,
        "user_ids": [leg.user_id for leg in legs if leg.user_id is not None],
        "codes": [leg.system for leg in legs if leg.system is not None],
    }
    rows = session.execute(_LOCK_ACCOUNTS, params).mappings().all()
    if len(rows) < len(legs):
        found = {("user", r["user_id"]) if r["user_id"] is not None else ("system", r["system_code"]) for r in rows}
        missing = [leg for leg in legs if leg.owner not in found]
        session.execute(
            _OPEN_ACCOUNTS,
            {
                "guild_id": guild_id,
                "mint": MINT,
                "user_ids": [leg.user_id for leg in missing],
                "codes": [leg.system for leg in missing],
            },
        )
        rows = session.execute(_LOCK_ACCOUNTS, params).mappings().all()
    return {("user", r["user_id"]) if r["user_id"] is not None else ("system", r["system_code"]): r for r in rows}


def write(
    session: Session, *, guild_id: int, kind: str, reason: str | None, key: str, fingerprint: str, legs: list[Leg]
) -> PostedTransaction | None:
    """Claim the key and apply the legs in the session's transaction, uncommitted; None when the key is taken."""
    claimed = session.execute(
        _CLAIM_KEY, {"guild_id": guild_id, "key": key, "hash": fingerprint, "kind": kind, "reason": reason}
    ).one_or_none()
    if claimed is None:
        return None
    accounts = _lock_accounts(session, guild_id, legs)
    posted_legs = []
    for leg in legs:
        account = accounts[leg.owner]
        after = account["balance"] + leg.amount
        if after < 0 and not account["allow_negative"]:
            raise InsufficientFunds(
                f"not enough coins: the balance is {account['balance']} and this needs {-leg.amount}",
                balance=account["balance"],
                needed=-leg.amount,
            )
        posted_legs.append(PostedLeg(account["id"], leg.discord_id, leg.system, leg.amount, after))
    session.execute(
        _APPLY,
        {
            "transaction_id": claimed.id,
            "account_ids": [p.account_id for p in posted_legs],
            "amounts": [p.amount for p in posted_legs],
            "balances": [p.balance_after for p in posted_legs],
        },
    )
    return PostedTransaction(claimed.id, guild_id, kind, reason, key, claimed.created_at, posted_legs)


def atomically(session: Session, work: Callable[[], T]) -> T:
    """Run work in one database transaction and commit it; a deadlock or serialization failure runs it again."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            result = work()
            session.commit()
            return result
        except DBAPIError as exc:
            session.rollback()
            if getattr(exc.orig, "pgcode", None) not in RETRYABLE or attempt == ATTEMPTS:
                raise
        except Exception:
            session.rollback()
            raise
    raise AssertionError("unreachable")


def post(
    session: Session, *, guild_id: int, kind: str, reason: str | None, key: str, fingerprint: str, legs: list[Leg]
) -> tuple[PostedTransaction, bool]:
    """Apply the legs once (or return the first result for a replayed key); True when it was a replay."""
    validate_legs(legs)
    posted = atomically(
        session,
        lambda: write(
            session, guild_id=guild_id, kind=kind, reason=reason, key=key, fingerprint=fingerprint, legs=legs
        ),
    )
    if posted is not None:
        return posted, False
    first = replay(session, key, fingerprint)  # a twin request committed the key between our check and our claim
    assert first is not None
    return first, True
