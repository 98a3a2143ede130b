"""The whole life of a bet event over real HTTP: create, bet, raise, lock, settle, and every member's result."""

import time

import pytest

from bet_api.tests.conftest import ADMIN, Stack, new_snowflake

pytestmark = pytest.mark.slow


def test_create_bet_raise_lock_settle_pays_the_whole_pool(api: Stack, guild: int):
    admin = api.register()
    alice, bob, carol = (api.register(1_000, guild) for _ in range(3))
    event = api.create_event(
        guild, admin, ("Brazil", "Argentina", "Draw"), description="final", closes_at="2099-01-01T00:00:00Z"
    )
    assert (event["status"], event["total_pool"], event["creator_id"]) == ("open", 0, str(admin))
    assert [(o["position"], o["label"], o["pool"], o["odds"]) for o in event["outcomes"]] == [
        (1, "Brazil", 0, None),
        (2, "Argentina", 0, None),
        (3, "Draw", 0, None),
    ]
    brazil = event["outcomes"][0]["id"]

    placed = api.bet(guild, event, alice, 100, outcome_id=brazil)
    assert placed.status_code == 201, placed.text
    assert placed.json()["stake"]["confirmed"] is True and placed.json()["amount"] == 100
    assert api.bet(guild, event, bob, 200, position=2).status_code == 201
    assert api.bet(guild, event, carol, 50, position=1).status_code == 201
    raised = api.bet(guild, event, alice, 30, position=1)
    assert raised.status_code == 201 and raised.json()["amount"] == 130 and raised.json()["stake"]["amount"] == 30

    switch = api.bet(guild, event, alice, 10, position=2)
    assert switch.status_code == 409 and switch.json()["code"] == "already_backing_other_outcome"
    assert "Brazil" in switch.json()["detail"]

    live = api.event(guild, event["id"])
    assert live["total_pool"] == 380 and live["bettors"] == 3
    assert [(o["pool"], o["bettors"], o["odds"]) for o in live["outcomes"]] == [
        (180, 2, 2.11),
        (200, 1, 1.9),
        (0, 0, None),
    ]
    assert api.escrow(guild, event["id"]) == 380

    locked = api.bets.post(f"/guilds/{guild}/events/{event['id']}/lock", json={"actor_id": str(admin), **ADMIN})
    assert locked.status_code == 200 and locked.json()["status"] == "locked"
    late = api.bet(guild, event, carol, 10, position=1)
    assert late.status_code == 409 and late.json()["code"] == "event_locked"

    settled = api.settle(guild, event["id"], admin, position=1)
    assert settled.status_code == 200, settled.text
    body = settled.json()
    assert (body["outcome"], body["paid_out"], body["recipients"], body["escrow_balance"]) == ("paid", 380, 2, 0)
    assert body["event"]["status"] == "settled" and body["event"]["winning_outcome_id"] == brazil
    # 130 × 380 / 180 = 274.44…, 50 × 380 / 180 = 105.55…: the leftover coin goes to the larger remainder.
    assert (api.balance(guild, alice), api.balance(guild, bob), api.balance(guild, carol)) == (
        1_000 - 130 + 274,
        1_000 - 200,
        1_000 - 50 + 106,
    )
    assert api.transactions(guild, "bet_settle") == [(f"bet:settle:{event['id']}", 3, 0)]
    assert [key for key, _, _ in api.transactions(guild, "bet_stake")] == [
        f"bet:stake:{stake_id}"
        for (stake_id,) in api.sql("SELECT id FROM bet_stakes WHERE event_id = %s ORDER BY id", event["id"])
    ]
    api.assert_books_balanced(guild)

    again = api.settle(guild, event["id"], admin, position=1)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["paid_out"] == 380 and len(api.transactions(guild, "bet_settle")) == 1
    assert (
        body["top_payouts"]
        == again.json()["top_payouts"]
        == [{"user_id": str(alice), "amount": 274}, {"user_id": str(carol), "amount": 106}]
    ), "who got how much"
    other = api.settle(guild, event["id"], admin, position=2)
    assert other.status_code == 409 and other.json()["code"] == "event_settled"
    assert api.cancel(guild, event["id"], admin).json()["code"] == "event_settled"

    history = api.bets.get(f"/guilds/{guild}/members/{alice}/bets").json()
    assert [(b["event_id"], b["outcome_label"], b["amount"], b["result"], b["payout"]) for b in history["items"]] == [
        (event["id"], "Brazil", 130, "won", 274)
    ]
    bob_bet = api.bets.get(f"/guilds/{guild}/members/{bob}/bets").json()["items"][0]
    assert (bob_bet["result"], bob_bet["payout"], bob_bet["event_status"]) == ("lost", 0, "settled")


