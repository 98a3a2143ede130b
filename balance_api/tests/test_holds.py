"""Two-phase holds over real HTTP on a real PostgreSQL: reserve, then capture or release, each exactly once."""

import pytest

from balance_api.tests.conftest import audited, balances, forget, hold, mint, new_snowflake, register
from buteco_dev.credentials import TEST_TOKENS, auth_headers
from buteco_dev.postgres import query


@pytest.fixture
def funded(api, module_database_url):
    """A guild where alice holds 100 coins."""
    guild, alice = new_snowflake(), new_snowflake()
    register(module_database_url, alice)
    assert mint(api, guild, alice, 100).status_code == 201
    return guild, alice


def act(api, guild, hold_id, action, caller="bot"):
    return api.post(f"/guilds/{guild}/holds/{hold_id}/{action}", headers=auth_headers(TEST_TOKENS[caller]))


def test_a_hold_takes_the_coins_at_once_and_a_capture_pays_the_sink_once(api, funded):
    guild, alice = funded
    created = hold(api, guild, alice, 30, reason="an /ask")
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["status"], body["user_id"], body["system"], body["amount"], body["kind"]) == (
        "held",
        str(alice),
        "sink",
        30,
        "ai_usage",
    )
    assert body["final_transaction_id"] is None and body["resolved_at"] is None
    assert balances(api, guild, alice) == (70, 30, 0)
    assert audited(api, guild)["holds_active_sum"] == 30

    captured = act(api, guild, body["id"], "capture")
    assert captured.status_code == 200, captured.text
    assert captured.json()["status"] == "captured" and "Idempotent-Replayed" not in captured.headers
    again = act(api, guild, body["id"], "capture")
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == captured.json()
    assert balances(api, guild, alice) == (70, 0, 30)
    audit = audited(api, guild)
    assert (audit["holds_active_sum"], audit["holds_account_balance"]) == (0, 0)

    statement = api.get(f"/guilds/{guild}/members/{alice}/statement").json()["items"]
    assert [(line["kind"], line["amount"], line["counterparty"]["system"]) for line in statement[:1]] == [
        ("hold", -30, "holds")
    ]
    final = api.get(f"/transactions/by-key/hold:{body['id']}:capture").json()
    assert final["id"] == captured.json()["final_transaction_id"] and final["kind"] == "ai_usage"
    assert {(p["system"], p["amount"]) for p in final["postings"]} == {("holds", -30), ("sink", 30)}


def test_a_release_gives_the_coins_back_once_and_then_nothing_can_capture_them(api, funded):
    guild, alice = funded
    hold_id = hold(api, guild, alice, 40).json()["id"]
    released = act(api, guild, hold_id, "release")
    assert released.status_code == 200 and released.json()["status"] == "released", released.text
    again = act(api, guild, hold_id, "release")
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == released.json()
    late = act(api, guild, hold_id, "capture")
    assert late.status_code == 409 and late.json()["code"] == "hold_released"
    assert balances(api, guild, alice) == (100, 0, 0)
    final = api.get(f"/transactions/by-key/hold:{hold_id}:release").json()
    assert final["kind"] == "hold_release"
    assert {(p["user_id"], p["system"], p["amount"]) for p in final["postings"]} == {
        (None, "holds", -40),
        (str(alice), None, 40),
    }

    captured_id = hold(api, guild, alice, 10).json()["id"]
    assert act(api, guild, captured_id, "capture").status_code == 200
    refused = act(api, guild, captured_id, "release")
    assert refused.status_code == 409 and refused.json()["code"] == "hold_captured"
    assert balances(api, guild, alice) == (90, 0, 10)
    audited(api, guild)


