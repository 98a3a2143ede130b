"""balance_api failing in the middle of a bet, a settle or a cancel: a retry completes it exactly once."""

import time

import pytest

from bet_api.tests.conftest import LEDGER_TIMEOUT_S, Stack

pytestmark = pytest.mark.slow
MODES = [("drop_response", 1), ("refuse", 0)]


def while_down(api: Stack, mode: str, call, seconds: float = 0.0):
    api.proxy.set_mode(mode, seconds)
    try:
        return call()
    finally:
        api.proxy.set_mode("pass")


def stake_keys(api: Stack, event_id: int) -> list[str]:
    return [
        f"bet:stake:{stake_id}"
        for (stake_id,) in api.sql("SELECT id FROM bet_stakes WHERE event_id = %s ORDER BY id", event_id)
    ]


@pytest.mark.parametrize(("mode", "applied"), MODES)
def test_a_lost_stake_is_completed_once_by_a_retry_with_the_same_key(api: Stack, guild: int, mode, applied):
    admin, member = api.register(), api.register(100, guild)
    event = api.create_event(guild, admin)
    lost = while_down(api, mode, lambda: api.bet(guild, event, member, 40, key=f"lost-{guild}"))
    assert lost.status_code == 503 and lost.json()["code"] == "stake_pending", lost.text
    assert len(api.transactions(guild, "bet_stake")) == applied
    assert api.sql("SELECT count(*) FROM bet_stakes WHERE event_id = %s AND confirmed_at IS NULL", event["id"]) == [
        (1,)
    ]
    assert api.event(guild, event["id"])["total_pool"] == 0, "a pending stake is not in the pool yet"
    pending = api.bets.get(f"/guilds/{guild}/members/{member}/bets").json()["items"][0]
    assert (pending["amount"], pending["pending_amount"], pending["result"]) == (0, 40, "pending")

    retry = api.bet(guild, event, member, 40, key=f"lost-{guild}")
    assert retry.status_code == 200 and retry.headers["Idempotent-Replayed"] == "true", retry.text
    assert retry.json()["stake"]["confirmed"] is True and retry.json()["amount"] == 40
    assert [key for key, _, _ in api.transactions(guild, "bet_stake")] == stake_keys(api, event["id"])
    assert (api.balance(guild, member), api.escrow(guild, event["id"])) == (60, 40)
    api.assert_books_balanced(guild)


def test_a_timed_out_stake_is_completed_by_a_replay(api: Stack, guild: int):
    admin, member = api.register(), api.register(100, guild)
    event = api.create_event(guild, admin)
    started = time.monotonic()
    slow = while_down(
        api, "delay", lambda: api.bet(guild, event, member, 25, key=f"slow-{guild}"), seconds=LEDGER_TIMEOUT_S + 1
    )
    assert slow.status_code == 503 and time.monotonic() - started < LEDGER_TIMEOUT_S + 1
    assert api.bet(guild, event, member, 25, key=f"slow-{guild}").status_code == 200
    assert len(api.transactions(guild, "bet_stake")) == 1 and api.escrow(guild, event["id"]) == 25


@pytest.mark.parametrize(("mode", "applied"), MODES)
def test_a_lost_settlement_is_completed_once_by_a_retry(api: Stack, guild: int, mode, applied):
    admin = api.register()
    winner, loser = api.register(500, guild), api.register(500, guild)
    event = api.create_event(guild, admin)
    api.bet(guild, event, winner, 100, position=1)
    api.bet(guild, event, loser, 300, position=2)
    lost = while_down(api, mode, lambda: api.settle(guild, event["id"], admin, position=1))
    assert lost.status_code == 503 and lost.json()["code"] == "settlement_pending", lost.text
    assert len(api.transactions(guild, "bet_settle")) == applied
    assert api.event(guild, event["id"])["status"] == "settling"
    refused = api.bet(guild, event, loser, 10, position=2)
    assert refused.status_code == 409 and refused.json()["code"] == "event_settled"
    assert api.cancel(guild, event["id"], admin).json()["code"] == "event_settled"
    assert api.settle(guild, event["id"], admin, position=2).json()["code"] == "event_settled"

    retry = api.settle(guild, event["id"], admin, position=1)
    assert retry.status_code == 200, retry.text
    assert (retry.json()["paid_out"], retry.json()["escrow_balance"]) == (400, 0)
    assert api.transactions(guild, "bet_settle") == [(f"bet:settle:{event['id']}", 2, 0)]
    assert (api.balance(guild, winner), api.balance(guild, loser)) == (800, 200)
    api.assert_books_balanced(guild)


