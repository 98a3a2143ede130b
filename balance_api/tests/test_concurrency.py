"""Transfers racing each other: no overdraft, no deadlock, every key applied once, books at zero."""

import random
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg2

from balance_api.tests.conftest import mint, new_snowflake, register
from buteco_dev.credentials import auth_headers

MEMBERS = 4
TRANSFERS = 200
START = 300


def test_200_concurrent_transfers_with_duplicate_keys(balance_service, module_database_url):
    guild = new_snowflake()
    members = [new_snowflake() for _ in range(MEMBERS)]
    register(module_database_url, *members)
    with httpx.Client(base_url=balance_service.url, headers=auth_headers(), timeout=30) as api:
        for member in members:
            assert mint(api, guild, member, START).status_code == 201

    rng = random.Random(7)
    unique = []
    for index in range(150):
        sender, receiver = rng.sample(members, 2)
        unique.append((f"race-{guild}-{index}", sender, receiver, rng.randint(1, 120)))
    requests = unique + [rng.choice(unique) for _ in range(TRANSFERS - len(unique))]
    rng.shuffle(requests)

    def send(request):
        key, sender, receiver, amount = request
        with httpx.Client(base_url=balance_service.url, headers=auth_headers(), timeout=30) as client:
            response = client.post(
                f"/guilds/{guild}/transfers",
                headers={"Idempotency-Key": key},
                json={"from_user_id": str(sender), "to_user_id": str(receiver), "amount": amount},
            )
        return key, response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(send, requests))

    statuses = {status for _, status, _ in results}
    assert statuses <= {201, 409}, results
    conflicts = {body["code"] for _, status, body in results if status == 409}
    assert conflicts <= {"insufficient_funds"}
    succeeded = {key for key, status, _ in results if status == 201}
    transaction_ids = {}
    for key, status, body in results:
        if status == 201:
            assert transaction_ids.setdefault(key, body["id"]) == body["id"], "a replay answered another transaction"

    with psycopg2.connect(module_database_url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT idempotency_key, count(*) FROM ledger_transactions"
            " WHERE guild_id = %s AND kind = 'transfer' GROUP BY idempotency_key",
            (guild,),
        )
        applied = dict(cursor.fetchall())
        cursor.execute(
            "SELECT min(balance), sum(balance) FROM accounts WHERE guild_id = %s AND user_id IS NOT NULL", (guild,)
        )
        lowest, members_total = cursor.fetchone()
        cursor.execute(
            "SELECT sum(p.amount) FROM postings p JOIN accounts a ON a.id = p.account_id WHERE a.guild_id = %s",
            (guild,),
        )
        ledger_total = cursor.fetchone()[0]
    connection.close()

    assert set(applied) == succeeded and set(applied.values()) == {1}
    assert lowest >= 0
    assert members_total == MEMBERS * START
    assert ledger_total == 0
    assert len(succeeded) > 50
