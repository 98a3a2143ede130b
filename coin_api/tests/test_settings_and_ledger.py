"""Settings refuse a broken configuration at start-up; the ledger client sorts answers into paid / maybe / refused."""

import logging

import httpx
import pytest

from coin_api.balance_client import BalanceClient, CreditNotConfirmed, CreditRefused, DailyCredit
from coin_api.settings import CoinSettings
from service_kit.settings import SettingsError, load_settings

BASE_ENV = {"DATABASE_URL": "postgresql://u@localhost/db", "BOT_API_TOKEN": "b" * 32, "COIN_API_TOKEN": "c" * 32}
CREDIT = DailyCredit(guild_id=7, user_id=42, discord_id=1234, claim_number=3, streak=2, amount=110)


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
    ) == (100, 86_400, 10, 7, 172_800, 3.0)


def test_a_grace_shorter_than_the_cooldown_is_refused(env):
    env.setenv("BALANCE_API_URL", "http://balance-api:5000")
    env.setenv("DAILY_COOLDOWN_SECONDS", "100")
    env.setenv("DAILY_STREAK_GRACE_SECONDS", "50")
    with pytest.raises(SettingsError, match="DAILY_STREAK_GRACE_SECONDS must be at least"):
        load_settings(CoinSettings)


def test_the_credit_is_keyed_by_claim_and_derived_only_from_it():
    assert CREDIT.key == "daily:7:42:3"
    assert CREDIT.body() == {
        "guild_id": "7",
        "kind": "daily",
        "reason": "daily reward #3 (streak 2)",
        "postings": [{"system": "mint", "amount": -110}, {"user_id": "1234", "amount": 110}],
    }


class FakeClient:
    """Stands in for InternalClient: answers with a canned response or raises a transport error."""

    def __init__(self, outcome: httpx.Response | Exception) -> None:
        self.outcome = outcome
        self.sent: list[tuple[str, dict]] = []

    def request(self, method, path, *, json=None, headers=None):
        self.sent.append((path, headers))
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


def ledger_answering(outcome) -> tuple[BalanceClient, FakeClient]:
    client = FakeClient(outcome)
    return BalanceClient(client), client  # type: ignore[arg-type]


@pytest.mark.parametrize("status", [200, 201])
def test_a_2xx_is_a_credit(status):
    ledger, client = ledger_answering(httpx.Response(status, json={"id": 99}))
    assert ledger.credit(CREDIT) == 99
    assert client.sent == [("/transactions", {"Idempotency-Key": "daily:7:42:3"})]


@pytest.mark.parametrize(
    "outcome",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.Response(500, json={"code": "internal_error"}),
        httpx.Response(503, text="upstream down"),
        httpx.Response(201, text="not json"),
    ],
)
def test_no_answer_or_a_5xx_is_not_confirmed(outcome):
    ledger, _ = ledger_answering(outcome)
    with pytest.raises(CreditNotConfirmed):
        ledger.credit(CREDIT)


def test_a_reused_key_is_a_bug_that_is_logged(caplog):
    ledger, _ = ledger_answering(httpx.Response(409, json={"code": "idempotency_key_reused"}))
    with caplog.at_level(logging.ERROR, logger="coin_api.balance_client"), pytest.raises(CreditRefused):
        ledger.credit(CREDIT)
    assert "BUG" in caplog.text and "daily:7:42:3" in caplog.text


def test_another_refusal_is_logged_and_not_retried_as_pending(caplog):
    ledger, _ = ledger_answering(httpx.Response(404, json={"code": "user_not_found"}))
    with caplog.at_level(logging.ERROR, logger="coin_api.balance_client"), pytest.raises(CreditRefused, match="404"):
        ledger.credit(CREDIT)
    assert "refused credit daily:7:42:3" in caplog.text
