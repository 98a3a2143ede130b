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
