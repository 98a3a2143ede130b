"""The posting engine's Python side: validate, make one call of the database's posting function, map its answer."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from psycopg2 import errorcodes
from sqlalchemy import TextClause, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from balance_api.errors import UnbalancedTransaction
from service_kit.errors import IdempotencyKeyReused, InsufficientFunds, ServiceError
from service_kit.identity import unknown_user

RETRYABLE = {errorcodes.DEADLOCK_DETECTED, errorcodes.SERIALIZATION_FAILURE}
ATTEMPTS = 3
RESERVED_PREFIX = "hold:"
T = TypeVar("T")


@dataclass(frozen=True)
class Leg:
    """One side of a move: a member (Discord id, as on the wire) or a system account (code), and a signed amount."""

    amount: int
    user_id: int | None = None
    system: str | None = None

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
    data: dict[str, int] | None = None


@dataclass(frozen=True)
class Prepared:
    """A statement PostgreSQL parses and plans once per connection: each later call sends EXECUTE and the values."""

    name: str
    prepare: str
    execute: TextClause


def prepared(name: str, sql: str, **types: str) -> Prepared:
    """sql takes $1..$n: the keyword arguments name them, in order, with their types."""
    values = ", ".join(f":{param}" for param in types)
    return Prepared(name, f"PREPARE {name} ({', '.join(types.values())}) AS {sql}", text(f"EXECUTE {name}({values})"))


# Migration PostingFunctions: replay first, resolve members, lock in id order, check, claim the key, post.
_POST = prepared(
    "ledger_post_call",
    "SELECT ledger_post($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    guild_id="bigint",
    kind="varchar",
    reason="varchar",
    key="varchar",
    hash="bpchar",
    discord_ids="bigint[]",
    systems="varchar[]",
    amounts="bigint[]",
    data="jsonb",
)
_REPLAY = prepared("ledger_replay_call", "SELECT ledger_replay($1, $2)", key="varchar", hash="bpchar")
_LOAD = prepared(
    "ledger_load_call",
    "SELECT ledger_transaction_json(id) FROM ledger_transactions WHERE idempotency_key = $1",
    key="varchar",
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


def call(session: Session, statement: Prepared, params: dict[str, Any]) -> Any:
    """One statement in autocommit: the function is the whole transaction, so only that statement goes on the wire.

    psycopg2 sends no BEGIN in autocommit, and nothing on the rollback that ends the session when no transaction is
    open; flipping the flag on the pooled connection (not SQLAlchemy's isolation_level option, whose reset on
    check-in costs a SET round trip) keeps it at one. The statement is prepared on the connection's first call (the
    driver's .info goes with the connection, so a new one prepares again). A deadlock or serialization failure
    rolled the statement back entirely, so it runs again as it is."""
    if session.in_transaction():
        raise RuntimeError("a posting function is a transaction of its own: call it with no transaction open")
    try:
        connection = session.connection()
        driver = connection.connection.dbapi_connection
        driver.autocommit = True
        try:
            ready = connection.connection.info.setdefault("prepared", set())
            if statement.name not in ready:
                connection.exec_driver_sql(statement.prepare)
                ready.add(statement.name)
            for attempt in range(1, ATTEMPTS + 1):
                try:
                    return connection.execute(statement.execute, params).scalar()
                except DBAPIError as exc:
                    if getattr(exc.orig, "pgcode", None) not in RETRYABLE or attempt == ATTEMPTS:
                        raise
            raise AssertionError("unreachable")
        finally:
            if not driver.closed:
                driver.autocommit = False
    finally:
        session.close()


def refusal(answer: dict[str, Any], key: str) -> ServiceError:
    """The ServiceError for a refusal the posting functions share."""
    code = answer["refused"]
    if code == "idempotency_key_reused":
        return IdempotencyKeyReused(f"idempotency key {key!r} was already used for a different request")
    if code == "user_not_found":
        return unknown_user(answer["user_id"])
    if code == "insufficient_funds":
        balance, needed = answer["balance"], answer["needed"]
        return InsufficientFunds(
            f"not enough coins: the balance is {balance} and this needs {needed}", balance=balance, needed=needed
        )
    raise AssertionError(f"unknown refusal {code!r}")


def _transaction(found: dict[str, Any]) -> PostedTransaction:
    columns = found["postings"]  # one array per field, in posting order
    fields = ("account_id", "user_id", "system", "amount", "balance_after")
    legs = [PostedLeg(*row) for row in zip(*(columns[field] for field in fields), strict=True)]
    return PostedTransaction(
        found["id"],
        found["guild_id"],
        found["kind"],
        found["reason"],
        found["idempotency_key"],
        datetime.fromisoformat(found["created_at"]),
        legs,
        found.get("data"),
    )


def _answer(answer: dict[str, Any], key: str) -> tuple[PostedTransaction, bool]:
    if "refused" in answer:
        raise refusal(answer, key)
    return _transaction(answer["transaction"]), answer["replayed"]


def load_transaction(session: Session, key: str) -> PostedTransaction | None:
    """A committed transaction by its idempotency key, as the caller first received it."""
    found = call(session, _LOAD, {"key": key})
    return None if found is None else _transaction(found)


def check_key(key: str) -> None:
    """Keys starting with `hold:` name the ledger's own capture and release moves; no caller may take one first."""
    if key.startswith(RESERVED_PREFIX):
        raise IdempotencyKeyReused(
            f"idempotency key {key!r} is reserved: keys starting with {RESERVED_PREFIX!r} name the ledger's hold moves"
        )


def replay(session: Session, key: str, fingerprint: str) -> PostedTransaction | None:
    """The first result of a key already applied; None for a fresh key."""
    answer = call(session, _REPLAY, {"key": key, "hash": fingerprint})
    return None if answer is None else _answer(answer, key)[0]


def refuse_or_replay(error: ServiceError, find_first: Callable[[], T | None]) -> T:
    """A refusal stands only for a key never applied: the first answer the key got wins over it."""
    if (first := find_first()) is not None:
        return first
    raise error


def post(
    session: Session,
    *,
    guild_id: int,
    kind: str,
    reason: str | None,
    key: str,
    fingerprint: str,
    legs: list[Leg],
    rules: tuple[Callable[[], None], ...] = (),
    data: dict[str, int] | None = None,
) -> tuple[PostedTransaction, bool]:
    """Apply the legs once in one call (or answer the key's first result); True when it was a replay.

    rules are the caller's own checks (a limit, no self-transfer), refusing only what was never applied; data (the
    move's ids, for readers) must be part of the fingerprint."""
    try:
        for rule in (*rules, lambda: validate_legs(legs)):
            rule()
    except ServiceError as error:  # checked here, without a round trip: a key already applied still answers first
        return refuse_or_replay(error, lambda: replay(session, key, fingerprint)), True
    params = {
        "guild_id": guild_id,
        "kind": kind,
        "reason": reason,
        "key": key,
        "hash": fingerprint,
        "discord_ids": [leg.user_id for leg in legs],
        "systems": [leg.system for leg in legs],
        "amounts": [leg.amount for leg in legs],
        "data": None if data is None else json.dumps(data),
    }
    return _answer(call(session, _POST, params), key)
