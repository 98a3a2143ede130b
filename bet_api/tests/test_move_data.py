"""Each stake, payout and refund tells the ledger which bet it belongs to by ids alone, so a member's statement can
say "stake on bet #7" in their own language; no title or label (member text) goes with it."""

import pytest

from bet_api.tests.conftest import Stack

pytestmark = pytest.mark.slow


def data_of(api: Stack, guild: int, kind: str) -> list[dict | None]:
    rows = api.sql("SELECT data FROM ledger_transactions WHERE guild_id = %s AND kind = %s ORDER BY id", guild, kind)
    return [data for (data,) in rows]


def test_stakes_and_the_payout_name_the_bet_and_its_outcome(api: Stack, guild: int):
    admin = api.register()
    alice, bob = api.register(500, guild), api.register(500, guild)
    event = api.create_event(guild, admin, ("Brazil", "Argentina"))
    brazil, argentina = (outcome["id"] for outcome in event["outcomes"])
    assert api.bet(guild, event, alice, 100, outcome_id=brazil).status_code == 201
    assert api.bet(guild, event, bob, 50, outcome_id=argentina).status_code == 201
    assert api.settle(guild, event["id"], admin, position=1).status_code == 200

    assert data_of(api, guild, "bet_stake") == [
        {"event_id": event["id"], "outcome_id": brazil},
        {"event_id": event["id"], "outcome_id": argentina},
    ]
    assert data_of(api, guild, "bet_settle") == [{"event_id": event["id"], "outcome_id": brazil}]
    statement = api.ledger.get(f"/guilds/{guild}/members/{alice}/statement").json()["items"]
    assert [(line["kind"], line["data"]["event_id"]) for line in statement[:2]] == [
        ("bet_settle", event["id"]),
        ("bet_stake", event["id"]),
    ]


def test_a_cancelled_bet_refunds_under_its_id(api: Stack, guild: int):
    admin = api.register()
    alice = api.register(500, guild)
    event = api.create_event(guild, admin)
    assert api.bet(guild, event, alice, 100, position=2).status_code == 201
    assert api.cancel(guild, event["id"], admin).status_code == 200
    assert data_of(api, guild, "bet_refund") == [{"event_id": event["id"]}]
