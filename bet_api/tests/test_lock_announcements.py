"""A bet that locks by itself at closes_at is handed to the bot once, with the channel to announce it in."""

import pytest

from bet_api.tests.conftest import ADMIN, Stack, new_snowflake

pytestmark = pytest.mark.slow
FUTURE = "2099-01-01T00:00:00Z"


def close_now(api: Stack, event_id: int) -> None:
    """Move closes_at to just after creation: the event is past its closing time from now on."""
    api.sql("UPDATE bet_events SET closes_at = created_at + interval '1 millisecond' WHERE id = %s", event_id)


def claim(api: Stack) -> list[dict]:
    response = api.bets.post("/bets/lock-announcements", params={"limit": "50"})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_an_auto_locked_bet_is_announced_once_where_it_was_created(api: Stack, guild: int):
    admin, channel = api.register(), new_snowflake()
    event = api.create_event(guild, admin, closes_at=FUTURE, channel_id=str(channel))
    assert event["channel_id"] == str(channel)
    by_hand = api.create_event(guild, admin, closes_at=FUTURE, channel_id=str(channel))
    unplaced = api.create_event(guild, admin, closes_at=FUTURE)
    api.bets.post(f"/guilds/{guild}/events/{by_hand['id']}/lock", json={"actor_id": str(admin), **ADMIN})
    for closing in (event, by_hand, unplaced):
        close_now(api, closing["id"])
    claimed = [e for e in claim(api) if e["guild_id"] == str(guild)]
    assert [(e["id"], e["status"], e["channel_id"]) for e in claimed] == [(event["id"], "locked", str(channel))]
    assert not [e for e in claim(api) if e["guild_id"] == str(guild)], "announced once"
    assert api.event(guild, unplaced["id"])["status"] == "locked", "locked, but nowhere to announce it"


def test_a_bet_settled_before_the_poll_is_not_announced_as_locked(api: Stack, guild: int):
    admin, alice = api.register(), api.register(10, guild)
    event = api.create_event(guild, admin, closes_at=FUTURE, channel_id=str(new_snowflake()))
    assert api.bet(guild, event, alice, 10, position=1).status_code == 201
    close_now(api, event["id"])
    assert api.settle(guild, event["id"], admin, 1).status_code == 200
    assert event["id"] not in [e["id"] for e in claim(api)]
