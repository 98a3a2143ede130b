"""Only the bot may call bet_api, so "this member is an admin" is believed from the bot alone."""

import pytest

from bet_api.tests.conftest import ADMIN, Stack, new_snowflake
from buteco_dev.credentials import TEST_TOKENS, auth_headers

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("caller", ["coin_api", "bet_api", "joke"])
def test_an_admin_asserted_by_any_other_caller_is_refused_and_changes_nothing(api: Stack, guild: int, caller: str):
    admin, member = api.register(), api.register(100, guild)
    event = api.create_event(guild, admin)
    assert api.bet(guild, event, member, 30).status_code == 201
    actor, events = {"actor_id": str(admin), **ADMIN}, f"/guilds/{guild}/events"
    attempts = [
        (events, {**actor, "title": "Rigged", "outcomes": ["a", "b"]}),
        (f"{events}/{event['id']}/lock", actor),
        (f"{events}/{event['id']}/settle", {**actor, "position": 1}),
        (f"{events}/{event['id']}/cancel", actor),
        (f"{events}/{event['id']}/bets", {"user_id": str(member), "amount": 10, "position": 2}),
        ("/bets/reconcile", None),
    ]
    for path, body in attempts:
        refused = api.bets.post(
            path, json=body, headers=auth_headers(TEST_TOKENS[caller], idempotency_key=f"c-{new_snowflake()}")
        )
        assert refused.status_code == 401 and refused.json()["code"] == "unauthorized", (path, refused.text)
    unchanged = api.event(guild, event["id"])
    assert (unchanged["status"], unchanged["total_pool"], unchanged["winning_outcome_id"]) == ("open", 30, None)
    assert (api.balance(guild, member), api.escrow(guild, event["id"])) == (70, 30)
    assert api.sql("SELECT count(*) FROM bet_events WHERE guild_id = %s", guild) == [(1,)]
    settled = api.settle(guild, event["id"], admin, 1)
    assert settled.status_code == 200 and settled.json()["paid_out"] == 30, settled.text
