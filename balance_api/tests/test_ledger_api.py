"""balance_api through real HTTP on a real PostgreSQL: every rule a member or a service relies on."""

import httpx
import pytest

from balance_api.tests.conftest import mint, new_snowflake, register


@pytest.fixture
def guild(module_database_url):
    """A guild with two funded members, alice (1000) and bob (0)."""
    return new_snowflake()


@pytest.fixture
def members(api, module_database_url, guild):
    alice, bob = new_snowflake(), new_snowflake()
    register(module_database_url, alice, bob)
    assert mint(api, guild, alice, 1000).status_code == 201
    return alice, bob


def transfer(api, guild, sender, receiver, amount, key=None, reason=None):
    return api.post(
        f"/guilds/{guild}/transfers",
        headers={"Idempotency-Key": key or f"t-{new_snowflake()}"},
        json={"from_user_id": str(sender), "to_user_id": str(receiver), "amount": amount, "reason": reason},
    )


def balance(api, guild, member) -> int:
    response = api.get(f"/guilds/{guild}/members/{member}/balance")
    assert response.status_code == 200, response.text
    return response.json()["balance"]


def test_transfer_moves_coins_and_answers_the_transaction(api, guild, members):
    alice, bob = members
    response = transfer(api, guild, alice, bob, 300, reason="pizza")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["kind"] == "transfer" and body["reason"] == "pizza"
    assert {(p["user_id"], p["amount"], p["balance_after"]) for p in body["postings"]} == {
        (str(alice), -300, 700),
        (str(bob), 300, 300),
    }
    assert (balance(api, guild, alice), balance(api, guild, bob)) == (700, 300)


def test_replay_returns_the_first_result_and_moves_nothing(api, guild, members):
    alice, bob = members
    first = transfer(api, guild, alice, bob, 100, key="replay-me-" + str(guild))
    again = transfer(api, guild, alice, bob, 100, key="replay-me-" + str(guild))
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert balance(api, guild, alice) == 900


def test_a_key_reused_for_another_request_is_refused(api, guild, members):
    alice, bob = members
    key = f"reused-{guild}"
    assert transfer(api, guild, alice, bob, 10, key=key).status_code == 201
    response = transfer(api, guild, alice, bob, 11, key=key)
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert balance(api, guild, alice) == 990


def test_overdraft_is_refused_and_leaves_the_key_free(api, guild, members):
    alice, bob = members
    key = f"overdraft-{guild}"
    response = transfer(api, guild, bob, alice, 50, key=key)
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_funds"
    assert "balance is 0" in response.json()["detail"]
    assert (balance(api, guild, alice), balance(api, guild, bob)) == (1000, 0)
    assert mint(api, guild, bob, 50).status_code == 201
    assert transfer(api, guild, bob, alice, 50, key=key).status_code == 201
    assert balance(api, guild, bob) == 0


@pytest.mark.parametrize(
    ("amount", "fragment"),
    [
        (0, "greater than or equal to 1"),
        (-5, "greater than or equal to 1"),
        (1.5, "valid integer"),
        ("10", "valid integer"),
        (True, "valid integer"),
        (10**13, "less than or equal to"),
        (None, "valid integer"),
    ],
)
def test_bad_amounts_get_a_clear_422(api, guild, members, amount, fragment):
    alice, bob = members
    response = transfer(api, guild, alice, bob, amount)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"
    assert "amount" in response.json()["detail"] and fragment in response.json()["detail"]
    assert balance(api, guild, alice) == 1000


def test_self_transfer_over_limit_and_unknown_members(api, guild, members):
    alice, bob = members
    assert transfer(api, guild, alice, alice, 5).json()["code"] == "self_transfer"
    over = transfer(api, guild, alice, bob, 5001)
    assert over.status_code == 422 and over.json()["code"] == "amount_over_limit"
    stranger = new_snowflake()
    unknown = transfer(api, guild, alice, stranger, 5)
    assert unknown.status_code == 404 and unknown.json()["code"] == "user_not_found"
    assert str(stranger) in unknown.json()["detail"]
    assert api.get(f"/guilds/{guild}/members/{stranger}/balance").status_code == 404
    assert balance(api, guild, alice) == 1000


@pytest.mark.parametrize("bad_id", ["abc", "-1", "0", str(2**64), "1.5"])
def test_malformed_ids_are_422(api, bad_id):
    response = api.get(f"/guilds/{bad_id}/members/1/balance")
    assert response.status_code == 422 and "guild_id" in response.json()["detail"]


def test_missing_idempotency_key_and_extra_fields_are_refused(api, guild, members):
    alice, bob = members
    body = {"from_user_id": str(alice), "to_user_id": str(bob), "amount": 1}
    missing = api.post(f"/guilds/{guild}/transfers", json=body)
    assert missing.status_code == 422 and "Idempotency-Key" in missing.json()["detail"]
    extra = api.post(f"/guilds/{guild}/transfers", json={**body, "fee": 1}, headers={"Idempotency-Key": "x1"})
    assert extra.status_code == 422 and "fee" in extra.json()["detail"]
    broken = api.post(f"/guilds/{guild}/transfers", content=b"{not json", headers={"Idempotency-Key": "x2"})
    assert broken.status_code == 422


