"""Each caller moves only the coins its row of the permission table names; anyone else is refused and moves nothing."""

import httpx
import pytest

from balance_api.tests.conftest import mint, new_snowflake, register
from buteco_dev.credentials import TEST_TOKENS, auth_headers
from buteco_dev.postgres import query


def member(discord_id: int, amount: int) -> dict:
    return {"user_id": str(discord_id), "amount": amount}


def system(code: str, amount: int) -> dict:
    return {"system": code, "amount": amount}


@pytest.fixture
def guild(module_database_url, api):
    """A guild where alice holds 1000 coins, bob 0, and the sink 10 (alice paid for an /ask)."""
    guild_id, alice, bob = new_snowflake(), new_snowflake(), new_snowflake()
    register(module_database_url, alice, bob)
    assert mint(api, guild_id, alice, 1010).status_code == 201
    paid = post(api, "bot", guild_id, "ai_usage", [member(alice, -10), system("sink", 10)])
    assert paid.status_code == 201, paid.text
    return guild_id, alice, bob


def post(
    api: httpx.Client, caller: str, guild_id: int, kind: str, postings: list[dict], key: str | None = None
) -> httpx.Response:
    headers = auth_headers(TEST_TOKENS[caller], idempotency_key=key or f"callers-{new_snowflake()}")
    return api.post(
        "/transactions", headers=headers, json={"guild_id": str(guild_id), "kind": kind, "postings": postings}
    )


def transfer(api: httpx.Client, caller: str, guild_id: int, sender: int, receiver: int, key: str) -> httpx.Response:
    return api.post(
        f"/guilds/{guild_id}/transfers",
        headers=auth_headers(TEST_TOKENS[caller], idempotency_key=key),
        json={"from_user_id": str(sender), "to_user_id": str(receiver), "amount": 5},
    )


def books(database_url: str, guild_id: int) -> list[tuple]:
    """Every account's balance and the number of transactions of the guild, read from the database."""
    return query(
        database_url,
        "SELECT coalesce(system_code, user_id::text), balance, (SELECT count(*) FROM"
        " ledger_transactions WHERE guild_id = %s) FROM accounts WHERE guild_id = %s ORDER BY id",
        guild_id,
        guild_id,
    )


def assert_refused_and_nothing_moved(api, database_url, guild_id, before, response, status, code, key) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert books(database_url, guild_id) == before
    assert api.get(f"/transactions/by-key/{key}").status_code == 404


REFUSED = [  # (caller, kind, postings from alice and bob, what the 403 says)
    ("coin_api", "ai_usage", lambda a, b: [member(a, -5), system("sink", 5)], "coin_api may not post kind ai_usage"),
    ("coin_api", "bet_stake", lambda a, b: [member(a, -5), system("escrow:bet:1", 5)], "may not post kind bet_stake"),
    ("coin_api", "transfer", lambda a, b: [member(a, -5), member(b, 5)], "coin_api may not post kind transfer"),
    ("coin_api", "daily", lambda a, b: [member(a, -5), system("mint", 5)], "may not take coins from a member"),
    ("coin_api", "daily", lambda a, b: [system("sink", -5), member(a, 5)], "take coins from sink in kind daily"),
    ("bet_api", "daily", lambda a, b: [system("mint", -5), member(a, 5)], "bet_api may not post kind daily"),
    ("bet_api", "bet_stake", lambda a, b: [system("mint", -5), system("escrow:bet:1", 5)], "take coins from mint"),
    ("bet_api", "bet_stake", lambda a, b: [member(a, -5), system("escrow:bets:1", 5)], "give coins to escrow:bets:1"),
    ("bet_api", "bet_refund", lambda a, b: [member(a, -5), member(b, 5)], "take coins from a member in kind bet_r"),
    ("bet_api", "bet_settle", lambda a, b: [system("sink", -5), member(b, 5)], "take coins from sink in kind bet_s"),
    ("bet_api", "ai_refund", lambda a, b: [system("sink", -5), member(b, 5)], "bet_api may not post kind ai_refund"),
    ("bot", "daily", lambda a, b: [system("mint", -5), member(a, 5)], "bot may not post kind daily"),
    ("bot", "ai_refund", lambda a, b: [system("mint", -5), member(b, 5)], "take coins from mint in kind ai_refund"),
    ("bot", "ai_usage", lambda a, b: [member(a, -5), member(b, 5)], "give coins to a member in kind ai_usage"),
    ("bot", "bet_settle", lambda a, b: [system("sink", -5), member(b, 5)], "bot may not post kind bet_settle"),
    ("bot", "reward", lambda a, b: [system("mint", -5), member(b, 5)], "bot may not post kind reward"),
]


