"""Ledger use cases: balances, transfers, generic postings, statements, leaderboards and the audit."""

from sqlalchemy import text
from sqlalchemy.orm import Session

from balance_api import ledger
from balance_api.errors import AmountOverLimit, SelfTransfer, TransactionNotFound
from balance_api.ledger import Leg, PostedTransaction
from balance_api.schemas import (
    AuditOut,
    BalanceOut,
    CallerRank,
    Counterparty,
    LeaderboardEntry,
    LeaderboardOut,
    PostingIn,
    StatementLine,
    StatementOut,
    SystemBalanceOut,
)
from service_kit.idempotency import request_fingerprint
from service_kit.identity import unknown_user

# Public: bench/money_core.py EXPLAINs the very query a balance read runs.
BALANCE_QUERY = text(
    "SELECT u.id, a.id AS account_id, a.balance, a.updated_at,"
    " (SELECT coalesce(sum(h.amount), 0) FROM holds h WHERE h.user_account_id = a.id AND h.status = 'held') AS held"
    " FROM users u LEFT JOIN accounts a ON a.user_id = u.id AND a.guild_id = :guild_id"
    " WHERE u.discord_id = :discord_id"
)
_SYSTEM_BALANCE = text("SELECT balance FROM accounts WHERE guild_id = :guild_id AND system_code = :code")
_STATEMENT = text(
    "SELECT p.id, p.transaction_id, t.kind, t.reason, t.data, p.amount, p.balance_after, p.created_at,"
    " c.others, c.other_user, c.other_system, c.other_name"
    " FROM postings p JOIN ledger_transactions t ON t.id = p.transaction_id"
    " LEFT JOIN LATERAL (SELECT count(*) AS others, min(u2.discord_id) AS other_user,"
    "  min(a2.system_code) AS other_system, min(u2.display_name) AS other_name"
    "  FROM (SELECT account_id FROM postings p2 WHERE p2.transaction_id = p.transaction_id"
    "        AND p2.account_id <> p.account_id LIMIT 2) o"
    "  JOIN accounts a2 ON a2.id = o.account_id LEFT JOIN users u2 ON u2.id = a2.user_id) c ON true"
    " WHERE p.account_id = :account_id AND p.id < :before_id ORDER BY p.id DESC LIMIT :limit"
)
_LEADERBOARD = text(
    "WITH ranked AS ("
    " SELECT u.discord_id, u.display_name, a.balance,"
    "  rank() OVER (ORDER BY a.balance DESC) AS rank,"
    "  row_number() OVER (ORDER BY a.balance DESC, a.id) AS position"
    " FROM accounts a JOIN users u ON u.id = a.user_id"
    " WHERE a.guild_id = :guild_id AND u.discord_id IS NOT NULL)"
    " SELECT discord_id, display_name, balance, rank, position FROM ranked"
    " WHERE position <= :limit OR discord_id = :caller ORDER BY position"
)
_AUDIT = text(
    "SELECT (SELECT coalesce(sum(p.amount), 0) FROM postings p JOIN accounts a ON a.id = p.account_id"
    "        WHERE a.guild_id = :guild_id) AS postings_sum,"
    " (SELECT coalesce(sum(balance), 0) FROM accounts WHERE guild_id = :guild_id) AS balances_sum,"
    " (SELECT count(*) FROM accounts a WHERE a.guild_id = :guild_id AND a.balance <>"
    "   (SELECT coalesce(sum(amount), 0) FROM postings p WHERE p.account_id = a.id)) AS out_of_step,"
    " (SELECT coalesce(sum(amount), 0) FROM holds WHERE guild_id = :guild_id AND status = 'held') AS holds_active,"
    " (SELECT coalesce(sum(balance), 0) FROM accounts WHERE guild_id = :guild_id AND system_code = 'holds')"
    "   AS holds_balance,"
    " (SELECT count(*) FROM holds h WHERE h.guild_id = :guild_id AND NOT ("
    "   EXISTS (SELECT FROM postings p WHERE p.transaction_id = h.hold_transaction_id"
    "           AND p.account_id = h.user_account_id AND p.amount = -h.amount)"
    "   AND EXISTS (SELECT FROM postings p JOIN accounts a ON a.id = p.account_id"
    "           WHERE p.transaction_id = h.hold_transaction_id AND a.system_code = 'holds' AND p.amount = h.amount)"
    "   AND (h.final_transaction_id IS NULL OR EXISTS (SELECT FROM postings p JOIN accounts a ON a.id = p.account_id"
    "           WHERE p.transaction_id = h.final_transaction_id AND a.system_code = 'holds'"
    "           AND p.amount = -h.amount)))) AS holds_out_of_step"
)
NO_CURSOR = 2**63 - 1


def balance_of(session: Session, *, guild_id: int, discord_id: int) -> BalanceOut:
    """A member's balance in one read of a stored column, whatever the length of their history."""
    row = session.execute(BALANCE_QUERY, {"guild_id": guild_id, "discord_id": discord_id}).one_or_none()
    if row is None:
        raise unknown_user(discord_id)
    return BalanceOut(
        guild_id=guild_id, user_id=discord_id, balance=row.balance or 0, held=row.held, updated_at=row.updated_at
    )