def test_generic_transactions_must_balance(api, guild, members):
    alice, bob = members

    def post(postings, kind="ai_usage"):
        return api.post(
            "/transactions",
            headers={"Idempotency-Key": f"g-{new_snowflake()}"},
            json={"guild_id": str(guild), "kind": kind, "postings": postings},
        )

    unbalanced = post([{"user_id": str(alice), "amount": -10}, {"system": "sink", "amount": 9}])
    assert unbalanced.status_code == 422 and unbalanced.json()["code"] == "unbalanced_transaction"
    twice = post(
        [{"user_id": str(alice), "amount": -20}, {"system": "sink", "amount": 10}, {"system": "sink", "amount": 10}]
    )
    assert twice.json()["code"] == "unbalanced_transaction"
    both = post([{"user_id": str(alice), "system": "sink", "amount": -10}, {"system": "mint", "amount": 10}])
    assert both.status_code == 422
    assert mint(api, guild, bob, 10).status_code == 201
    three_way = post(
        [{"user_id": str(alice), "amount": -20}, {"user_id": str(bob), "amount": -10}, {"system": "sink", "amount": 30}]
    )
    assert three_way.status_code == 201, three_way.text
    sink = api.get(f"/guilds/{guild}/system/sink/balance").json()
    assert sink["balance"] == 30
    overdraw = post([{"system": "sink", "amount": -31}, {"user_id": str(bob), "amount": 31}], kind="ai_refund")
    assert overdraw.status_code == 409 and overdraw.json()["code"] == "insufficient_funds"


def test_transaction_by_key_tells_a_caller_what_happened(api, guild, members):
    alice, bob = members
    key = f"lookup-{guild}"
    assert api.get(f"/transactions/by-key/{key}").status_code == 404
    created = transfer(api, guild, alice, bob, 7, key=key).json()
    assert api.get(f"/transactions/by-key/{key}").json() == created


def test_statement_is_newest_first_with_counterparties_and_pages(api, guild, members):
    alice, bob = members
    for amount in (1, 2, 3, 4, 5):
        assert transfer(api, guild, alice, bob, amount, reason=f"r{amount}").status_code == 201
    first = api.get(f"/guilds/{guild}/members/{alice}/statement", params={"limit": 4}).json()
    assert [line["amount"] for line in first["items"]] == [-5, -4, -3, -2]
    assert first["items"][0]["counterparty"] == {
        "user_id": str(bob),
        "system": None,
        "display_name": f"member-{bob % 1000}",
    }
    assert first["items"][0]["balance_after"] == 1000 - 15
    second = api.get(
        f"/guilds/{guild}/members/{alice}/statement", params={"limit": 4, "before_id": first["next_before_id"]}
    ).json()
    assert [line["amount"] for line in second["items"]] == [-1, 1000]
    assert second["items"][1]["counterparty"] == {"user_id": None, "system": "mint", "display_name": None}
    assert second["next_before_id"] is None


def test_leaderboard_ranks_the_guild_and_the_caller_in_one_answer(api, module_database_url, guild):
    people = [new_snowflake() for _ in range(6)]
    register(module_database_url, *people)
    for position, member in enumerate(people):
        assert mint(api, guild, member, 100 * (position + 1)).status_code == 201
    board = api.get(f"/guilds/{guild}/leaderboard", params={"limit": 3, "user_id": str(people[0])}).json()
    assert [(e["rank"], e["user_id"], e["balance"]) for e in board["items"]] == [
        (1, str(people[5]), 600),
        (2, str(people[4]), 500),
        (3, str(people[3]), 400),
    ]
    assert board["caller"] == {"rank": 6, "balance": 100}
    assert api.get(f"/guilds/{guild}/leaderboard", params={"limit": 26}).status_code == 422


def test_the_guild_books_balance(api, guild, members):
    alice, bob = members
    transfer(api, guild, alice, bob, 250)
    audit = api.get(f"/guilds/{guild}/audit").json()
    assert audit == {
        "guild_id": str(guild),
        "postings_sum": 0,
        "balances_sum": 0,
        "accounts_out_of_step": 0,
        "holds_active_sum": 0,
        "holds_account_balance": 0,
        "holds_out_of_step": 0,
        "balanced": True,
    }


def test_every_route_but_health_needs_the_token(balance_service, guild):
    with httpx.Client(base_url=balance_service.url) as anonymous:
        assert anonymous.get("/health").status_code == 200
        denied = anonymous.get(f"/guilds/{guild}/audit")
        assert denied.status_code == 401 and denied.json()["code"] == "unauthorized"
        wrong = anonymous.get(f"/guilds/{guild}/audit", headers={"Authorization": "Bearer not-the-token-at-all"})
        assert wrong.status_code == 401


def test_health_reports_service_version_and_database(balance_service):
    body = httpx.get(f"{balance_service.url}/health").json()
    assert body == {"status": "ok", "service": "balance_api", "version": "1.0.0", "checks": {"database": "ok"}}
