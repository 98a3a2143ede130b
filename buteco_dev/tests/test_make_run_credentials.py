"""`make run` hands out credentials as compose does: each process its own, fresh per run, .env's when set.

Only the environments are computed here (no process starts); test_make_run.py runs the whole stack with them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import make_url

from buteco_dev.credentials import Grant, service_grant
from buteco_dev.stack import Stack

TOKENS = {"BOT_API_TOKEN", "COIN_API_TOKEN", "BET_API_TOKEN", "JOKE_API_TOKEN"}
# The caller credentials each process receives (docs/architecture.md, "Callers"), as docker-compose.yml says.
EXPECTED = {
    "client-api": {"BOT_API_TOKEN"},
    "balance-api": {"BOT_API_TOKEN", "COIN_API_TOKEN", "BET_API_TOKEN"},
    "coin-api": {"BOT_API_TOKEN", "COIN_API_TOKEN"},
    "bet-api": {"BOT_API_TOKEN", "BET_API_TOKEN"},
    "genai-api": {"BOT_API_TOKEN"},
    "joke-api": {"JOKE_API_TOKEN"},
}
DOT_ENV = (
    "BOT_API_TOKEN=from-dot-env-bot-token\nCOIN_API_DB_PASSWORD=from-dot-env-coin-db-password\n"
    "POSTGRES_PASSWORD=owner-password-from-compose\nDISCORD_TOKEN=\nTRANSFER_MAX_AMOUNT=77\n"
)


@pytest.fixture
def make_stack(tmp_path, monkeypatch) -> Iterator:
    for name in (*TOKENS, "DISCORD_TOKEN", "DATABASE_URL", "POSTGRES_PASSWORD", "COIN_API_DB_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    stacks = []

    def make(env_text: str | None = None) -> Stack:
        env_file = None
        if env_text is not None:
            env_file = tmp_path / f"{len(stacks)}.env"
            env_file.write_text(env_text)
        stacks.append(Stack(tmp_path / f"run{len(stacks)}", env_file=env_file, free_ports=True))
        stacks[-1].postgres.port = 5432  # what start() would pick; nothing is started here
        return stacks[-1]

    yield make
    for stack in stacks:
        stack.stop()


def envs(stack: Stack) -> dict[str, dict[str, str]]:
    found = {spec.name: stack.child_env(stack.grants[spec.name]) for spec in stack.specs}
    return {**found, "bot": stack.child_env(stack.bot_grant)}


def test_each_service_gets_its_own_credentials_and_its_own_database_role(make_stack):
    stack = make_stack()
    env = envs(stack)
    for name, tokens in EXPECTED.items():
        assert TOKENS & env[name].keys() == tokens, name
        assert not {"DISCORD_TOKEN", "POSTGRES_PASSWORD"} & env[name].keys(), name
    assert TOKENS & env["bot"].keys() == {"BOT_API_TOKEN", "JOKE_API_TOKEN"}
    assert "DATABASE_URL" not in env["bot"] and "DATABASE_URL" not in env["joke-api"]
    assert "DATABASE_URL" not in env["genai-api"], "no tables, no database: as compose runs it"
    for name, package in [("client-api", "client_api"), ("balance-api", "balance_api"), ("coin-api", "coin_api")]:
        url = make_url(env[name]["DATABASE_URL"])
        assert (url.username, url.password) == (package, stack.secrets[f"{package.upper()}_DB_PASSWORD"])
    assert not [key for e in env.values() for key in e if key.endswith("_DB_PASSWORD")], "only the migrator's"
    values = [stack.secrets[name] for name in TOKENS]
    assert len(set(values)) == len(TOKENS) and min(map(len, values)) >= 16
    assert env["coin-api"]["COIN_API_TOKEN"] == env["balance-api"]["COIN_API_TOKEN"], "the same credential"


def test_credentials_are_fresh_each_run_unless_env_sets_them(make_stack):
    first, second, configured = make_stack(), make_stack(), make_stack(DOT_ENV)
    for name in TOKENS:
        assert first.secrets[name] != second.secrets[name], name
    env = envs(configured)
    assert env["balance-api"]["BOT_API_TOKEN"] == env["bot"]["BOT_API_TOKEN"] == "from-dot-env-bot-token"
    assert make_url(env["coin-api"]["DATABASE_URL"]).password == "from-dot-env-coin-db-password"
    assert env["balance-api"]["TRANSFER_MAX_AMOUNT"] == "77", "settings still reach everyone"
    assert not any("POSTGRES_PASSWORD" in e or "DISCORD_TOKEN" in e for e in env.values())


def test_a_plugin_compose_does_not_run_gets_its_manifest_credential_and_its_package_role():
    grant = service_grant(None, package="weather_api", token_env="WEATHER_API_TOKEN")
    assert (grant.secrets, grant.role, grant.password_variable) == (
        frozenset({"WEATHER_API_TOKEN"}),
        "weather_api",
        "WEATHER_API_DB_PASSWORD",
    )
    assert service_grant(None, package=None, token_env=None) == Grant(frozenset())
