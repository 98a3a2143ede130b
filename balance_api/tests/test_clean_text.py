"""A reason is shown in other members' statements: hidden controls are refused before any coin moves."""

import pytest

from balance_api.tests.conftest import mint, new_snowflake, register

pytestmark = pytest.mark.slow

UNCLEAN = {
    "right-to-left override": "refund \u202e)gnirts",
    "pop directional isolate": "lunch\u2069",
    "byte order mark": "\ufeffrent",
    "NUL": "beer\x00",
    "bell (C0)": "ding\x07",
    "C1 control": "a\x9bb",
    "newline": "line one\nline two",
}


@pytest.fixture
def pair(api, module_database_url):
    guild, alice, bob = new_snowflake(), new_snowflake(), new_snowflake()
    register(module_database_url, alice, bob)
    assert mint(api, guild, alice, 100).status_code == 201
    return guild, alice, bob


def balance(api, guild, member) -> int:
    return api.get(f"/guilds/{guild}/members/{member}/balance").json()["balance"]


@pytest.mark.parametrize("reason", UNCLEAN.values(), ids=UNCLEAN.keys())
def test_a_transfer_with_an_unclean_reason_is_422_and_moves_nothing(api, pair, reason):
    guild, alice, bob = pair
    key = f"clean-{new_snowflake()}"
    body = {"from_user_id": str(alice), "to_user_id": str(bob), "amount": 10}
    refused = api.post(f"/guilds/{guild}/transfers", headers={"Idempotency-Key": key}, json={**body, "reason": reason})
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "invalid_request" and "reason" in refused.json()["detail"]
    assert (balance(api, guild, alice), balance(api, guild, bob)) == (100, 0)
    fine = api.post(f"/guilds/{guild}/transfers", headers={"Idempotency-Key": key}, json={**body, "reason": "ok"})
    assert fine.status_code == 201, "a refused request does not consume its key"


def test_a_posting_with_an_unclean_reason_is_422(api, pair):
    guild, alice, _ = pair
    refused = api.post(
        "/transactions",
        headers={"Idempotency-Key": f"clean-{new_snowflake()}"},
        json={
            "guild_id": str(guild),
            "kind": "reward",
            "reason": "prize\u202d",
            "postings": [{"system": "mint", "amount": -5}, {"user_id": str(alice), "amount": 5}],
        },
    )
    assert refused.status_code == 422 and "reason" in refused.json()["detail"], refused.text
    assert balance(api, guild, alice) == 100


def test_accents_emoji_and_markdown_are_stored_as_sent(api, pair):
    guild, alice, bob = pair
    reason = "cerveja 🍺 pão de queijo — [claim](https://x.example) @everyone ||spoiler|| עברית"
    moved = api.post(
        f"/guilds/{guild}/transfers",
        headers={"Idempotency-Key": f"clean-{new_snowflake()}"},
        json={"from_user_id": str(alice), "to_user_id": str(bob), "amount": 7, "reason": reason},
    )
    assert moved.status_code == 201, moved.text
    statement = api.get(f"/guilds/{guild}/members/{bob}/statement").json()
    assert [item["reason"] for item in statement["items"]] == [reason], "escaping is the renderer's job"
