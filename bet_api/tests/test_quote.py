"""The quote a member sees before confirming is what settlement pays, and it refuses what placing would refuse."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bet_api.tests.conftest import ADMIN, Stack

pytestmark = pytest.mark.slow
SIDES = 3
existing_bets = st.lists(
    st.tuples(st.integers(min_value=0, max_value=SIDES - 1), st.integers(min_value=1, max_value=500)),
    max_size=6,
)


def quote(api: Stack, guild: int, event: dict, member: int, outcome_id: int, amount: int):
    params = {"user_id": str(member), "outcome_id": str(outcome_id), "amount": str(amount)}
    return api.bets.get(f"/guilds/{guild}/events/{event['id']}/quote", params=params)


def payout_of(api: Stack, guild: int, event_id: int, member: int) -> int:
    found = api.sql(
        "SELECT b.payout FROM bets b JOIN users u ON u.id = b.user_id WHERE b.event_id = %s AND u.discord_id = %s",
        event_id,
        member,
    )
    return found[0][0]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    bets=existing_bets,
    own=st.one_of(st.none(), st.integers(min_value=1, max_value=500)),
    side=st.integers(min_value=0, max_value=SIDES - 1),
    amount=st.integers(min_value=1, max_value=500),
)
def test_the_quote_is_the_payout_when_nothing_changes(api: Stack, guild: int, bets, own, side, amount):
    """Others' stakes, maybe the member's own stake on the side (a raise), then quote → place → settle."""
    admin = api.register()
    event = api.create_event(guild, admin, ("Brazil", "Argentina", "Draw"))
    outcomes = [o["id"] for o in event["outcomes"]]
    for other_side, stake in bets:
        other = api.register(stake, guild)
        assert api.bet(guild, event, other, stake, outcome_id=outcomes[other_side]).status_code == 201
    member = api.register(1_000, guild)
    if own is not None:
        assert api.bet(guild, event, member, own, outcome_id=outcomes[side]).status_code == 201
    quoted = quote(api, guild, event, member, outcomes[side], amount)
    assert quoted.status_code == 200, quoted.text
    body = quoted.json()
    assert (body["stake_before"], body["stake_after"]) == (own or 0, (own or 0) + amount)
    assert body["pool_after"] == sum(stake for _, stake in bets) + (own or 0) + amount
    assert api.bet(guild, event, member, amount, outcome_id=outcomes[side]).status_code == 201
    settled = api.bets.post(
        f"/guilds/{guild}/events/{event['id']}/settle",
        json={"actor_id": str(admin), **ADMIN, "outcome_id": outcomes[side]},
    )
    assert settled.status_code == 200, settled.text
    assert payout_of(api, guild, event["id"], member) == body["payout"]


def test_raising_a_lone_stake_is_quoted_the_whole_pool(api: Stack, guild: int):
    """The issue's case: Bob has 60 on Brazil, alone on it, and adds 10 to a 165 pool: he would get all 175."""
    admin, bob, carol = api.register(), api.register(100, guild), api.register(105, guild)
    event = api.create_event(guild, admin, ("Brazil", "Argentina"))
    brazil, argentina = (o["id"] for o in event["outcomes"])
    assert api.bet(guild, event, bob, 60, outcome_id=brazil).status_code == 201
    assert api.bet(guild, event, carol, 105, outcome_id=argentina).status_code == 201
    body = quote(api, guild, event, bob, brazil, 10).json()
    assert (body["payout"], body["stake_before"], body["stake_after"], body["pool_after"]) == (175, 60, 70, 175)
    assert quote(api, guild, event, api.register(), brazil, 10).json()["payout"] == 10 * 175 // 70


def test_a_members_bet_on_an_event_names_the_side_they_may_raise(api: Stack, guild: int):
    admin, alice, bob = api.register(), api.register(100, guild), api.register()
    event = api.create_event(guild, admin, ("Yes", "No"))
    assert api.bet(guild, event, alice, 10, position=2).status_code == 201
    mine = api.bets.get(f"/guilds/{guild}/events/{event['id']}/bets/{alice}")
    assert mine.status_code == 200 and (mine.json()["outcome_label"], mine.json()["amount"]) == ("No", 10)
    none = api.bets.get(f"/guilds/{guild}/events/{event['id']}/bets/{bob}")
    assert none.status_code == 404 and none.json()["code"] == "bet_not_found"
    assert api.bets.get(f"/guilds/{guild + 1}/events/{event['id']}/bets/{alice}").status_code == 404


def test_the_quote_refuses_what_placing_would(api: Stack, guild: int):
    admin, alice = api.register(), api.register(100, guild)
    event = api.create_event(guild, admin, ("Yes", "No"))
    yes, no = (o["id"] for o in event["outcomes"])
    assert api.bet(guild, event, alice, 10, outcome_id=yes).status_code == 201
    hedge = quote(api, guild, event, alice, no, 5)
    assert hedge.status_code == 409 and hedge.json()["code"] == "already_backing_other_outcome"
    assert hedge.json()["outcome_id"] == yes and "Yes" in hedge.json()["detail"]
    assert quote(api, guild, event, alice, 999_999, 5).json()["code"] == "outcome_not_found"
    assert quote(api, guild, event, alice, yes, 0).status_code == 422
    api.bets.post(f"/guilds/{guild}/events/{event['id']}/lock", json={"actor_id": str(admin), **ADMIN})
    locked = quote(api, guild, event, alice, yes, 5)
    assert locked.status_code == 409 and locked.json()["code"] == "event_locked"
    assert api.sql("SELECT count(*) FROM bet_stakes WHERE event_id = %s", event["id"]) == [(1,)], "nothing recorded"


def test_an_event_past_its_closing_time_is_quoted_as_locked(api: Stack, guild: int):
    admin, alice = api.register(), api.register(100, guild)
    event = api.create_event(guild, admin, ("Yes", "No"), closes_at="2099-01-01T00:00:00Z")
    api.sql("UPDATE bet_events SET closes_at = created_at + interval '1 microsecond' WHERE id = %s", event["id"])
    refused = quote(api, guild, event, alice, event["outcomes"][0]["id"], 5)
    assert refused.status_code == 409 and refused.json()["code"] == "event_locked"
