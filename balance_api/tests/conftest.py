"""A real balance_api process on a freshly migrated database, shared by a test module."""

import httpx
import psycopg2
import pytest

from buteco_dev.credentials import auth_headers
from buteco_dev.postgres import query
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


def forget(database_url: str, discord_id: int) -> None:
    """What client_api's forget-me does to the users row: the Discord id and name go, the row and its money stay."""
    query(
        database_url,
        "UPDATE users SET discord_id = NULL, display_name = NULL, forgotten_at = now() WHERE discord_id = %s",
        discord_id,
    )


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


def hold(
    api: httpx.Client,
    guild_id: int,
    member: int,
    amount: int,
    *,
    key: str | None = None,
    expires_in_s: int = 600,
    **extra,
) -> httpx.Response:
    """An /ask-like hold of a member's coins for the sink, as the bot asks for one."""
    body = {
        "user_id": str(member),
        "system": "sink",
        "amount": amount,
        "kind": "ai_usage",
        "expires_in_s": expires_in_s,
    }
    return api.post(
        f"/guilds/{guild_id}/holds",
        headers={"Idempotency-Key": key or f"hold-test-{new_snowflake()}"},
        json={**body, **extra},
    )


def balances(api: httpx.Client, guild_id: int, member: int) -> tuple[int, int, int]:
    """(the member's balance, what the member has held, the sink's balance)."""
    mine = api.get(f"/guilds/{guild_id}/members/{member}/balance").json()
    sink = api.get(f"/guilds/{guild_id}/system/sink/balance").json()
    return mine["balance"], mine["held"], sink["balance"]


def audited(api: httpx.Client, guild_id: int) -> dict:
    audit = api.get(f"/guilds/{guild_id}/audit").json()
    assert audit["balanced"], audit
    return audit
