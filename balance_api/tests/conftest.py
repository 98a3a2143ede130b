"""A real balance_api process on a freshly migrated database, shared by a test module."""

import httpx
import psycopg2
import pytest

from buteco_dev.credentials import auth_headers
from buteco_dev.seed import fund_member, new_snowflake


def register(database_url: str, *discord_ids: int) -> None:
    """Create users rows directly: client_api owns registration, the ledger only reads it."""
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        for discord_id in discord_ids:
            cursor.execute(
                "INSERT INTO users (discord_id, display_name) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                (discord_id, f"member-{discord_id % 1000}"),
            )
    connection.close()


@pytest.fixture(scope="module")
def balance_service(module_start_service):
    return module_start_service("balance_api.main", env={"TRANSFER_MAX_AMOUNT": "5000"})


@pytest.fixture(scope="module")
def api(balance_service):
    with httpx.Client(base_url=balance_service.url, headers=auth_headers(), timeout=10) as client:
        yield client


def mint(api: httpx.Client, guild_id: int, discord_id: int, amount: int) -> httpx.Response:
    """Give a member coins from the guild's mint the one way the ledger allows: a daily credit, as coin_api."""
    return fund_member(
        str(api.base_url), guild_id, discord_id, amount, key=f"mint-{guild_id}-{discord_id}-{new_snowflake()}"
    )
