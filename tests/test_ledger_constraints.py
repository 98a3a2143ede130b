"""The database itself refuses what would break the books, whatever a service does."""

import psycopg2
import pytest


@pytest.fixture
def cursor(database_url):
    connection = psycopg2.connect(database_url)
    connection.autocommit = True
    with connection.cursor() as cur:
        cur.execute("INSERT INTO users (discord_id) VALUES (111) RETURNING id")
        user_id = cur.fetchone()[0]
        cur.execute("INSERT INTO accounts (guild_id, user_id) VALUES (1, %s) RETURNING id", (user_id,))
        cur.execute("INSERT INTO accounts (guild_id, system_code, allow_negative) VALUES (1, 'mint', true)")
        cur.execute(
            "INSERT INTO ledger_transactions (guild_id, idempotency_key, request_hash, kind)"
            " VALUES (1, 'k1', repeat('0', 64), 'reward') RETURNING id"
        )
        yield cur
    connection.close()


def _accounts(cur):
    cur.execute("SELECT id FROM accounts ORDER BY id")
    return [row[0] for row in cur.fetchall()]


def test_unbalanced_postings_are_refused(cursor):
    member, mint = _accounts(cursor)
    with pytest.raises(psycopg2.errors.CheckViolation, match="unbalanced ledger transaction"):
        cursor.execute(
            "INSERT INTO postings (transaction_id, account_id, amount, balance_after)"
            " VALUES (1, %s, 10, 10), (1, %s, -9, -9)",
            (member, mint),
        )
    cursor.execute(
        "INSERT INTO postings (transaction_id, account_id, amount, balance_after)"
        " VALUES (1, %s, 10, 10), (1, %s, -10, -10)",
        (member, mint),
    )


def test_the_ledger_is_append_only(cursor):
    member, mint = _accounts(cursor)
    cursor.execute(
        "INSERT INTO postings (transaction_id, account_id, amount, balance_after)"
        " VALUES (1, %s, 10, 10), (1, %s, -10, -10)",
        (member, mint),
    )
    with pytest.raises(psycopg2.errors.ObjectNotInPrerequisiteState, match="append-only"):
        cursor.execute("UPDATE postings SET amount = 20 WHERE account_id = %s", (member,))
    with pytest.raises(psycopg2.errors.ObjectNotInPrerequisiteState, match="append-only"):
        cursor.execute("DELETE FROM ledger_transactions")


def test_members_cannot_be_overdrawn_and_keys_are_unique(cursor):
    member, _ = _accounts(cursor)
    with pytest.raises(psycopg2.errors.CheckViolation, match="ck_accounts_no_overdraft"):
        cursor.execute("UPDATE accounts SET balance = -1 WHERE id = %s", (member,))
    with pytest.raises(psycopg2.errors.CheckViolation, match="ck_accounts_member_never_negative"):
        cursor.execute("UPDATE accounts SET allow_negative = true WHERE id = %s", (member,))
    with pytest.raises(psycopg2.errors.UniqueViolation):
        cursor.execute(
            "INSERT INTO ledger_transactions (guild_id, idempotency_key, request_hash, kind)"
            " VALUES (1, 'k1', repeat('0', 64), 'reward')"
        )
    with pytest.raises(psycopg2.errors.CheckViolation):
        cursor.execute(
            "INSERT INTO daily_claims (guild_id, user_id, claim_number, streak, amount, idempotency_key)"
            " SELECT 1, id, 1, 1, 0, 'd1' FROM users"
        )


HOLD = (
    "INSERT INTO holds (guild_id, user_account_id, system_code, amount, kind, idempotency_key, request_hash,"
    " expires_at, hold_transaction_id, status, resolved_at, final_transaction_id)"
    " VALUES (1, %s, 'sink', %s, 'ai_usage', %s, repeat('0', 64), now() + %s * interval '1 second', 1, %s, %s, %s)"
)


@pytest.mark.parametrize(
    ("amount", "expires_in_s", "status", "resolved", "final", "constraint"),
    [
        (0, 60, "held", None, None, "ck_holds_amount_positive"),
        (5, 0, "held", None, None, "ck_holds_expires_after_creation"),
        (5, 60, "pending", None, None, "ck_holds_status"),
        (5, 60, "captured", None, 1, "ck_holds_resolved_at_once_resolved"),
        (5, 60, "released", "now()", None, "ck_holds_final_transaction_once_resolved"),
        (5, 60, "held", "now()", None, "ck_holds_resolved_at_once_resolved"),
    ],
)
def test_a_hold_is_held_or_resolved_with_its_final_move_never_half_way(
    cursor, amount, expires_in_s, status, resolved, final, constraint
):
    member, _ = _accounts(cursor)
    resolved_at = "2026-01-01T00:00:00Z" if resolved else None
    with pytest.raises(psycopg2.errors.CheckViolation, match=constraint):
        cursor.execute(HOLD, (member, amount, f"h-{constraint}", expires_in_s, status, resolved_at, final))
    cursor.execute(HOLD, (member, 5, "h-fine", 60, "held", None, None))
    with pytest.raises(psycopg2.errors.UniqueViolation, match="uq_holds_idempotency_key|uq_holds_hold_transaction_id"):
        cursor.execute(HOLD, (member, 5, "h-fine", 60, "held", None, None))