def test_a_replayed_hold_answers_the_first_and_a_reused_key_is_refused(api, funded):
    guild, alice = funded
    key = f"ask-{new_snowflake()}"
    first = hold(api, guild, alice, 25, key=key)
    again = hold(api, guild, alice, 25, key=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert api.get(f"/holds/by-key/{key}").json() == first.json()
    assert api.get(f"/transactions/by-key/{key}").json()["id"] == first.json()["hold_transaction_id"]
    other = hold(api, guild, alice, 26, key=key)
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    assert balances(api, guild, alice) == (75, 25, 0)

    daily_key = f"moved-{new_snowflake()}"
    daily = {"system": "mint", "amount": -1}, {"user_id": str(alice), "amount": 1}
    posted = api.post(
        "/transactions",
        headers=auth_headers(TEST_TOKENS["coin_api"], idempotency_key=daily_key),
        json={"guild_id": str(guild), "kind": "daily", "postings": list(daily)},
    )
    assert posted.status_code == 201, posted.text
    taken = hold(api, guild, alice, 5, key=daily_key)
    assert taken.status_code == 409 and taken.json()["code"] == "idempotency_key_reused"
    assert api.get(f"/holds/by-key/{daily_key}").status_code == 404


def test_a_hold_past_the_balance_records_nothing_and_leaves_its_key_free(api, module_database_url, funded):
    guild, alice = funded
    key = f"too-much-{new_snowflake()}"
    refused = hold(api, guild, alice, 101, key=key)
    assert refused.status_code == 409 and refused.json()["code"] == "insufficient_funds", refused.text
    assert (refused.json()["balance"], refused.json()["needed"]) == (100, 101)
    assert api.get(f"/holds/by-key/{key}").status_code == 404
    assert api.get(f"/transactions/by-key/{key}").status_code == 404
    assert query(module_database_url, "SELECT count(*) FROM holds WHERE guild_id = %s", guild) == [(0,)]
    assert mint(api, guild, alice, 1).status_code == 201
    assert hold(api, guild, alice, 101, key=key).status_code == 201
    assert balances(api, guild, alice) == (0, 101, 0)


def test_unknown_members_and_holds_are_404(api, funded):
    guild, alice = funded
    stranger = hold(api, guild, new_snowflake(), 5)
    assert stranger.status_code == 404 and stranger.json()["code"] == "user_not_found"
    hold_id = hold(api, guild, alice, 5).json()["id"]
    for path in (f"/guilds/{new_snowflake()}/holds/{hold_id}", f"/guilds/{guild}/holds/{hold_id + 10**9}"):
        assert api.get(path).json()["code"] == "hold_not_found"
        for action in ("capture", "release"):
            missing = api.post(f"{path}/{action}")
            assert missing.status_code == 404 and missing.json()["code"] == "hold_not_found"
    assert api.get(f"/holds/by-key/never-{new_snowflake()}").json()["code"] == "hold_not_found"
    assert api.get(f"/guilds/{guild}/holds/{hold_id}").json()["status"] == "held"


@pytest.mark.parametrize(
    ("caller", "changes", "detail"),
    [
        ("coin_api", {}, "coin_api may not create_hold"),
        ("bet_api", {}, "bet_api may not create_hold"),
        ("bot", {"kind": "daily"}, "bot may not hold coins for kind daily"),
        ("bot", {"system": "mint"}, "bot may not hold coins for mint in kind ai_usage"),
        ("bot", {"system": "holds"}, "bot may not hold coins for holds in kind ai_usage"),
        ("bot", {"system": "escrow:bet:1"}, "bot may not hold coins for escrow:bet:1 in kind ai_usage"),
    ],
)
def test_only_the_bot_holds_and_only_for_the_sink(api, funded, caller, changes, detail):
    guild, alice = funded
    key = f"forbidden-{new_snowflake()}"
    body = {"user_id": str(alice), "system": "sink", "amount": 5, "kind": "ai_usage", "expires_in_s": 60}
    refused = api.post(
        f"/guilds/{guild}/holds",
        headers=auth_headers(TEST_TOKENS[caller], idempotency_key=key),
        json={**body, **changes},
    )
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden_caller", refused.text
    assert refused.json()["detail"] == detail
    assert api.get(f"/holds/by-key/{key}").status_code == 404
    assert balances(api, guild, alice) == (100, 0, 0)


def test_other_callers_read_holds_but_cannot_resolve_them(api, funded):
    guild, alice = funded
    hold_id = hold(api, guild, alice, 5).json()["id"]
    for caller in ("coin_api", "bet_api"):
        for action in ("capture", "release"):
            refused = act(api, guild, hold_id, action, caller=caller)
            assert refused.status_code == 403 and refused.json()["code"] == "forbidden_caller"
        seen = api.get(f"/guilds/{guild}/holds/{hold_id}", headers=auth_headers(TEST_TOKENS[caller]))
        assert seen.status_code == 200 and seen.json()["status"] == "held"
    assert balances(api, guild, alice) == (95, 5, 0)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"expires_in_s": 0}, "expires_in_s"),
        ({"expires_in_s": 3601}, "expires_in_s"),
        ({"expires_in_s": 1.0}, "expires_in_s"),
        ({"amount": 0}, "amount"),
        ({"reason": "tea\x00"}, "reason"),
        ({"reason": "rtl\u202e"}, "reason"),
        ({"system": "Sink"}, "system"),
        ({"kind": "AI"}, "kind"),
    ],
)
def test_a_malformed_hold_is_422_and_moves_nothing(api, funded, changes, field):
    guild, alice = funded
    refused = hold(api, guild, alice, **{"amount": 5, **changes})
    assert refused.status_code == 422 and refused.json()["code"] == "invalid_request", refused.text
    assert field in refused.json()["detail"]
    assert balances(api, guild, alice) == (100, 0, 0)


def test_a_member_forgotten_while_holding_gets_the_coins_back_in_the_anonymous_account(
    api, module_database_url, funded
):
    guild, alice = funded
    released_id = hold(api, guild, alice, 30).json()["id"]
    captured_id = hold(api, guild, alice, 20).json()["id"]
    forget(module_database_url, alice)
    assert act(api, guild, captured_id, "capture").json()["user_id"] is None
    released = act(api, guild, released_id, "release")
    assert released.status_code == 200 and released.json()["status"] == "released", released.text
    anonymous = query(
        module_database_url,
        "SELECT a.balance FROM accounts a JOIN users u ON u.id = a.user_id"
        " WHERE a.guild_id = %s AND u.forgotten_at IS NOT NULL",
        guild,
    )
    assert anonymous == [(80,)]
    assert api.get(f"/guilds/{guild}/system/sink/balance").json()["balance"] == 20
    audited(api, guild)
