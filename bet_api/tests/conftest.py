"""Real services for bet_api's HTTP tests: client_api, balance_api, and bet_api behind a fault proxy."""

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from buteco_dev.credentials import auth_headers
from buteco_dev.fault_proxy import FaultProxy
from buteco_dev.postgres import fresh_database, query
from buteco_dev.processes import ServiceGroup, ServiceProcess
from buteco_dev.seed import fund_member, new_snowflake

LEDGER_TIMEOUT_S = 1.0
ADMIN = {"actor_is_admin": True}
ONLY_AT_START_UP = {"RECONCILE_INTERVAL_S": "3600", "RECONCILE_BACKOFF_MAX_S": "3600"}
"""These tests look at pending stakes: the reconcile runs once, at start-up (test_self_healing runs it on and on)."""


def client_for(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers=auth_headers(), timeout=60, trust_env=False)


@dataclass
class Stack:
    """The services every bet_api test talks to, and the proxy between bet_api and balance_api."""

    database_url: str
    users: httpx.Client
    ledger: httpx.Client
    bets: httpx.Client
    bet_service: ServiceProcess
    proxy: FaultProxy

    def register(self, funds: int = 0, guild: int | None = None) -> int:
        """Register a member through client_api and, if asked, fund them from the guild's mint."""
        discord_id = new_snowflake()
        response = self.users.post("/users", json={"discord_id": str(discord_id), "display_name": "member"})
        assert response.status_code in (200, 201), response.text
        if funds:
            assert guild is not None
            self.fund(guild, discord_id, funds)
        return discord_id

    def fund(self, guild: int, member: int, amount: int) -> None:
        response = fund_member(str(self.ledger.base_url), guild, member, amount, key=f"fund-{new_snowflake()}")
        assert response.status_code == 201, response.text

    def create_event(self, guild: int, admin: int, outcomes: tuple[str, ...] = ("Yes", "No"), **extra) -> dict:
        body = {"actor_id": str(admin), **ADMIN, "title": "Will it rain?", "outcomes": list(outcomes), **extra}
        response = self.bets.post(
            f"/guilds/{guild}/events", json=body, headers={"Idempotency-Key": f"event-{new_snowflake()}"}
        )
        assert response.status_code == 201, response.text
        return response.json()

    def bet(
        self,
        guild: int,
        event: dict | int,
        member: int,
        amount: int,
        *,
        position: int | None = None,
        outcome_id: int | None = None,
        key: str | None = None,
    ) -> httpx.Response:
        event_id = event["id"] if isinstance(event, dict) else event
        choice = {"outcome_id": outcome_id} if outcome_id is not None else {"position": position or 1}
        return self.bets.post(
            f"/guilds/{guild}/events/{event_id}/bets",
            json={"user_id": str(member), "amount": amount, **choice},
            headers={"Idempotency-Key": key or f"bet-{new_snowflake()}"},
        )

    def settle(self, guild: int, event_id: int, admin: int, position: int) -> httpx.Response:
        return self.bets.post(
            f"/guilds/{guild}/events/{event_id}/settle", json={"actor_id": str(admin), **ADMIN, "position": position}
        )

    def cancel(self, guild: int, event_id: int, admin: int) -> httpx.Response:
        return self.bets.post(f"/guilds/{guild}/events/{event_id}/cancel", json={"actor_id": str(admin), **ADMIN})

    def event(self, guild: int, event_id: int) -> dict:
        response = self.bets.get(f"/guilds/{guild}/events/{event_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def sql(self, statement: str, *params) -> list[tuple]:
        """Read the database directly, so tests check what was stored, not only what was answered."""
        return query(self.database_url, statement, *params)

    def balance(self, guild: int, member: int) -> int:
        response = self.ledger.get(f"/guilds/{guild}/members/{member}/balance")
        assert response.status_code == 200, response.text
        return response.json()["balance"]

    def escrow(self, guild: int, event_id: int) -> int:
        response = self.ledger.get(f"/guilds/{guild}/system/escrow:bet:{event_id}/balance")
        assert response.status_code == 200, response.text
        return response.json()["balance"]

    def assert_books_balanced(self, guild: int) -> None:
        audit = self.ledger.get(f"/guilds/{guild}/audit").json()
        assert audit["balanced"] is True, audit

    def transactions(self, guild: int, kind: str) -> list[tuple]:
        """(key, postings, sum) of the guild's ledger transactions of one kind."""
        return self.sql(
            "SELECT t.idempotency_key, count(p.id), sum(p.amount) FROM ledger_transactions t"
            " JOIN postings p ON p.transaction_id = t.id WHERE t.guild_id = %s AND t.kind = %s"
            " GROUP BY t.id ORDER BY t.id",
            guild,
            kind,
        )


@pytest.fixture(scope="session")
def stack(pg_admin_url, migrated_template_url, tmp_path_factory) -> Iterator[Stack]:
    """One set of services for every bet_api test module: starting them is most of the suite's time."""
    with (
        fresh_database(pg_admin_url, "bet") as database_url,
        ServiceGroup(database_url, tmp_path_factory.mktemp("bet-services")) as group,
    ):
        users, balance = group.start("client_api.main"), group.start("balance_api.main")
        with FaultProxy(balance.url) as proxy:
            bet = group.start(
                "bet_api.main",
                {
                    "BALANCE_API_URL": proxy.url,
                    "BALANCE_API_TIMEOUT_S": str(LEDGER_TIMEOUT_S),
                    "BALANCE_API_SETTLE_TIMEOUT_S": str(LEDGER_TIMEOUT_S * 5),
                    **ONLY_AT_START_UP,
                },
            )
            with client_for(users.url) as u, client_for(balance.url) as b, client_for(bet.url) as c:
                yield Stack(database_url, u, b, c, bet, proxy)
        assert "unhandled error" not in bet.logs(), f"bet_api answered a 500:\n{bet.logs()[-4000:]}"
        assert "BUG" not in bet.logs(), f"bet_api logged a bug:\n{bet.logs()[-4000:]}"


@pytest.fixture
def api(stack: Stack) -> Iterator[Stack]:
    """The stack with the proxy passing traffic, whatever the previous test left it in."""
    stack.proxy.set_mode("pass")
    yield stack
    stack.proxy.set_mode("pass")


@pytest.fixture
def guild() -> int:
    return new_snowflake()
