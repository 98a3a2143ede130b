"""Least privilege in the database: each service connects as its own role, which reaches only its own tables.

The grants are the ServiceRoles migration's; that each role can do all its service does is proven by every
service's own tests, which run the service as that role (buteco_dev.processes.python_service).
"""

from __future__ import annotations

import httpx
import psycopg2
import pytest

from buteco_dev.credentials import ROLE_MARKER, SERVICE_ROLES, fixed_password, password_env, role_url
from buteco_dev.migrations import MIGRATION_SERVICE, MigrationError, npm_script, run_migrations
from buteco_dev.postgres import Postgres, create_database, find_bin_dir, query

TABLELESS_ROLES = {"genai_api"}  # the roles of services without tables: nothing logs in as them
# Table -> role -> privileges: the whole of what the services may do, readable at a glance.
GRANTS = {
    "users": {
        "client_api": "INSERT, SELECT, UPDATE",
        "balance_api": "SELECT",
        "coin_api": "SELECT",
        "bet_api": "SELECT",
    },
    "accounts": {"balance_api": "INSERT, SELECT, UPDATE"},
    "holds": {"balance_api": "INSERT, SELECT, UPDATE"},
    "ledger_transactions": {"balance_api": "INSERT, SELECT"},
    "postings": {"balance_api": "INSERT, SELECT"},
    "daily_claims": {"coin_api": "INSERT, SELECT, UPDATE"},
    "bet_events": {"bet_api": "INSERT, SELECT, UPDATE"},
    "bet_outcomes": {"bet_api": "INSERT, SELECT"},
    "bets": {"bet_api": "DELETE, INSERT, SELECT, UPDATE"},
    "bet_stakes": {"bet_api": "DELETE, INSERT, SELECT, UPDATE"},
}


def as_role(database_url: str, role: str) -> str:
    return role_url(database_url, role, fixed_password(role))


def test_the_migration_creates_exactly_the_service_roles_without_powers(database_url):
    rows = query(
        database_url,
        "SELECT rolname, rolcanlogin, rolsuper OR rolcreatedb OR rolcreaterole"
        " OR rolreplication OR rolbypassrls FROM pg_roles"
        " WHERE shobj_description(oid, 'pg_authid') LIKE %s ORDER BY rolname",
        f"{ROLE_MARKER}%",
    )
    assert rows == [(role, True, False) for role in sorted(SERVICE_ROLES)]


def test_each_role_is_granted_only_its_own_tables(database_url):
    rows = query(
        database_url,
        "SELECT table_name, grantee, string_agg(privilege_type, ', '"
        " ORDER BY privilege_type) FROM information_schema.role_table_grants"
        " WHERE grantee = ANY(%s) GROUP BY table_name, grantee",
        list(SERVICE_ROLES),
    )
    granted: dict[str, dict[str, str]] = {}
    for table, role, privileges in rows:
        granted.setdefault(table, {})[role] = privileges
    assert granted == GRANTS


@pytest.mark.parametrize(
    ("role", "statement"),
    [
        ("coin_api", "INSERT INTO postings (transaction_id, account_id, amount, balance_after) VALUES (1, 1, 5, 5)"),
        ("coin_api", "UPDATE accounts SET balance = balance + 1000"),
        (
            "coin_api",
            "INSERT INTO ledger_transactions (guild_id, idempotency_key, request_hash, kind)"
            " VALUES (1, 'k', repeat('0', 64), 'daily')",
        ),
        ("bet_api", "UPDATE accounts SET balance = 0"),
        ("bet_api", "UPDATE daily_claims SET amount = 1"),
        ("client_api", "SELECT balance FROM accounts"),
        ("client_api", "SELECT * FROM postings"),
        ("balance_api", "UPDATE users SET display_name = 'x'"),
        ("balance_api", "DELETE FROM accounts"),
        ("balance_api", "UPDATE bets SET payout = 0"),
        ("balance_api", "TRUNCATE postings"),
        ("balance_api", "DELETE FROM holds"),
        ("bet_api", "UPDATE holds SET status = 'released'"),
        ("coin_api", "SELECT * FROM holds"),
        ("genai_api", "SELECT discord_id FROM users"),
        ("genai_api", "CREATE TABLE scratch (id int)"),
    ],
)
def test_a_role_cannot_touch_another_services_tables(database_url, role, statement):
    with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="permission denied"):
        query(as_role(database_url, role), statement)


