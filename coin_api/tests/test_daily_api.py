"""coin_api through real HTTP, with real client_api and balance_api processes on a real PostgreSQL."""

from datetime import datetime, timedelta

import httpx
import pytest

from buteco_dev.credentials import TEST_TOKENS, auth_headers
from coin_api.tests.conftest import Stack, new_snowflake

pytestmark = pytest.mark.slow


def test_a_first_claim_pays_the_base_amount_and_opens_the_account(api: Stack):
    guild, member = new_snowflake(), api.register()
    assert api.balance(guild, member) is None
    response = api.claim(guild, member)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["claim_number"] == 1 and body["streak"] == 1 and body["amount"] == 100
    assert body["credited"] is True and isinstance(body["transaction_id"], int)
    assert api.balance(guild, member) == 100
    users = api.sql("SELECT id FROM users WHERE discord_id = %s", member)
    key = f"daily:{guild}:{users[0][0]}:1"
    assert api.daily_transactions(guild) == [(key, "daily", 2, 0)]
    assert api.sql("SELECT a.balance FROM accounts a WHERE a.guild_id = %s AND a.system_code = 'mint'", guild) == [
        (-100,)
    ]
    assert api.claims(guild) == [(1, 1, 100, True, body["transaction_id"])]


def test_a_replay_returns_the_same_claim_and_pays_nothing(api: Stack):
    guild, member = new_snowflake(), api.register()
    first = api.claim(guild, member, key=f"replay-{guild}")
    again = api.claim(guild, member, key=f"replay-{guild}")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert api.balance(guild, member) == 100
    assert len(api.daily_transactions(guild)) == 1


def test_a_second_claim_in_the_window_is_refused_with_the_next_claim_time(api: Stack):
    guild, member = new_snowflake(), api.register()
    first = api.claim(guild, member).json()
    response = api.claim(guild, member)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "daily_already_claimed" and body["request_id"]
    claimed_at = datetime.fromisoformat(first["claimed_at"])
    assert datetime.fromisoformat(body["next_claim_at"]) == claimed_at + timedelta(days=1)
    assert api.balance(guild, member) == 100


def test_claims_in_other_guilds_are_separate(api: Stack):
    member = api.register()
    guild_a, guild_b = new_snowflake(), new_snowflake()
    assert api.claim(guild_a, member).status_code == 201
    assert api.claim(guild_b, member).status_code == 201
    assert (api.balance(guild_a, member), api.balance(guild_b, member)) == (100, 100)


def test_a_key_already_used_by_another_member_is_refused(api: Stack):
    guild, alice, bob = new_snowflake(), api.register(), api.register()
    assert api.claim(guild, alice, key=f"shared-{guild}").status_code == 201
    response = api.claim(guild, bob, key=f"shared-{guild}")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert api.balance(guild, bob) is None


def test_status_before_and_after_a_claim(api: Stack):
    guild, member = new_snowflake(), api.register()
    url = f"/guilds/{guild}/members/{member}/daily"
    before = api.coin.get(url)
    assert before.status_code == 200
    assert before.json() == {
        "can_claim": True,
        "next_claim_at": None,
        "streak": 0,
        "next_amount": 100,
        "pending_credit": False,
    }
    claim = api.claim(guild, member).json()
    after = api.coin.get(url).json()
    assert after["can_claim"] is False and after["streak"] == 1 and after["pending_credit"] is False
    assert after["next_amount"] == 110
    assert datetime.fromisoformat(after["next_claim_at"]) == (
        datetime.fromisoformat(claim["claimed_at"]) + timedelta(days=1)
    )


def test_history_lists_claims_as_the_contract_shapes_them(api: Stack):
    guild, member = new_snowflake(), api.register()
    claim = api.claim(guild, member).json()
    history = api.coin.get(f"/guilds/{guild}/members/{member}/daily/history")
    assert history.status_code == 200
    assert history.json() == {"items": [claim], "next_before_number": None}
    empty = api.coin.get(f"/guilds/{new_snowflake()}/members/{member}/daily/history").json()
    assert empty == {"items": [], "next_before_number": None}


@pytest.mark.parametrize("method", ["post", "get", "history"])
def test_an_unregistered_member_is_a_404(api: Stack, method):
    guild, stranger = new_snowflake(), new_snowflake()
    if method == "post":
        response = api.claim(guild, stranger)
    else:
        suffix = "/history" if method == "history" else ""
        response = api.coin.get(f"/guilds/{guild}/members/{stranger}/daily{suffix}")
    assert response.status_code == 404
    assert response.json()["code"] == "user_not_found"
    assert response.json()["user_id"] == str(stranger)


@pytest.mark.parametrize(
    ("path", "headers", "field"),
    [
        ("/guilds/abc/members/1/daily", {"Idempotency-Key": "k1"}, "guild_id"),
        ("/guilds/1/members/0/daily", {"Idempotency-Key": "k1"}, "discord_id"),
        ("/guilds/1/members/-5/daily", {"Idempotency-Key": "k1"}, "discord_id"),
        (f"/guilds/{2**63}/members/1/daily", {"Idempotency-Key": "k1"}, "guild_id"),
        ("/guilds/1/members/1.5/daily", {"Idempotency-Key": "k1"}, "discord_id"),
        ("/guilds/1/members/1/daily", {}, "Idempotency-Key"),
        ("/guilds/1/members/1/daily", {"Idempotency-Key": "has space"}, "Idempotency-Key"),
        ("/guilds/1/members/1/daily", {"Idempotency-Key": "k" * 201}, "Idempotency-Key"),
    ],
)
def test_malformed_claims_are_422_naming_the_field(api: Stack, path, headers, field):
    response = api.coin.post(path, headers=headers)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "invalid_request" and field in body["detail"] and body["errors"]


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=x", "before_number=0", "before_number=-1"])
def test_malformed_history_queries_are_422(api: Stack, query):
    response = api.coin.get(f"/guilds/1/members/1/daily/history?{query}")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"


def test_every_route_but_health_needs_the_token(api: Stack):
    base = str(api.coin.base_url)
    assert httpx.get(f"{base}/health", trust_env=False).status_code == 200
    for method, path in [
        ("POST", "/guilds/1/members/1/daily"),
        ("GET", "/guilds/1/members/1/daily"),
        ("GET", "/guilds/1/members/1/daily/history"),
        ("POST", "/daily/reconcile"),
    ]:
        response = httpx.request(method, f"{base}{path}", headers={"Idempotency-Key": "k"}, trust_env=False)
        assert response.status_code == 401, (method, path)
        for token in ("wrong-token-wrong-token", TEST_TOKENS["coin_api"], TEST_TOKENS["bet_api"], TEST_TOKENS["joke"]):
            wrong = httpx.request(
                method, f"{base}{path}", trust_env=False, headers=auth_headers(token=token, idempotency_key="k")
            )
            assert wrong.status_code == 401 and wrong.json()["code"] == "unauthorized", (method, path)


def test_no_caller_but_the_bot_claims_for_a_member(api: Stack):
    guild, member = new_snowflake(), api.register()
    for caller in ("coin_api", "bet_api", "joke"):
        refused = api.coin.post(
            f"/guilds/{guild}/members/{member}/daily",
            headers=auth_headers(TEST_TOKENS[caller], idempotency_key=f"c-{new_snowflake()}"),
        )
        assert refused.status_code == 401, refused.text
    assert api.claims(guild) == [] and api.balance(guild, member) is None
    assert api.claim(guild, member).status_code == 201 and api.balance(guild, member) == 100
