"""bet_api's settings refuse a configuration that could never settle, naming the variable to fix."""

import pytest

from bet_api.settings import BetSettings
from bet_api.stakes import escrow_code
from service_kit.ledger_client import Move, Posting
from service_kit.settings import SettingsError, load_settings

BASE = {
    "DATABASE_URL": "postgresql://u@h/db",
    "BOT_API_TOKEN": "b" * 16,
    "BET_API_TOKEN": "x" * 16,
    "BALANCE_API_URL": "http://b:5000",
}


def test_defaults_and_waits(monkeypatch):
    for name, value in BASE.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(BetSettings)
    assert (settings.balance_api_timeout_s, settings.balance_api_settle_timeout_s) == (3.0, 30.0)
    assert settings.stake_lock_wait_s == 5.0 and settings.settle_lock_wait_s == 40.0
    reconcile = (settings.reconcile_interval_s, settings.reconcile_backoff_max_s, settings.reconcile_batch)
    assert reconcile == (1.0, 5.0, 100) and settings.forgotten_member_grace_s == 60.0
    assert settings.ledger_token.get_secret_value() == "x" * 16


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"BALANCE_API_SETTLE_TIMEOUT_S": "1", "BALANCE_API_TIMEOUT_S": "2"}, "BALANCE_API_SETTLE_TIMEOUT_S"),
        ({"BALANCE_API_URL": "balance-api:5000"}, "BALANCE_API_URL"),
        ({"BALANCE_API_TIMEOUT_S": "0"}, "BALANCE_API_TIMEOUT_S"),
        ({"BET_API_TOKEN": "too-short"}, "BET_API_TOKEN: Value error, must be at least 16 characters"),
        ({"RECONCILE_INTERVAL_S": "10", "RECONCILE_BACKOFF_MAX_S": "5"}, "RECONCILE_BACKOFF_MAX_S must be at least"),
        ({"RECONCILE_BATCH": "0"}, "RECONCILE_BATCH"),
        ({"FORGOTTEN_MEMBER_GRACE_S": "-1"}, "FORGOTTEN_MEMBER_GRACE_S"),
    ],
)
def test_bad_settings_stop_start_up_with_the_variable_named(monkeypatch, extra, message):
    for name, value in {**BASE, **extra}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=message):
        load_settings(BetSettings)


def test_a_move_body_is_what_balance_api_takes():
    move = Move(
        key="bet:stake:7",
        guild_id=5,
        kind="bet_stake",
        reason="r" * 300,
        postings=[Posting(-10, discord_id=42), Posting(10, system=escrow_code(3))],
    )
    assert move.body() == {
        "guild_id": "5",
        "kind": "bet_stake",
        "reason": "r" * 200,
        "postings": [{"user_id": "42", "amount": -10}, {"system": "escrow:bet:3", "amount": 10}],
    }
