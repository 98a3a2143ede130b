"""The database itself keeps bets consistent, and the bets migration reverts cleanly."""

import os
import subprocess

import psycopg2
import pytest

from buteco_dev.migrations import MIGRATION_SERVICE, run_migrations

BET_TABLES = {"bet_events", "bet_outcomes", "bets", "bet_stakes"}


@pytest.fixture
def db(database_url):
    """An autocommit cursor and the internal ids of two registered members."""
    connection = psycopg2.connect(database_url)
    connection.autocommit = True
    with connection.cursor() as cur:
        cur.execute("INSERT INTO users (discord_id) VALUES (111), (222) RETURNING id")
        alice, bob = (row[0] for row in cur.fetchall())
        yield cur, alice, bob
    connection.close()


def _event(cur, creator: int, key: str) -> tuple[int, list[int]]:
    cur.execute(
        "INSERT INTO bet_events (guild_id, creator_id, title, idempotency_key, request_hash)"
        " VALUES (1, %s, 'title', %s, repeat('0', 64)) RETURNING id",
        (creator, key),
    )
    event_id = cur.fetchone()[0]
    cur.execute(
        "INSERT INTO bet_outcomes (event_id, position, label) VALUES (%s, 1, 'a'), (%s, 2, 'b') RETURNING id",
        (event_id, event_id),
    )
    return event_id, [row[0] for row in cur.fetchall()]


def test_the_winner_is_one_of_the_events_own_outcomes_and_only_once_settling(db):
    cursor, alice, _ = db
    event, (first, _) = _event(cursor, alice, "e1")
    other, (foreign, _) = _event(cursor, alice, "e2")
    with pytest.raises(psycopg2.errors.CheckViolation, match="ck_bet_events_winner_only_when_settled"):
        cursor.execute("UPDATE bet_events SET winning_outcome_id = %s WHERE id = %s", (first, event))
    with pytest.raises(psycopg2.errors.ForeignKeyViolation, match="fk_bet_events_winning_outcome"):
        cursor.execute(
            "UPDATE bet_events SET status = 'settling', winning_outcome_id = %s, locked_at = now(),"
            " settlement_key = 'k' WHERE id = %s",
            (foreign, event),
        )
    cursor.execute(
        "UPDATE bet_events SET status = 'settling', winning_outcome_id = %s, locked_at = now(),"
        " settlement_key = 'k' WHERE id = %s",
        (first, event),
    )
    with pytest.raises(psycopg2.errors.CheckViolation, match="ck_bet_events_status"):
        cursor.execute("UPDATE bet_events SET status = 'maybe', locked_at = now() WHERE id = %s", (other,))


def test_one_side_per_member_positive_stakes_and_outcomes_of_the_same_event(db):
    cursor, alice, bob = db
    event, (yes, no) = _event(cursor, alice, "e1")
    _, (foreign, _) = _event(cursor, alice, "e2")
    cursor.execute(
        "INSERT INTO bets (event_id, outcome_id, user_id) VALUES (%s, %s, %s) RETURNING id", (event, yes, bob)
    )
    bet = cursor.fetchone()[0]
    with pytest.raises(psycopg2.errors.UniqueViolation, match="uq_bets_event_user"):
        cursor.execute("INSERT INTO bets (event_id, outcome_id, user_id) VALUES (%s, %s, %s)", (event, no, bob))
    with pytest.raises(psycopg2.errors.ForeignKeyViolation, match="fk_bets_outcome"):
        cursor.execute("INSERT INTO bets (event_id, outcome_id, user_id) VALUES (%s, %s, %s)", (event, foreign, alice))
    with pytest.raises(psycopg2.errors.CheckViolation, match="ck_bet_stakes_amount_positive"):
        cursor.execute(
            "INSERT INTO bet_stakes (event_id, bet_id, amount, idempotency_key, request_hash)"
            " VALUES (%s, %s, 0, 'k', repeat('0', 64))",
            (event, bet),
        )
    with pytest.raises(psycopg2.errors.CheckViolation, match="ck_bets_payout_fits_result"):
        cursor.execute("UPDATE bets SET result = 'lost', payout = 5 WHERE id = %s", (bet,))
    with pytest.raises(psycopg2.errors.CheckViolation, match="ck_bet_outcomes_position_range"):
        cursor.execute("INSERT INTO bet_outcomes (event_id, position, label) VALUES (%s, 26, 'z')", (event,))
    with pytest.raises(psycopg2.errors.UniqueViolation, match="uq_bet_outcomes_event_label"):
        cursor.execute("INSERT INTO bet_outcomes (event_id, position, label) VALUES (%s, 3, 'A')", (event,))


def _tables(url: str) -> set[str]:
    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
            return {row[0] for row in cur.fetchall()}
    finally:
        connection.close()


@pytest.mark.slow
def test_the_migration_reverts_and_reapplies(database_url):
    assert _tables(database_url) >= BET_TABLES
    # the migrations newer than Bets (ServiceRoles, ...) are reverted first
    for _ in range(len(list((MIGRATION_SERVICE / "src" / "migration").glob("*.ts")))):
        done = subprocess.run(
            ["npm", "--prefix", str(MIGRATION_SERVICE), "run", "revert"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            env={**os.environ, "DATABASE_URL": database_url},
        )
        assert done.returncode == 0, done.stdout + done.stderr
        if "Migration Bets" in done.stdout:
            break
    assert "Migration Bets" in done.stdout
    remaining = _tables(database_url)
    assert not BET_TABLES & remaining and {"users", "accounts", "postings", "daily_claims"} <= remaining
    run_migrations(database_url)
    assert _tables(database_url) >= BET_TABLES
