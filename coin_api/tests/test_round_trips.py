"""What PostgreSQL receives per /daily request, from its own statement log: one round trip per step, no BEGIN,
COMMIT or ROLLBACK around them, and only the two commits the money rules need (the claim recorded before the ledger
pays it, then marked credited)."""

import httpx
import pytest

from buteco_dev.credentials import auth_headers
from buteco_dev.migrations import run_migrations
from buteco_dev.postgres import Postgres, create_database, find_bin_dir
from buteco_dev.processes import python_service
from buteco_dev.seed import new_snowflake
from buteco_dev.statement_log import SETTINGS, mark, statements_since
from coin_api.tests.conftest import ONLY_AT_START_UP

_A_CLAIM = [  # what each statement is, by how it starts
    "SELECT daily_claims.",  # the key's claim, if any: replays first
    "SELECT u.id AS member_id",  # the member, their latest claim and the clock
    "WITH bounded AS MATERIALIZED",  # the member's lock, its wait bounded
    "SELECT daily_claims.",  # the key again, under the lock
    "SELECT daily_claims.",  # claims left pending
    "SELECT u.id AS member_id",  # latest claim and clock, under the lock
    "INSERT INTO daily_claims",  # recorded (commits alone) before the ledger is asked
    "UPDATE daily_claims",  # credited
    "SELECT pg_advisory_unlock",
]


def _sent(server: Postgres, call, status: int) -> tuple[list[str], list[str]]:
    since = mark(server)
    assert call().status_code == status
    sent = statements_since(server, since)
    return [s for name, s in sent if name == "coin_api"], [s for name, s in sent if name == "balance_api"]


@pytest.mark.slow
@pytest.mark.skipif(find_bin_dir() is None, reason="no PostgreSQL server binaries (make install)")
def test_a_daily_claim_is_one_round_trip_per_step(tmp_path):
    with Postgres.throwaway(settings=SETTINGS) as server:
        url = create_database(server.url, "wire")
        run_migrations(url)
        users = python_service("client_api.main", database_url=url, log_dir=tmp_path).start()
        balance = python_service("balance_api.main", database_url=url, log_dir=tmp_path).start()
        env = {**ONLY_AT_START_UP, "BALANCE_API_URL": balance.url}
        coin = python_service("coin_api.main", database_url=url, env=env, log_dir=tmp_path).start()
        try:
            with httpx.Client(headers=auth_headers(), timeout=10, trust_env=False) as api:
                guild, member = new_snowflake(), new_snowflake()
                daily = f"{coin.url}/guilds/{guild}/members/{member}/daily"
                assert api.post(f"{users.url}/users", json={"discord_id": str(member)}).status_code == 201
                assert api.get(daily).status_code == 200  # the connection's first statements, before we look

                def claim(key: str):
                    return lambda: api.post(daily, headers={"Idempotency-Key": key})

                mine, ledger = _sent(server, claim(f"first-{guild}"), 201)
                assert [next((p for p in _A_CLAIM if s.startswith(p)), s) for s in mine] == _A_CLAIM, mine
                assert [s.split("(")[0] for s in ledger if not s.startswith("PREPARE")] == ["EXECUTE ledger_post_call"]

                assert len(_sent(server, claim(f"second-{guild}"), 409)[0]) == 2  # refused before any lock
                assert len(_sent(server, claim(f"first-{guild}"), 200)[0]) == 2  # a replay: the claim, its member
                assert len(_sent(server, lambda: api.get(daily), 200)[0]) == 2  # the status: the member, pending
        finally:
            for service in (coin, balance, users):
                service.stop()