def test_cancel_refunds_everyone_and_empties_the_escrow(api: Stack, guild: int):
    admin = api.register()
    members = [api.register(500, guild) for _ in range(3)]
    event = api.create_event(guild, admin)
    for index, member in enumerate(members):
        assert api.bet(guild, event, member, 100 + index, position=1 + index % 2).status_code == 201
    cancelled = api.cancel(guild, event["id"], admin)
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert (body["outcome"], body["paid_out"], body["recipients"], body["escrow_balance"]) == ("refunded", 303, 3, 0)
    assert body["event"]["status"] == "cancelled" and body["event"]["winning_outcome_id"] is None
    assert [api.balance(guild, member) for member in members] == [500, 500, 500]
    assert api.transactions(guild, "bet_refund") == [(f"bet:refund:{event['id']}", 4, 0)]
    assert api.cancel(guild, event["id"], admin).headers["Idempotent-Replayed"] == "true"
    assert api.settle(guild, event["id"], admin, 1).json()["code"] == "event_cancelled"
    assert api.bet(guild, event, members[0], 5).json()["code"] == "event_cancelled"
    results = api.bets.get(f"/guilds/{guild}/members/{members[1]}/bets").json()["items"]
    assert [(b["result"], b["payout"]) for b in results] == [("refunded", 101)]
    api.assert_books_balanced(guild)


def test_a_winner_nobody_backed_refunds_everyone(api: Stack, guild: int):
    admin = api.register()
    members = [api.register(300, guild) for _ in range(2)]
    event = api.create_event(guild, admin, ("A", "B", "C"))
    api.bet(guild, event, members[0], 100, position=1)
    api.bet(guild, event, members[1], 200, position=2)
    body = api.settle(guild, event["id"], admin, position=3).json()
    assert (body["outcome"], body["paid_out"], body["escrow_balance"]) == ("refunded", 300, 0)
    assert [api.balance(guild, member) for member in members] == [300, 300]
    assert api.transactions(guild, "bet_refund") == [(f"bet:settle:{event['id']}", 3, 0)]


def test_an_event_nobody_bet_on_settles_without_moving_coins(api: Stack, guild: int):
    admin = api.register()
    event = api.create_event(guild, admin)
    body = api.settle(guild, event["id"], admin, position=2).json()
    assert (body["outcome"], body["paid_out"], body["transaction_id"], body["escrow_balance"]) == (
        "no_bets",
        0,
        None,
        0,
    )
    assert body["event"]["status"] == "settled"


def test_an_event_locks_itself_at_closes_at(api: Stack, guild: int):
    admin, member = api.register(), api.register(100, guild)
    closes_at = api.sql(
        "SELECT to_char((now() + interval '1.5 seconds') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
    )[0][0]
    event = api.create_event(guild, admin, closes_at=closes_at)
    assert api.bet(guild, event, member, 10).status_code == 201
    time.sleep(1.7)
    assert api.event(guild, event["id"])["status"] == "locked"
    assert api.sql("SELECT status, locked_at = closes_at FROM bet_events WHERE id = %s", event["id"]) == [
        ("locked", True)
    ]
    refused = api.bet(guild, event, member, 10)
    assert refused.status_code == 409 and refused.json()["code"] == "event_locked"
    listed = api.bets.get(f"/guilds/{guild}/events", params={"status": "locked"}).json()["items"]
    assert [e["id"] for e in listed] == [event["id"]]
    assert api.settle(guild, event["id"], admin, 1).json()["paid_out"] == 10
    assert api.balance(guild, member) == 100


def test_list_filters_by_status_and_pages_newest_first(api: Stack, guild: int):
    admin = api.register()
    events = [api.create_event(guild, admin, title=f"event {n}") for n in range(5)]
    api.cancel(guild, events[1]["id"], admin)
    page = api.bets.get(f"/guilds/{guild}/events", params={"limit": 2}).json()
    assert [e["id"] for e in page["items"]] == [events[4]["id"], events[3]["id"]]
    rest = api.bets.get(f"/guilds/{guild}/events", params={"limit": 10, "before_id": page["next_before_id"]}).json()
    assert [e["id"] for e in rest["items"]] == [e["id"] for e in reversed(events[:3])]
    assert rest["next_before_id"] is None
    open_ids = [e["id"] for e in api.bets.get(f"/guilds/{guild}/events", params={"status": "open"}).json()["items"]]
    assert open_ids == [events[n]["id"] for n in (4, 3, 2, 0)]
    other_guild = api.bets.get(f"/guilds/{new_snowflake()}/events").json()
    assert other_guild == {"items": [], "next_before_id": None}
    assert api.bets.get(f"/guilds/{new_snowflake()}/events/{events[0]['id']}").json()["code"] == "event_not_found"


def test_a_member_forgotten_since_betting_is_paid_to_the_sink(api: Stack, guild: int):
    admin, kept, gone = api.register(), api.register(100, guild), api.register(100, guild)
    event = api.create_event(guild, admin)
    api.bet(guild, event, kept, 30, position=1)
    api.bet(guild, event, gone, 30, position=1)
    api.bet(guild, event, api.register(100, guild), 40, position=2)
    assert api.users.delete(f"/users/by-discord/{gone}").status_code == 200
    body = api.settle(guild, event["id"], admin, position=1).json()
    assert (body["paid_out"], body["recipients"], body["escrow_balance"]) == (100, 2, 0)
    assert api.balance(guild, kept) == 120
    assert api.sql("SELECT balance FROM accounts WHERE guild_id = %s AND system_code = 'sink'", guild) == [(50,)]
    api.assert_books_balanced(guild)
