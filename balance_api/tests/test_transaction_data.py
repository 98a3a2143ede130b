"""A move carries named ids (a claim's number, a bet's) that readers render in their own language: stored, answered,
part of the key's fingerprint, and never more than a small object of integers."""

import httpx
import psycopg2
import pytest

from balance_api.tests.conftest import register
from buteco_dev.credentials import TEST_TOKENS, auth_headers
from buteco_dev.postgres import query
from buteco_dev.seed import new_snowflake
from service_kit.idempotency import request_fingerprint

DAILY = {"claim_number": 3, "streak": 2}


def daily(api: httpx.Client, guild: int, member: int, key: str, **extra) -> httpx.Response:
    """A daily credit as coin_api posts it."""
    body = {
        "guild_id": str(guild),
        "kind": "daily",
        "reason": "daily reward #3 (streak 2)",
        "postings": [{"system": "mint", "amount": -110}, {"user_id": str(member), "amount": 110}],
        **extra,
    }
    return api.post("/transactions", json=body, headers=auth_headers(TEST_TOKENS["coin_api"], idempotency_key=key))


@pytest.fixture
def member(module_database_url) -> tuple[int, int]:
    guild, discord_id = new_snowflake(), new_snowflake()
    register(module_database_url, discord_id)
    return guild, discord_id


def test_data_is_stored_answered_replayed_and_shown_on_the_statement(api, member):
    guild, discord_id = member
    key = f"data-{guild}"
    first = daily(api, guild, discord_id, key, data=DAILY)
    assert first.status_code == 201, first.text
    assert first.json()["data"] == DAILY
    again = daily(api, guild, discord_id, key, data=dict(reversed(DAILY.items())))
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert api.get(f"/transactions/by-key/{key}").json()["data"] == DAILY
    line = api.get(f"/guilds/{guild}/members/{discord_id}/statement").json()["items"][0]
    assert (line["kind"], line["data"]) == ("daily", DAILY)


@pytest.mark.parametrize("other", [{"claim_number": 4, "streak": 2}, None], ids=["other data", "no data"])
def test_a_key_reused_with_other_data_is_refused(api, member, other):
    guild, discord_id = member
    key = f"data-reused-{guild}"
    assert daily(api, guild, discord_id, key, data=DAILY).status_code == 201
    reused = daily(api, guild, discord_id, key, **({} if other is None else {"data": other}))
    assert (reused.status_code, reused.json()["code"]) == (409, "idempotency_key_reused")


def test_a_move_without_data_keeps_the_fingerprint_it_always_had(api, member, module_database_url):
    """Keys posted before data existed replay as before: a move without data hashes exactly as it used to."""
    guild, discord_id = member
    key = f"no-data-{guild}"
    answer = daily(api, guild, discord_id, key)
    assert answer.status_code == 201 and answer.json()["data"] is None
    legacy = request_fingerprint(
        {
            "op": "post",
            "guild": guild,
            "kind": "daily",
            "reason": "daily reward #3 (streak 2)",
            "postings": sorted([(0, "mint", -110), (discord_id, "", 110)]),
        }
    )
    stored = query(
        module_database_url, "SELECT request_hash, data FROM ledger_transactions WHERE idempotency_key = %s", key
    )
    assert stored == [(legacy, None)]


@pytest.mark.parametrize(
    "data",
    [
        {"title": "Brazil vs Argentina"},  # a member's text has no place here
        {"streak": "2"},
        {"streak": 2.5},
        {"won": True},
        {"Streak": 2},
        {"streak count": 2},
        {},
        [1, 2],
        "streak 2",
        {f"id_{i}": i for i in range(9)},
        {"event_id": 2**63},
    ],
    ids=lambda d: repr(d)[:30],
)
def test_data_is_a_small_object_of_named_integers(api, member, data):
    guild, discord_id = member
    key = f"bad-data-{new_snowflake()}"
    refused = daily(api, guild, discord_id, key, data=data)
    assert refused.status_code == 422, refused.text
    assert api.get(f"/transactions/by-key/{key}").status_code == 404


def test_the_database_holds_data_to_a_small_object_too(module_database_url):
    register(module_database_url, member_id := new_snowflake())
    for bad in ("[1, 2]", '"text"', '{"pad": "' + "x" * 1100 + '"}'):
        with pytest.raises(psycopg2.errors.CheckViolation):
            query(
                module_database_url,
                "INSERT INTO ledger_transactions (guild_id, idempotency_key, request_hash, kind, data)"
                " VALUES (%s, %s, repeat('0', 64), 'daily', %s::jsonb)",
                new_snowflake(),
                f"check-{member_id}-{len(bad)}",
                bad,
            )


def test_a_call_without_data_still_resolves(module_database_url, member):
    """bench/transfer_fn.pgbench and the hold functions call with the eight arguments they always had."""
    guild, discord_id = member
    answer = query(
        module_database_url,
        "SELECT ledger_post(%s, 'daily', NULL, %s, repeat('0', 64), ARRAY[NULL, %s]::bigint[],"
        " ARRAY['mint', NULL]::varchar[], ARRAY[-5, 5]::bigint[])",
        guild,
        f"eight-args-{guild}",
        discord_id,
    )[0][0]
    assert answer["replayed"] is False and answer["transaction"]["data"] is None
