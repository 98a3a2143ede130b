"""Below the member lock, the database alone still lets one claim per window win: the unique claim number."""

import threading
from concurrent.futures import ThreadPoolExecutor

import psycopg2
import pytest
from sqlalchemy import create_engine

from coin_api import service
from coin_api.errors import DailyAlreadyClaimed
from coin_api.rules import DailyRules
from service_kit.ledger_client import Move
from service_kit.locks import pinned_session
from service_kit.settings import psycopg2_url

pytestmark = pytest.mark.slow
RACERS = 20
DAILY = DailyRules(amount=100, cooldown_s=86_400, streak_bonus=10, streak_max_days=7, grace_s=172_800)
GUILD, MEMBER = 555, 777


class KeyedLedger:
    """Records the ledger transaction for a key once and returns its id on every call, as balance_api does."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.calls = 0

    def post(self, credit: Move) -> int:
        self.calls += 1
        with psycopg2.connect(self.database_url) as connection, connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO ledger_transactions (guild_id, idempotency_key, request_hash, kind)"
                " VALUES (%s, %s, repeat('0', 64), 'daily') ON CONFLICT (idempotency_key) DO NOTHING",
                (credit.guild_id, credit.key),
            )
            cursor.execute("SELECT id FROM ledger_transactions WHERE idempotency_key = %s", (credit.key,))
            transaction_id = cursor.fetchone()[0]
        connection.close()
        return transaction_id


def test_racing_inserts_without_the_lock_still_record_one_claim(database_url):
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("INSERT INTO users (discord_id) VALUES (%s) RETURNING id", (MEMBER,))
        user_id = cursor.fetchone()[0]
    connection.close()
    engine = create_engine(psycopg2_url(database_url), pool_size=RACERS)
    ledger = KeyedLedger(database_url)
    barrier = threading.Barrier(RACERS)

    def race(index: int):
        with pinned_session(engine) as session:
            barrier.wait()
            try:
                return service._claim_locked(session, ledger, DAILY, GUILD, user_id, MEMBER, f"race-{index}")
            except DailyAlreadyClaimed:
                return "refused"

    try:
        with ThreadPoolExecutor(max_workers=RACERS) as pool:
            outcomes = list(pool.map(race, range(RACERS)))
    finally:
        engine.dispose()
    winners = [o for o in outcomes if o != "refused" and o.status == 201]
    assert len(winners) == 1
    others = [o for o in outcomes if o is not winners[0]]
    assert all(o == "refused" or (o.status == 200 and o.claim == winners[0].claim) for o in others)
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT claim_number, credited_at IS NOT NULL FROM daily_claims")
        assert cursor.fetchall() == [(1, True)]
        cursor.execute("SELECT count(*) FROM ledger_transactions")
        assert cursor.fetchone() == (1,)
    connection.close()
