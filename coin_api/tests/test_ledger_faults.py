"""balance_api failing in the middle of a claim: the claim stands, a retry or a reconcile pays it exactly once."""

import time

import pytest

from coin_api.tests.conftest import LEDGER_TIMEOUT_S, Stack, new_snowflake

pytestmark = pytest.mark.slow


def user_id_of(api: Stack, member: int) -> int:
    return api.sql("SELECT id FROM users WHERE discord_id = %s", member)[0][0]


def claim_while(api: Stack, mode: str, guild: int, member: int, key: str, seconds: float = 0.0):
    api.proxy.set_mode(mode, seconds)
    response = api.claim(guild, member, key=key)
    api.proxy.set_mode("pass")
    assert response.status_code == 503, response.text
    body = response.json()
    assert (body["code"], body["claim_number"], body["amount"]) == ("credit_pending", 1, 100)
    assert [row[:4] for row in api.claims(guild)] == [(1, 1, 100, False)], "the claim is recorded, pending"
    return body


def assert_paid_once(api: Stack, guild: int, member: int) -> None:
    key = f"daily:{guild}:{user_id_of(api, member)}:1"
    assert api.daily_transactions(guild) == [(key, "daily", 2, 0)]
    assert api.balance(guild, member) == 100
    ((number, _, _, credited, transaction_id),) = api.claims(guild)
    assert credited and api.sql("SELECT idempotency_key FROM ledger_transactions WHERE id = %s", transaction_id) == [
        (key,)
    ]


@pytest.mark.parametrize(("mode", "applied"), [("drop_response", 1), ("refuse", 0)])
def test_a_lost_credit_is_completed_by_the_next_claim_request(api: Stack, mode, applied):
    guild, member = new_snowflake(), api.register()
    claim_while(api, mode, guild, member, key=f"first-{guild}")
    assert len(api.daily_transactions(guild)) == applied, "drop_response: applied; refuse: never seen"
    status = api.coin.get(f"/guilds/{guild}/members/{member}/daily").json()
    assert (status["can_claim"], status["pending_credit"]) == (False, True)

    retry = api.claim(guild, member, key=f"retry-{guild}")
    assert retry.status_code == 409 and retry.json()["code"] == "daily_already_claimed", retry.text
    assert_paid_once(api, guild, member)  # the new key pays the pending claim, but the window is that claim's

    again = api.claim(guild, member, key=f"retry-{guild}")
    assert again.status_code == 409 and again.json()["code"] == "daily_already_claimed", "the same answer on replay"
    replay = api.claim(guild, member, key=f"first-{guild}")
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["credited"] is True and replay.json()["claim_number"] == 1
    assert_paid_once(api, guild, member)


def test_a_timed_out_credit_is_completed_by_a_replay_of_the_same_key(api: Stack):
    guild, member = new_snowflake(), api.register()
    started = time.monotonic()
    claim_while(api, "delay", guild, member, key=f"slow-{guild}", seconds=LEDGER_TIMEOUT_S + 1)
    assert time.monotonic() - started < LEDGER_TIMEOUT_S + 1, "coin_api gives up at its own timeout"
    replay = api.claim(guild, member, key=f"slow-{guild}")
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["credited"] is True
    assert_paid_once(api, guild, member)


def test_a_retry_while_the_ledger_is_still_down_stays_pending(api: Stack):
    guild, member = new_snowflake(), api.register()
    claim_while(api, "refuse", guild, member, key=f"down-{guild}")
    api.proxy.set_mode("refuse")
    retry = api.claim(guild, member, key=f"down-again-{guild}")
    assert retry.status_code == 503 and retry.json()["code"] == "credit_pending"
    assert len(api.claims(guild)) == 1 and api.balance(guild, member) is None
    api.proxy.set_mode("pass")
    assert api.claim(guild, member, key=f"down-{guild}").status_code == 200
    assert_paid_once(api, guild, member)


def test_the_reconcile_endpoint_completes_pending_claims(api: Stack):
    guild, member = new_snowflake(), api.register()
    claim_while(api, "drop_response", guild, member, key=f"reconcile-{guild}")
    report = api.coin.post("/daily/reconcile")
    assert report.status_code == 200, report.text
    assert report.json()["credited"] >= 1 and report.json()["failed"] == 0
    assert_paid_once(api, guild, member)
    status = api.coin.get(f"/guilds/{guild}/members/{member}/daily").json()
    assert (status["can_claim"], status["pending_credit"]) == (False, False)
    assert api.claim(guild, member).status_code == 409
    assert api.coin.post("/daily/reconcile").json()["found"] == 0


def test_the_reconcile_endpoint_reports_a_ledger_still_down(api: Stack):
    guild, member = new_snowflake(), api.register()
    claim_while(api, "refuse", guild, member, key=f"still-down-{guild}")
    api.proxy.set_mode("refuse")
    report = api.coin.post("/daily/reconcile").json()
    assert report["found"] >= 1 and report["failed"] >= 1 and report["credited"] == 0
    api.proxy.set_mode("pass")
    assert api.coin.post("/daily/reconcile").json()["credited"] >= 1
    assert_paid_once(api, guild, member)


def test_start_up_reconciles_in_the_background(api: Stack):
    guild, member = new_snowflake(), api.register()
    claim_while(api, "refuse", guild, member, key=f"restart-{guild}")
    api.coin_service.restart()
    deadline = time.monotonic() + 10
    while api.claims(guild)[0][3] is False and time.monotonic() < deadline:
        time.sleep(0.1)
    assert_paid_once(api, guild, member)
    assert "reconcile: ReconcileReport(found=1, credited=1" in api.coin_service.logs()
