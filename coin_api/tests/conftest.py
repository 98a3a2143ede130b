"""Real services for coin_api's HTTP tests: client_api, balance_api, and coin_api behind a fault proxy."""

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from buteco_dev.credentials import auth_headers
from buteco_dev.fault_proxy import FaultProxy
from buteco_dev.postgres import fresh_database, query
from buteco_dev.processes import ServiceGroup, ServiceProcess
from buteco_dev.seed import new_snowflake

LEDGER_TIMEOUT_S = 1.0
FAST_COOLDOWN_S = 2
FAST_GRACE_S = 4
ONLY_AT_START_UP = {"RECONCILE_INTERVAL_S": "3600", "RECONCILE_BACKOFF_MAX_S": "3600"}
"""These tests look at pending claims: the reconcile runs once, at start-up (test_self_healing runs it on and on)."""


def client_for(service: ServiceProcess) -> httpx.Client:
    return httpx.Client(base_url=service.url, headers=auth_headers(), timeout=30, trust_env=False)


@dataclass
class Stack:
    """The services one test module talks to, and the proxy between coin_api and balance_api."""

    database_url: str
    users: httpx.Client
    coin: httpx.Client
    fast_coin: httpx.Client
    coin_service: ServiceProcess
    proxy: FaultProxy

    def register(self, discord_id: int | None = None) -> int:
        """Register a member through client_api, as the bot does on first contact."""
        discord_id = discord_id or new_snowflake()
        response = self.users.post("/users", json={"discord_id": str(discord_id), "display_name": "member"})
        assert response.status_code in (200, 201), response.text
        return discord_id

    def claim(self, guild: int, member: int, key: str | None = None, *, fast: bool = False) -> httpx.Response:
        client = self.fast_coin if fast else self.coin
        return client.post(
            f"/guilds/{guild}/members/{member}/daily", headers={"Idempotency-Key": key or f"test-{new_snowflake()}"}
        )

    def sql(self, statement: str, *params) -> list[tuple]:
        """Read the database directly, so tests check what was stored, not only what was answered."""
        return query(self.database_url, statement, *params)

    def balance(self, guild: int, member: int) -> int | None:
        rows = self.sql(
            "SELECT a.balance FROM accounts a JOIN users u ON u.id = a.user_id"
            " WHERE a.guild_id = %s AND u.discord_id = %s",
            guild,
            member,
        )
        return rows[0][0] if rows else None

    def daily_transactions(self, guild: int) -> list[tuple]:
        """(key, kind, postings, sum of postings) of each daily ledger transaction in the guild."""
        return self.sql(
            "SELECT t.idempotency_key, t.kind, count(p.id), sum(p.amount) FROM ledger_transactions t"
            " JOIN postings p ON p.transaction_id = t.id WHERE t.guild_id = %s AND t.kind = 'daily'"
            " GROUP BY t.id ORDER BY t.id",
            guild,
        )

    def claims(self, guild: int) -> list[tuple]:
        """(claim_number, streak, amount, credited, transaction_id) of the guild's claims."""
        return self.sql(
            "SELECT claim_number, streak, amount, credited_at IS NOT NULL, transaction_id"
            " FROM daily_claims WHERE guild_id = %s ORDER BY claim_number",
            guild,
        )


@pytest.fixture(scope="session")
def stack(pg_admin_url, migrated_template_url, tmp_path_factory) -> Iterator[Stack]:
    """One set of services for every coin_api test module: starting them is most of the suite's time."""
    with (
        fresh_database(pg_admin_url, "coin") as database_url,
        ServiceGroup(database_url, tmp_path_factory.mktemp("coin-services")) as group,
    ):
        users, balance = group.start("client_api.main"), group.start("balance_api.main")
        with FaultProxy(balance.url) as proxy:
            coin = group.start(
                "coin_api.main",
                {
                    "BALANCE_API_URL": proxy.url,
                    "BALANCE_API_TIMEOUT_S": str(LEDGER_TIMEOUT_S),
                    **ONLY_AT_START_UP,
                },
            )
            fast = group.start(
                "coin_api.main",
                {
                    "BALANCE_API_URL": balance.url,
                    "DAILY_COOLDOWN_SECONDS": str(FAST_COOLDOWN_S),
                    "DAILY_STREAK_GRACE_SECONDS": str(FAST_GRACE_S),
                    "DAILY_STREAK_MAX_DAYS": "1",
                    **ONLY_AT_START_UP,
                },
            )
            with client_for(users) as u, client_for(coin) as c, client_for(fast) as f:
                yield Stack(database_url, u, c, f, coin, proxy)
        for service in (coin, fast):
            assert "unhandled error" not in service.logs(), f"coin_api answered a 500:\n{service.logs()[-4000:]}"


@pytest.fixture
def api(stack: Stack) -> Iterator[Stack]:
    """The stack with the proxy passing traffic, whatever the previous test left it in."""
    stack.proxy.set_mode("pass")
    yield stack
    stack.proxy.set_mode("pass")
