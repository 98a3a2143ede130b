"""Money is sacred: 100 simultaneous claims by one member pay exactly once."""

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg2
import pytest

from buteco_dev.credentials import auth_headers
from coin_api.crediting import member_lock_key
from coin_api.tests.conftest import LEDGER_TIMEOUT_S, Stack, new_snowflake

pytestmark = pytest.mark.slow
CLAIMS = 100


def fire_together(url: str, count: int) -> list[httpx.Response]:
    """count POSTs with distinct idempotency keys, released at the same instant from their own threads."""
    barrier = threading.Barrier(count)

    def one(index: int) -> httpx.Response:
        with httpx.Client(timeout=60, trust_env=False) as client:
            barrier.wait()
            return client.post(url, headers=auth_headers(idempotency_key=f"burst-{index}-{new_snowflake()}"))

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def test_a_hundred_concurrent_claims_pay_exactly_once(api: Stack):
    guild, member = new_snowflake(), api.register()
    responses = fire_together(f"{api.coin.base_url}/guilds/{guild}/members/{member}/daily", CLAIMS)

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: CLAIMS - 1}, [r.text for r in responses if r.status_code not in (201, 409)]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"daily_already_claimed"}
    assert api.balance(guild, member) == 100
    assert len(api.daily_transactions(guild)) == 1
    assert api.sql(
        "SELECT count(*), sum(amount) FROM postings p JOIN accounts a ON a.id = p.account_id WHERE a.guild_id = %s",
        guild,
    ) == [(2, 0)]
    assert [row[:4] for row in api.claims(guild)] == [(1, 1, 100, True)]


def test_concurrent_claims_by_different_members_all_pay(api: Stack):
    guild = new_snowflake()
    members = [api.register() for _ in range(20)]
    barrier = threading.Barrier(len(members))

    def one(member: int) -> int:
        barrier.wait()
        return api.claim(guild, member).status_code

    with ThreadPoolExecutor(max_workers=len(members)) as pool:
        assert list(pool.map(one, members)) == [201] * len(members)
    assert api.sql("SELECT balance FROM accounts WHERE guild_id = %s AND system_code = 'mint'", guild) == [
        (-100 * len(members),)
    ]


def test_a_request_stuck_holding_the_member_lock_makes_others_answer_503_not_hang(api: Stack):
    guild, member = new_snowflake(), api.register()
    user_id = api.sql("SELECT id FROM users WHERE discord_id = %s", member)[0][0]
    holder = psycopg2.connect(api.database_url)
    try:
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", (member_lock_key(guild, user_id),))
        started = time.monotonic()
        response = api.claim(guild, member)
        waited = time.monotonic() - started
    finally:
        holder.close()
    assert response.status_code == 503 and response.json()["code"] == "claim_in_progress"
    assert LEDGER_TIMEOUT_S + 1.5 < waited < LEDGER_TIMEOUT_S + 5
    assert api.claims(guild) == []
    assert api.claim(guild, member).status_code == 201
