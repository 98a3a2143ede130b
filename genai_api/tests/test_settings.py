"""genai_api's settings: a typo stops start-up, empty variables are unset, and every key is a redacted secret."""

import pytest

from buteco_dev.credentials import TEST_TOKEN
from genai_api.settings import GenaiSettings
from service_kit.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def _base_env(monkeypatch):
    monkeypatch.setenv("BOT_API_TOKEN", TEST_TOKEN)
    for name in (
        "DATABASE_URL",
        "COIN_API_TOKEN",
        "BET_API_TOKEN",
        "GENAI_PROVIDER",
        "OPENAI_API_KEY",
        "OPENAI_MODEL",
        "GEMINI_API_KEY",
        "GEMINI_MODEL",
    ):
        monkeypatch.delenv(name, raising=False)


def test_a_misspelt_provider_stops_start_up(monkeypatch):
    monkeypatch.setenv("GENAI_PROVIDER", "chatgpt")
    with pytest.raises(SettingsError, match="GENAI_PROVIDER"):
        load_settings(GenaiSettings)


def test_empty_variables_count_as_unset_and_keys_are_redacted_secrets(monkeypatch):
    monkeypatch.setenv("GENAI_PROVIDER", "openai")
    monkeypatch.setenv("OPENAI_MODEL", "gpt-4.1-mini")
    monkeypatch.setenv("OPENAI_API_KEY", "")
    monkeypatch.setenv("GEMINI_API_KEY", "gemini-secret-value")
    settings = load_settings(GenaiSettings)
    assert settings.openai_api_key is None and settings.provider_problem() is None
    assert settings.secret_values() == [TEST_TOKEN, "gemini-secret-value"]


@pytest.mark.parametrize(
    "env, missing",
    [
        ({}, "GENAI_PROVIDER"),
        ({"GENAI_PROVIDER": "openai"}, "OPENAI_MODEL"),
        ({"GENAI_PROVIDER": "gemini", "GEMINI_MODEL": "gemini-2.5-flash"}, "GEMINI_API_KEY"),
    ],
)
def test_the_problem_names_what_the_operator_must_set(monkeypatch, env, missing):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    problem = load_settings(GenaiSettings).provider_problem()
    assert problem is not None and missing in problem
