"""Who gets which secret under `make run`: what docker-compose.yml gives each container, read from it.

A service receives the secrets its compose entry lists (its own credential, the callers' it checks) and a
DATABASE_URL as the role its compose DATABASE_URL names; the bot, the token_env of every manifest. A service that
compose does not run yet gets its manifest's token_env and, when it is a Python package, the role of its name.
Credentials and role passwords are fresh each run, unless .env (or the environment) sets them: that value wins.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tests.support.db_roles import password_variable

# DATABASE_URL: postgresql://<role>:${<ROLE>_DB_PASSWORD...}@... in docker-compose.yml
COMPOSE_ROLE_URL = re.compile(r"^postgresql://([a-z_][a-z0-9_]*):\$\{([A-Z][A-Z0-9_]*)")
GENERATED = ("_API_TOKEN", "_DB_PASSWORD")  # what a run may invent; DISCORD_TOKEN and API keys come from elsewhere


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
