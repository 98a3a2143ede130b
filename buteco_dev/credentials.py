"""Who gets which credential: the services' database roles, the tests' fixed credentials, and `make run`'s grants.

Database roles: each service connects as the role the ServiceRoles migration creates for it, whose password the
migrator reads from <ROLE>_DB_PASSWORD. The tests use fixed values (TEST_TOKENS, fixed_password), so sessions
sharing one server agree on them.

`make run` reads what docker-compose.yml gives each container: a service receives the secrets its compose entry
lists (its own credential, the callers' it checks) and a DATABASE_URL as the role its compose DATABASE_URL names;
the bot, the token_env of every manifest. A service that compose does not run yet gets its manifest's token_env
and, when it is a Python package, the role of its name. Credentials and role passwords are fresh each run,
unless .env (or the environment) sets them: that value wins.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy.engine import make_url

# What db_migration_service's ServiceRoles migration creates; tests/test_database_roles.py checks they agree.
SERVICE_ROLES = ("client_api", "balance_api", "coin_api", "bet_api", "genai_api")
ROLE_MARKER = "buteco service role:"
TEST_TOKENS = {
    "bot": "buteco-test-bot-token",
    "coin_api": "buteco-test-coin-api-token",
    "bet_api": "buteco-test-bet-api-token",
    "joke": "buteco-test-joke-token",
}
TEST_TOKEN = TEST_TOKENS["bot"]  # most tests call the services the bot's way
# DATABASE_URL: postgresql://<role>:${<ROLE>_DB_PASSWORD...}@... in docker-compose.yml
COMPOSE_ROLE_URL = re.compile(r"^postgresql://([a-z_][a-z0-9_]*):\$\{([A-Z][A-Z0-9_]*)")
GENERATED = ("_API_TOKEN", "_DB_PASSWORD")  # what a run may invent; DISCORD_TOKEN and API keys come from elsewhere


def password_variable(role: str) -> str:
    """The variable the migrator reads a role's password from: balance_api -> BALANCE_API_DB_PASSWORD."""
    return f"{role.upper()}_DB_PASSWORD"


def fixed_password(role: str) -> str:
    """The tests' password of a role: fixed, so sessions sharing one server (TEST_DATABASE_URL) agree on it."""
    return f"buteco-test-{role.replace('_', '-')}-db-password"


def password_env(roles: Iterable[str] = SERVICE_ROLES, passwords: Mapping[str, str] | None = None) -> dict[str, str]:
    """The migrator's *_DB_PASSWORD variables: the given passwords, else the tests' own."""
    return {password_variable(role): (passwords or {}).get(role) or fixed_password(role) for role in roles}


def role_of(module: str) -> str | None:
    """The role a service module connects as (balance_api.main -> balance_api), None for what is no service."""
    package = module.split(".", 1)[0]
    return package if package in SERVICE_ROLES else None


def role_url(url: str, role: str, password: str) -> str:
    """Same server and database, connecting as role."""
    return make_url(url).set(username=role, password=password).render_as_string(hide_password=False)


def service_database_url(module: str, url: str) -> str:
    """The URL a test service gets: its own role on url's database (url itself for a module that is no service)."""
    role = role_of(module)
    return url if role is None else role_url(url, role, fixed_password(role))


def caller_env() -> dict[str, str]:
    """Every test caller's credential under its variable, as each service (and the bot) reads it."""
    return {
        "BOT_API_TOKEN": TEST_TOKENS["bot"],
        "COIN_API_TOKEN": TEST_TOKENS["coin_api"],
        "BET_API_TOKEN": TEST_TOKENS["bet_api"],
        "JOKE_API_TOKEN": TEST_TOKENS["joke"],
    }


def auth_headers(token: str = TEST_TOKEN, **extra: str) -> dict[str, str]:
    """Bearer auth plus extra headers; keyword underscores become dashes (idempotency_key=...)."""
    return {"Authorization": f"Bearer {token}", **{k.replace("_", "-").title(): v for k, v in extra.items()}}


def is_secret(name: str) -> bool:
    """Credentials, passwords and API keys: what a process gets only when it needs it."""
    return name.endswith(("_TOKEN", "_PASSWORD", "_API_KEY"))


def environment_of(service: Mapping) -> dict[str, str | None]:
    """A compose service's environment as a mapping (the list form too); None = passed from .env if set."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return {key: None if value is None else str(value) for key, value in env.items()}


@dataclass(frozen=True)
class Grant:
    """What one process receives: secret variables, and the database role it connects as (None: no database)."""

    secrets: frozenset[str]
    role: str | None = None

    @property
    def password_variable(self) -> str | None:
        return password_variable(self.role) if self.role else None


def service_grant(compose_service: Mapping | None, *, package: str | None, token_env: str | None) -> Grant:
    """A service's grant from its compose entry, else from its manifest and package."""
    if compose_service is None:
        return Grant(frozenset(filter(None, [token_env])), package)
    env = environment_of(compose_service)
    role = COMPOSE_ROLE_URL.match(env.get("DATABASE_URL") or "")
    return Grant(frozenset(name for name in env if is_secret(name)), role[1] if role else None)


def bot_grant(compose_bot: Mapping | None, token_envs: Iterable[str | None]) -> Grant:
    """The bot's: what compose gives it, and every manifest's token_env (it sends each to that service only)."""
    listed = {name for name in environment_of(compose_bot or {}) if is_secret(name)}
    return Grant(frozenset(listed | set(filter(None, token_envs))))


def run_secrets(grants: Iterable[Grant], env: Mapping[str, str]) -> dict[str, str]:
    """Every secret value of this run: env's when set, else a fresh one for what a run may invent."""
    values = {}
    for grant in grants:
        for name in filter(None, [*grant.secrets, grant.password_variable]):
            if env.get(name):
                values[name] = env[name]
            elif name.endswith(GENERATED):
                values.setdefault(name, secrets.token_hex(24))
    return values