def system_balance(session: Session, *, guild_id: int, code: str) -> SystemBalanceOut:
    """A system account's balance, so services can check the escrow they rely on."""
    balance = session.execute(_SYSTEM_BALANCE, {"guild_id": guild_id, "code": code}).scalar_one_or_none()
    return SystemBalanceOut(guild_id=guild_id, system=code, balance=balance or 0)


def transfer(
    session: Session,
    *,
    guild_id: int,
    from_discord_id: int,
    to_discord_id: int,
    amount: int,
    reason: str | None,
    key: str,
    max_amount: int,
) -> tuple[PostedTransaction, bool]:
    """Move coins between two members of a guild, once per key, never past the sender's balance."""
    fingerprint = request_fingerprint(
        {
            "op": "transfer",
            "guild": guild_id,
            "from": from_discord_id,
            "to": to_discord_id,
            "amount": amount,
            "reason": reason,
        }
    )
    ledger.check_key(key)

    def not_to_oneself() -> None:
        if from_discord_id == to_discord_id:
            raise SelfTransfer("you cannot transfer coins to yourself")

    def within_limit() -> None:
        if amount > max_amount:
            raise AmountOverLimit(f"a transfer can move at most {max_amount} coins", max_amount=max_amount)

    # The first answer, whatever changed since (a member forgotten, a lower limit): the function replays first.
    return ledger.post(
        session,
        guild_id=guild_id,
        kind="transfer",
        reason=reason,
        key=key,
        fingerprint=fingerprint,
        legs=[Leg(amount=-amount, user_id=from_discord_id), Leg(amount=amount, user_id=to_discord_id)],
        rules=(not_to_oneself, within_limit),
    )


def post_transaction(
    session: Session,
    *,
    guild_id: int,
    kind: str,
    reason: str | None,
    postings: list[PostingIn],
    key: str,
    data: dict[str, int] | None = None,
) -> tuple[PostedTransaction, bool]:
    """Any balanced move another service needs (rewards, escrow, fees), once per key."""
    fingerprint = request_fingerprint(
        {
            "op": "post",
            "guild": guild_id,
            "kind": kind,
            "reason": reason,
            "postings": sorted((p.user_id or 0, p.system or "", p.amount) for p in postings),
            **({} if data is None else {"data": data}),  # a move without data keeps the fingerprint it always had
        }
    )
    ledger.check_key(key)
    # The first answer even if a member it names was forgotten since: the function replays first.
    legs = [Leg(amount=p.amount, user_id=p.user_id, system=p.system) for p in postings]
    return ledger.post(
        session, guild_id=guild_id, kind=kind, reason=reason, key=key, fingerprint=fingerprint, legs=legs, data=data
    )


def transaction_by_key(session: Session, *, key: str) -> PostedTransaction:
    """Lets a caller that lost a response learn whether its move happened."""
    posted = ledger.load_transaction(session, key)
    if posted is None:
        raise TransactionNotFound(f"no transaction has the idempotency key {key!r}")
    return posted


def statement(session: Session, *, guild_id: int, discord_id: int, limit: int, before_id: int | None) -> StatementOut:
    """A member's postings, newest first, one keyset page at a time."""
    row = session.execute(BALANCE_QUERY, {"guild_id": guild_id, "discord_id": discord_id}).one_or_none()
    if row is None:
        raise unknown_user(discord_id)
    if row.account_id is None:
        return StatementOut(items=[], next_before_id=None)
    rows = session.execute(
        _STATEMENT, {"account_id": row.account_id, "before_id": before_id or NO_CURSOR, "limit": limit + 1}
    ).all()
    items = [
        StatementLine(
            posting_id=r.id,
            transaction_id=r.transaction_id,
            kind=r.kind,
            reason=r.reason,
            data=r.data,
            amount=r.amount,
            balance_after=r.balance_after,
            created_at=r.created_at,
            counterparty=Counterparty(user_id=r.other_user, system=r.other_system, display_name=r.other_name)
            if r.others == 1
            else None,
        )
        for r in rows[:limit]
    ]
    return StatementOut(items=items, next_before_id=items[-1].posting_id if len(rows) > limit else None)


def leaderboard(session: Session, *, guild_id: int, limit: int, caller: int | None) -> LeaderboardOut:
    """The guild's top members and the caller's own rank, in one query."""
    rows = session.execute(_LEADERBOARD, {"guild_id": guild_id, "limit": limit, "caller": caller}).all()
    items = [
        LeaderboardEntry(rank=r.rank, user_id=r.discord_id, display_name=r.display_name, balance=r.balance)
        for r in rows
        if r.position <= limit
    ]
    mine = next((r for r in rows if caller is not None and r.discord_id == caller), None)
    return LeaderboardOut(items=items, caller=CallerRank(rank=mine.rank, balance=mine.balance) if mine else None)


def audit(session: Session, *, guild_id: int) -> AuditOut:
    """Proves the guild's books: postings sum to zero, every balance equals its postings, holds match their coins."""
    row = session.execute(_AUDIT, {"guild_id": guild_id}).one()
    return AuditOut(
        guild_id=guild_id,
        postings_sum=row.postings_sum,
        balances_sum=row.balances_sum,
        accounts_out_of_step=row.out_of_step,
        holds_active_sum=row.holds_active,
        holds_account_balance=row.holds_balance,
        holds_out_of_step=row.holds_out_of_step,
        balanced=row.postings_sum == 0
        and row.balances_sum == 0
        and row.out_of_step == 0
        and row.holds_active == row.holds_balance
        and row.holds_out_of_step == 0,
    )