def test_a_role_needs_its_password(database_url):
    assert query(as_role(database_url, "coin_api"), "SELECT current_user") == [("coin_api",)]
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed|no password"):
        query(role_url(database_url, "coin_api", "not-the-password-of-coin-api"), "SELECT 1")


@pytest.mark.slow
def test_each_service_connects_as_its_own_role(start_service, database_url):
    for role in SERVICE_ROLES:
        service = start_service(f"{role}.main", env={"BALANCE_API_URL": "http://127.0.0.1:9"})  # never called
        health = httpx.get(f"{service.url}/health", timeout=10, trust_env=False).json()
        seen = {
            row[0]
            for row in query(
                database_url,
                "SELECT usename FROM pg_stat_activity WHERE datname = current_database() AND usename <> current_user",
            )
        }
        if role in TABLELESS_ROLES:  # its role exists, but the service has no tables and never connects
            assert "database" not in health["checks"] and role not in seen, (role, health, seen)
        else:
            assert health["checks"]["database"] == "ok", (role, health)
            assert role in seen and seen <= set(SERVICE_ROLES), (role, seen)  # a stopped one may still be leaving
        service.stop()


def _revert_through_service_roles(url: str) -> None:
    """`npm run revert`, newest migration first, until the one that made the roles (ServiceRoles) is undone too."""
    for _ in range(len(list((MIGRATION_SERVICE / "src" / "migration").glob("*.ts")))):
        reverted = npm_script("revert", url, {})
        assert reverted.returncode == 0, reverted.stdout + reverted.stderr
        if not query(url, "SELECT 1 FROM typeorm_migrations WHERE name LIKE 'ServiceRoles%%'"):
            return
    raise AssertionError("ServiceRoles is still applied after reverting every migration")


def _roles(url: str) -> list[str]:
    return [
        row[0]
        for row in query(url, "SELECT rolname FROM pg_roles WHERE rolname = ANY(%s) ORDER BY 1", list(SERVICE_ROLES))
    ]


@pytest.mark.slow
@pytest.mark.skipif(find_bin_dir() is None, reason="no PostgreSQL server binaries (make install)")
def test_roles_are_cluster_wide_logins_follow_the_variables_and_revert_keeps_what_others_use():
    """A server of its own: only there may the last database let go of the roles."""
    with Postgres.throwaway() as server:
        first, second = create_database(server.url, "first"), create_database(server.url, "second")
        run_migrations(first, {})  # no password set: the roles exist but cannot log in
        assert query(
            first, "SELECT bool_or(rolcanlogin) FROM pg_roles WHERE rolname = ANY(%s)", list(SERVICE_ROLES)
        ) == [(False,)]
        output = run_migrations(second, {**password_env(), "WEATHER_API_DB_PASSWORD": "x" * 16})
        assert "WEATHER_API_DB_PASSWORD ignored" in output
        assert query(as_role(first, "balance_api"), "SELECT count(*) FROM accounts") == [(0,)]

        refused = npm_script("logins", second, {"COIN_API_DB_PASSWORD": "short"})
        assert refused.returncode != 0 and "COIN_API_DB_PASSWORD must be 16-200 characters" in refused.stderr
        with pytest.raises(MigrationError, match="must be 16-200 characters"):
            run_migrations(second, {"BET_API_DB_PASSWORD": "has spaces and is long"})

        _revert_through_service_roles(second)
        assert _roles(first) == sorted(SERVICE_ROLES), "the first database still uses every role"
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            query(as_role(second, "balance_api"), "SELECT count(*) FROM accounts")
        assert query(as_role(first, "balance_api"), "SELECT count(*) FROM accounts") == [(0,)]

        _revert_through_service_roles(first)
        assert _roles(first) == [], "no database uses them any more"
        run_migrations(first)
        assert query(as_role(first, "bet_api"), "SELECT count(*) FROM bets") == [(0,)]