@pytest.mark.parametrize(("caller", "kind", "postings", "detail"), REFUSED)
def test_a_kind_or_an_account_outside_the_callers_row_is_a_403_and_moves_nothing(
    api, module_database_url, guild, caller, kind, postings, detail
):
    guild_id, alice, bob = guild
    before, key = books(module_database_url, guild_id), f"refused-{new_snowflake()}"
    refused = post(api, caller, guild_id, kind, postings(alice, bob), key=key)
    assert_refused_and_nothing_moved(api, module_database_url, guild_id, before, refused, 403, "forbidden_caller", key)
    assert detail in refused.json()["detail"]


@pytest.mark.parametrize("caller", ["coin_api", "bet_api"])
def test_only_the_bot_moves_coins_between_members(api, module_database_url, guild, caller):
    guild_id, alice, bob = guild
    before, key = books(module_database_url, guild_id), f"transfer-{new_snowflake()}"
    refused = transfer(api, caller, guild_id, alice, bob, key)
    assert_refused_and_nothing_moved(api, module_database_url, guild_id, before, refused, 403, "forbidden_caller", key)
    assert refused.json()["detail"] == f"{caller} may not create_transfer"
    assert transfer(api, "bot", guild_id, alice, bob, key).status_code == 201


@pytest.mark.parametrize("token", [TEST_TOKENS["joke"], "an-unknown-credential", TEST_TOKENS["bot"].upper()])
def test_a_plugin_credential_is_unknown_to_every_route_and_moves_nothing(api, module_database_url, guild, token):
    guild_id, alice, bob = guild
    before = books(module_database_url, guild_id)
    money = [
        ("POST", f"/guilds/{guild_id}/transfers", {"from_user_id": str(alice), "to_user_id": str(bob), "amount": 5}),
        *(
            ("POST", "/transactions", {"guild_id": str(guild_id), "kind": kind, "postings": postings})
            for kind, postings in [
                ("daily", [system("mint", -(10**12)), member(bob, 10**12)]),
                ("ai_usage", [member(alice, -5), system("sink", 5)]),
                ("ai_refund", [system("sink", -5), member(bob, 5)]),
                ("bet_stake", [member(alice, -5), system("escrow:bet:1", 5)]),
            ]
        ),
    ]
    for method, path, body in money:
        key = f"plugin-{new_snowflake()}"
        refused = api.request(
            method, path, json=body, headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key}
        )
        assert_refused_and_nothing_moved(api, module_database_url, guild_id, before, refused, 401, "unauthorized", key)
    reads = [
        f"/guilds/{guild_id}/members/{alice}/balance",
        f"/guilds/{guild_id}/system/sink/balance",
        f"/guilds/{guild_id}/members/{alice}/statement",
        f"/guilds/{guild_id}/leaderboard",
        "/transactions/by-key/anything",
        f"/guilds/{guild_id}/audit",
    ]
    for path in reads:
        assert api.get(path, headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_each_caller_moves_the_coins_of_its_own_row(api, module_database_url, guild):
    guild_id, alice, bob = guild
    escrow = f"escrow:bet:{new_snowflake()}"
    allowed = [
        ("coin_api", "daily", [system("mint", -100), member(bob, 100)]),
        ("bet_api", "bet_stake", [member(alice, -40), system(escrow, 40)]),
        ("bet_api", "bet_stake", [member(bob, -60), system(escrow, 60)]),
        ("bet_api", "bet_settle", [system(escrow, -100), member(alice, 95), system("sink", 5)]),
        ("bot", "ai_refund", [system("sink", -10), member(alice, 10)]),
    ]
    for caller, kind, postings in allowed:
        answer = post(api, caller, guild_id, kind, postings)
        assert answer.status_code == 201, (caller, kind, answer.text)
    balances = {name: balance for name, balance, _ in books(module_database_url, guild_id)}
    assert (balances["mint"], balances["sink"], balances[escrow]) == (-1110, 5, 0)
    assert [api.get(f"/guilds/{guild_id}/members/{m}/balance").json()["balance"] for m in (alice, bob)] == [1065, 40]
    assert api.get(f"/guilds/{guild_id}/audit").json()["balanced"] is True


@pytest.mark.parametrize("caller", ["bot", "coin_api", "bet_api"])
def test_every_first_party_caller_reads_the_books(api, guild, caller):
    guild_id, alice, _ = guild
    reads = [
        f"/guilds/{guild_id}/members/{alice}/balance",
        f"/guilds/{guild_id}/system/sink/balance",
        f"/guilds/{guild_id}/members/{alice}/statement",
        f"/guilds/{guild_id}/leaderboard",
        f"/guilds/{guild_id}/audit",
    ]
    for path in reads:
        answer = api.get(path, headers=auth_headers(TEST_TOKENS[caller]))
        assert answer.status_code == 200, (path, answer.text)
    assert api.get("/transactions/by-key/nothing-here", headers=auth_headers(TEST_TOKENS[caller])).status_code == 404