@pytest.mark.parametrize(("mode", "applied"), MODES)
def test_a_lost_cancellation_is_completed_once_by_a_retry(api: Stack, guild: int, mode, applied):
    admin = api.register()
    members = [api.register(200, guild) for _ in range(3)]
    event = api.create_event(guild, admin)
    for n, member in enumerate(members):
        api.bet(guild, event, member, 50 + n, position=1 + n % 2)
    lost = while_down(api, mode, lambda: api.cancel(guild, event["id"], admin))
    assert lost.status_code == 503 and lost.json()["code"] == "settlement_pending", lost.text
    assert len(api.transactions(guild, "bet_refund")) == applied
    assert api.event(guild, event["id"])["status"] == "cancelling"
    assert api.settle(guild, event["id"], admin, 1).json()["code"] == "event_cancelled"
    retry = api.cancel(guild, event["id"], admin)
    assert retry.status_code == 200 and retry.json()["escrow_balance"] == 0, retry.text
    assert api.transactions(guild, "bet_refund") == [(f"bet:refund:{event['id']}", 4, 0)]
    assert [api.balance(guild, member) for member in members] == [200, 200, 200]
    api.assert_books_balanced(guild)


def test_a_settle_completes_stakes_still_pending_before_paying(api: Stack, guild: int):
    admin, early, late = api.register(), api.register(100, guild), api.register(100, guild)
    event = api.create_event(guild, admin)
    api.bet(guild, event, early, 60, position=1)
    lost = while_down(api, "drop_response", lambda: api.bet(guild, event, late, 40, position=2))
    assert lost.json()["code"] == "stake_pending"
    settled = api.settle(guild, event["id"], admin, position=2)
    assert settled.status_code == 200, settled.text
    assert (settled.json()["paid_out"], settled.json()["escrow_balance"]) == (100, 0)
    assert (api.balance(guild, early), api.balance(guild, late)) == (40, 160)
    assert api.sql("SELECT count(*) FROM bet_stakes WHERE event_id = %s AND confirmed_at IS NULL", event["id"]) == [
        (0,)
    ]
    api.assert_books_balanced(guild)


def test_a_pending_stake_the_ledger_then_refuses_leaves_no_bet(api: Stack, guild: int):
    admin, member = api.register(), api.register(100, guild)
    event = api.create_event(guild, admin)
    lost = while_down(api, "refuse", lambda: api.bet(guild, event, member, 90, key=f"spent-{guild}"))
    assert lost.json()["code"] == "stake_pending"
    api.ledger.post(
        f"/guilds/{guild}/transfers",
        headers={"Idempotency-Key": f"spend-{guild}"},
        json={"from_user_id": str(member), "to_user_id": str(admin), "amount": 50},
    )
    retry = api.bet(guild, event, member, 90, key=f"spent-{guild}")
    assert retry.status_code == 409 and retry.json()["code"] == "insufficient_funds", retry.text
    assert api.sql("SELECT count(*) FROM bets WHERE event_id = %s", event["id"]) == [(0,)]
    assert api.settle(guild, event["id"], admin, 1).json()["outcome"] == "no_bets"
    assert api.balance(guild, member) == 50


def test_the_reconcile_endpoint_completes_stakes_and_settlements(api: Stack, guild: int):
    admin, member, other = api.register(), api.register(100, guild), api.register(100, guild)
    event = api.create_event(guild, admin)
    api.bet(guild, event, other, 10, position=2)
    assert while_down(api, "refuse", lambda: api.bet(guild, event, member, 30)).status_code == 503
    api.proxy.set_mode("refuse")
    down = api.bets.post("/bets/reconcile").json()
    assert down["stakes_found"] >= 1 and down["failed"] >= 1 and down["stakes_confirmed"] == 0
    api.proxy.set_mode("pass")
    report = api.bets.post("/bets/reconcile").json()
    assert report["stakes_confirmed"] >= 1 and report["failed"] == 0, report
    assert api.escrow(guild, event["id"]) == 40

    assert while_down(api, "drop_response", lambda: api.settle(guild, event["id"], admin, 1)).status_code == 503
    report = api.bets.post("/bets/reconcile").json()
    assert report["events_completed"] >= 1 and report["failed"] == 0, report
    assert api.event(guild, event["id"])["status"] == "settled"
    assert (api.balance(guild, member), api.balance(guild, other), api.escrow(guild, event["id"])) == (110, 90, 0)
    assert api.bets.post("/bets/reconcile").json()["events_found"] == 0
    api.assert_books_balanced(guild)


def test_start_up_reconciles_in_the_background(api: Stack, guild: int):
    admin, member = api.register(), api.register(100, guild)
    event = api.create_event(guild, admin)
    api.bet(guild, event, member, 70)
    assert while_down(api, "refuse", lambda: api.cancel(guild, event["id"], admin)).status_code == 503
    api.bet_service.restart()
    deadline = time.monotonic() + 10
    while api.event(guild, event["id"])["status"] != "cancelled" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert api.event(guild, event["id"])["status"] == "cancelled"
    assert (api.balance(guild, member), api.escrow(guild, event["id"])) == (100, 0)
    assert "reconcile: ReconcileReport(" in api.bet_service.logs()
    api.assert_books_balanced(guild)
