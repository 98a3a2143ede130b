"""The rolling cooldown and the streak through real HTTP, on a coin_api tuned to seconds instead of days."""

import time
from datetime import datetime, timedelta

import pytest

from coin_api.tests.conftest import FAST_COOLDOWN_S, FAST_GRACE_S, Stack, new_snowflake

pytestmark = pytest.mark.slow


def wait_until(moment: str, margin_s: float = 0.15) -> None:
    """Sleep until the service's next_claim_at has passed (server and tests share this machine's clock)."""
    time.sleep(max(0.0, (datetime.fromisoformat(moment) - datetime.now().astimezone()).total_seconds()) + margin_s)


def test_cooldown_then_streak_growth_cap_and_reset(api: Stack):
    guild, member = new_snowflake(), api.register()
    status_url = f"/guilds/{guild}/members/{member}/daily"

    first = api.claim(guild, member, fast=True)
    assert first.status_code == 201 and (first.json()["streak"], first.json()["amount"]) == (1, 100)
    refused = api.claim(guild, member, fast=True)
    assert refused.status_code == 409 and refused.json()["code"] == "daily_already_claimed"
    due = refused.json()["next_claim_at"]
    assert datetime.fromisoformat(due) == datetime.fromisoformat(first.json()["claimed_at"]) + timedelta(
        seconds=FAST_COOLDOWN_S
    )
    assert api.fast_coin.get(status_url).json()["next_amount"] == 110

    wait_until(due)
    assert api.fast_coin.get(status_url).json()["can_claim"] is True
    second = api.claim(guild, member, fast=True)
    assert second.status_code == 201 and (second.json()["streak"], second.json()["amount"]) == (2, 110)

    wait_until(api.fast_coin.get(status_url).json()["next_claim_at"])
    third = api.claim(guild, member, fast=True)
    assert third.status_code == 201
    assert (third.json()["streak"], third.json()["amount"]) == (3, 110), "the bonus is capped at MAX_DAYS=1"

    time.sleep(FAST_GRACE_S + 0.3)
    status = api.fast_coin.get(status_url).json()
    assert (status["can_claim"], status["streak"], status["next_amount"]) == (True, 0, 100)
    fourth = api.claim(guild, member, fast=True)
    assert fourth.status_code == 201
    assert (fourth.json()["claim_number"], fourth.json()["streak"], fourth.json()["amount"]) == (4, 1, 100)

    assert api.balance(guild, member) == 100 + 110 + 110 + 100
    assert [row[:4] for row in api.claims(guild)] == [
        (1, 1, 100, True),
        (2, 2, 110, True),
        (3, 3, 110, True),
        (4, 1, 100, True),
    ]
    assert len(api.daily_transactions(guild)) == 4

    history_url = f"{status_url}/history"
    page = api.fast_coin.get(history_url, params={"limit": 3}).json()
    assert [c["claim_number"] for c in page["items"]] == [4, 3, 2] and page["next_before_number"] == 2
    rest = api.fast_coin.get(history_url, params={"limit": 3, "before_number": 2}).json()
    assert [c["claim_number"] for c in rest["items"]] == [1] and rest["next_before_number"] is None
