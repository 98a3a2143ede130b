"""Settings refuse a broken configuration at start-up; a claim's credit derives from the claim row alone."""

import pytest

from coin_api.crediting import daily_move
from coin_api.models import DailyClaim
from coin_api.settings import CoinSettings
from service_kit.settings import SettingsError, load_settings

BASE_ENV = {"DATABASE_URL": "postgresql://u@localhost/db", "BOT_API_TOKEN": "b" * 32, "COIN_API_TOKEN": "c" * 32}
CLAIM = DailyClaim(guild_id=7, user_id=42, claim_number=3, streak=2, amount=110)


@pytest.fixture
def env(monkeypatch):
    for name, value in BASE_ENV.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_balance_api_url_is_required(env):
    env.delenv("BALANCE_API_URL", raising=False)
    with pytest.raises(SettingsError, match="BALANCE_API_URL: required"):
        load_settings(CoinSettings)


def test_its_own_credential_is_required_to_reach_the_ledger(env):
    env.setenv("BALANCE_API_URL", "http://balance-api:5000")
    env.delenv("COIN_API_TOKEN")
    with pytest.raises(SettingsError, match="COIN_API_TOKEN: required"):
        load_settings(CoinSettings)


def test_defaults_match_the_contract(env):
    env.setenv("BALANCE_API_URL", "http://balance-api:5000")
    settings = load_settings(CoinSettings)
    assert (
        settings.daily_amount,
        settings.daily_cooldown_seconds,
        settings.daily_streak_bonus,
        settings.daily_streak_max_days,
        settings.daily_streak_grace_seconds,
        settings.balance_api_timeout_s,
        settings.reconcile_interval_s,
        settings.reconcile_backoff_max_s,
        settings.reconcile_batch,
        settings.forgotten_member_grace_s,
    ) == (100, 86_400, 10, 7, 172_800, 3.0, 1.0, 5.0, 100, 60.0)
    assert settings.ledger_token.get_secret_value() == "c" * 32


def test_a_grace_shorter_than_the_cooldown_is_refused(env):
    env.setenv("BALANCE_API_URL", "http://balance-api:5000")
    env.setenv("DAILY_COOLDOWN_SECONDS", "100")
    env.setenv("DAILY_STREAK_GRACE_SECONDS", "50")
    with pytest.raises(SettingsError, match="DAILY_STREAK_GRACE_SECONDS must be at least"):
        load_settings(CoinSettings)


def test_the_credit_is_keyed_by_claim_and_derived_only_from_it():
    credit = daily_move(CLAIM, discord_id=1234)
    assert (credit.key, credit.kind, credit.guild_id) == ("daily:7:42:3", "daily", 7)
    assert credit.body() == {
        "guild_id": "7",
        "kind": "daily",
        "reason": "daily reward #3 (streak 2)",
        "postings": [{"system": "mint", "amount": -110}, {"user_id": "1234", "amount": 110}],
        "data": {"claim_number": 3, "streak": 2},
    }
