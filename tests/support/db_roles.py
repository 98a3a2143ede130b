"""The database role each service connects as (the ServiceRoles migration), and its URL, for tests and make run."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy.engine import make_url

# What db_migration_service's ServiceRoles migration creates; tests/test_database_roles.py checks they agree.
SERVICE_ROLES = ("client_api", "balance_api", "coin_api", "bet_api", "genai_api")
ROLE_MARKER = "buteco service role:"


def password_variable(role: str) -> str:
    """The variable the migrator reads a role's password from: balance_api -> BALANCE_API_DB_PASSWORD."""
    return f"{role.upper()}_DB_PASSWORD"


def fixed_password(role: str) -> str:
    """The tests' password of a role: fixed, so sessions sharing one server (TEST_DATABASE_URL) agree on it."""
    return f"buteco-test-{role.replace('_', '-')}-db-password"


def password_env(roles: Iterable[str] = SERVICE_ROLES,
                 passwords: Mapping[str, str] | None = None) -> dict[str, str]:
    """The migrator's *_DB_PASSWORD variables: the given passwords, else the tests' own."""
    return {password_variable(role): (passwords or {}).get(role) or fixed_password(role) for role in roles}


def role_of(module: str) -> str | None:
    """The role a service module connects as (balance_api.main -> balance_api), None for what is no service."""
    package = module.split(".", 1)[0]
    return package if package in SERVICE_ROLES else None


def role_url(url: str, role: str, password: str) -> str:
    """Same server and database, connecting as role."""
    parsed = make_url(url).set(username=role, password=password)
    return parsed.render_as_string(hide_password=False)


def service_database_url(module: str, url: str) -> str:
    """The URL a test service gets: its own role on url's database (url itself for a module that is no service)."""
    role = role_of(module)
    return url if role is None else role_url(url, role, fixed_password(role))
