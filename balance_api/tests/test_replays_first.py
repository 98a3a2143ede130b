"""A key already applied gets its first answer before anything else is looked at, forget-me included."""

import httpx
import pytest

from balance_api import ledger
from balance_api.tests.conftest import forget, hold, mint, new_snowflake, register
from buteco_dev.credentials import TEST_TOKENS, auth_headers
from service_kit.identity import UserNotFound


@pytest.fixture
def pair(api, module_database_url):
    guild, alice, bob = new_snowflake(), new_snowflake(), new_snowflake()
    register(module_database_url, alice, bob)
    assert mint(api, guild, alice, 100).status_code == 201
    return guild, alice, bob


def transfer(api, guild, sender, receiver, key, amount=10):
    return api.post(
        f"/guilds/{guild}/transfers",
        headers={"Idempotency-Key": key},
        json={"from_user_id": str(sender), "to_user_id": str(receiver), "amount": amount},
    )


def same_move(first: dict, again: dict) -> None:
    """The same transaction, amounts and balances; a member forgotten since shows as null, as in the ledger."""
    assert (again["id"], again["kind"], again["idempotency_key"]) == (
        first["id"],
        first["kind"],
        first["idempotency_key"],
    )
    legs = [(p["account_id"], p["amount"], p["balance_after"]) for p in first["postings"]]
    assert [(p["account_id"], p["amount"], p["balance_after"]) for p in again["postings"]] == legs


@pytest.mark.parametrize("forgotten", ["receiver", "sender", "both"])
def test_a_transfer_replayed_after_forget_me_answers_the_first_result(api, module_database_url, pair, forgotten):
    guild, alice, bob = pair
    key = f"tr-{new_snowflake()}"
    first = transfer(api, guild, alice, bob, key)
    assert first.status_code == 201, first.text
    for member, role in ((alice, "sender"), (bob, "receiver")):
        if forgotten in (role, "both"):
            forget(module_database_url, member)
    again = transfer(api, guild, alice, bob, key)
    assert again.status_code == 201, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    same_move(first.json(), again.json())
    assert api.get(f"/transactions/by-key/{key}").json() == again.json()
    other = transfer(api, guild, alice, bob, key, amount=11)
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"


def test_a_posting_replayed_after_forget_me_answers_the_first_result(api, module_database_url, pair):
    guild, alice, _ = pair
    key = f"daily-{new_snowflake()}"
    body = {
        "guild_id": str(guild),
        "kind": "daily",
        "postings": [{"system": "mint", "amount": -7}, {"user_id": str(alice), "amount": 7}],
    }
    headers = auth_headers(TEST_TOKENS["coin_api"], idempotency_key=key)
    first = api.post("/transactions", headers=headers, json=body)
    assert first.status_code == 201, first.text
    forget(module_database_url, alice)
    again = api.post("/transactions", headers=headers, json=body)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true", again.text
    same_move(first.json(), again.json())
    fresh = api.post(
        "/transactions", headers=auth_headers(TEST_TOKENS["coin_api"], idempotency_key=f"new-{key}"), json=body
    )
    assert fresh.status_code == 404 and fresh.json()["code"] == "user_not_found", "a new move still needs the member"


def test_a_hold_replayed_after_forget_me_answers_the_first_hold(api, module_database_url, pair):
    guild, alice, _ = pair
    key = f"ask-{new_snowflake()}"
    first = hold(api, guild, alice, 15, key=key)
    assert first.status_code == 201, first.text
    forget(module_database_url, alice)
    again = hold(api, guild, alice, 15, key=key)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true", again.text
    assert again.json() == {**first.json(), "user_id": None}


def test_a_transfer_replayed_after_its_limit_was_lowered_answers_the_first_result(
    api, module_start_service, module_database_url, pair
):
    guild, alice, bob = pair
    assert mint(api, guild, alice, 4000).status_code == 201
    key = f"big-{new_snowflake()}"
    first = transfer(api, guild, alice, bob, key, amount=4000)
    assert first.status_code == 201, first.text
    stricter = module_start_service("balance_api.main", env={"TRANSFER_MAX_AMOUNT": "100"})
    with httpx.Client(base_url=stricter.url, headers=auth_headers(), timeout=10, trust_env=False) as lowered:
        again = transfer(lowered, guild, alice, bob, key, amount=4000)
        assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true", again.text
        assert again.json() == first.json()
        fresh = transfer(lowered, guild, alice, bob, f"new-{key}", amount=4000)
        assert fresh.status_code == 422 and fresh.json()["code"] == "amount_over_limit"
    stricter.stop()


def test_a_self_transfer_or_an_over_limit_transfer_never_consumed_a_key(api, pair):
    """Rules still refuse what was never applied; only an applied key is answered first."""
    guild, alice, bob = pair
    key = f"rules-{new_snowflake()}"
    assert transfer(api, guild, alice, alice, key).json()["code"] == "self_transfer"
    assert transfer(api, guild, alice, bob, key, amount=5001).json()["code"] == "amount_over_limit"
    assert transfer(api, guild, alice, bob, key).status_code == 201


@pytest.mark.parametrize("key", ["hold:1:capture", "hold:99:release", "hold:anything"])
def test_the_ledgers_own_hold_keys_are_refused_to_every_caller(api, pair, key):
    guild, alice, bob = pair
    taken = transfer(api, guild, alice, bob, key)
    assert taken.status_code == 409 and taken.json()["code"] == "idempotency_key_reused", taken.text
    assert "reserved" in taken.json()["detail"]
    assert hold(api, guild, alice, 5, key=key).json()["code"] == "idempotency_key_reused"
    assert api.get(f"/guilds/{guild}/members/{alice}/balance").json()["balance"] == 100


@pytest.mark.parametrize("key", ["a%00b", "%00", "a%0Ab", "a%20b", "a%7Fb", "x" * 201, "caf%C3%A9"])
def test_a_key_with_nul_or_any_other_odd_character_is_a_422(api, key):
    for path in (f"/transactions/by-key/{key}", f"/holds/by-key/{key}"):
        answer = api.get(path)
        assert answer.status_code == 422, (path, answer.text)
        assert answer.json()["code"] == "invalid_request" and "idempotency_key" in answer.json()["detail"]


def test_a_refusal_gives_way_to_a_twin_that_answered_the_key_meanwhile():
    """A rule broken now refuses only a key never applied: a twin's first answer wins, replayed."""
    refusal = UserNotFound.by_discord_id(1)
    assert ledger.refuse_or_replay(refusal, lambda: "the twin's transaction") == "the twin's transaction"
    with pytest.raises(UserNotFound):
        ledger.refuse_or_replay(refusal, lambda: None)
