"""Pending claims complete on their own once balance_api is back: no member retries, no reconcile call, no restart."""

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import httpx
import pytest

from buteco_dev.processes import ServiceProcess
from buteco_dev.seed import new_snowflake
from coin_api.tests.conftest import Stack, client_for
from service_kit.tests.healing import Services, services_starter, wait_until

pytestmark = pytest.mark.slow
STUCK = 600


class Healing(Stack):
    """A stack of its own whose coin_api reconciles on and on; balance_api may be killed and started again."""

    balance_service: ServiceProcess

    def pending(self, guild: int) -> int:
        return self.sql(
            "SELECT count(*) FROM daily_claims WHERE guild_id = %s AND credited_at IS NULL AND voided_at IS NULL", guild
        )[0][0]


@pytest.fixture
def healing(database_url, tmp_path) -> Iterator[Callable[..., Healing]]:
    """healing(**coin_env) -> client_api, balance_api and a coin_api (behind a fault proxy) on this test's database."""
    with services_starter(database_url, tmp_path) as start, ExitStack() as clients:

        def healing_stack(**coin_env: str) -> Healing:
            started: Services = start("coin_api.main", **coin_env)
            users, coin = (clients.enter_context(client_for(s)) for s in (started.users, started.service))
            stack = Healing(database_url, users, coin, coin, started.service, started.proxy)
            stack.balance_service = started.balance
            return stack

        yield healing_stack


def test_claims_left_pending_by_a_ledger_outage_complete_by_themselves(healing):
    """Default reconcile settings: back within seconds of balance_api, with no member action."""
    stack, guild = healing(), new_snowflake()
    members = [stack.register() for _ in range(30)]
    stack.balance_service.kill()
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda m: stack.claim(guild, m, key=f"outage-{guild}-{m}"), members))
    assert {(a.status_code, a.json()["code"]) for a in answers} == {(503, "credit_pending")}
    assert stack.pending(guild) == 30
    time.sleep(3)  # passes fail meanwhile: the reconcile backs off
    stack.balance_service.start()
    healed_in = wait_until(lambda: stack.pending(guild) == 0, seconds=15)
    print(f"\n{len(members)} pending claims healed {healed_in:.2f} s after balance_api answered /health again")
    assert healed_in < 8, "the backoff (RECONCILE_BACKOFF_MAX_S = 5) plus one pass"
    keys = stack.sql("SELECT t.idempotency_key FROM ledger_transactions t WHERE t.guild_id = %s", guild)
    assert len(keys) == len({key for (key,) in keys}) == 30
    assert all(stack.balance(guild, member) == 100 for member in members)
    status = stack.coin.get(f"/guilds/{guild}/members/{members[0]}/daily").json()
    assert status["pending_credit"] is False
    assert "reconcile: ReconcileReport(found=30, credited=30" in stack.coin_service.logs()


def test_stuck_claims_ahead_never_hold_back_a_live_one(healing):
    """600 claims of members forgotten a moment ago wait for the grace; the live claim after them is paid at once."""
    stack = healing(RECONCILE_INTERVAL_S="0.2", RECONCILE_BATCH="50", FORGOTTEN_MEMBER_GRACE_S="3600")
    guild, live = new_snowflake(), stack.register()
    stack.sql(
        "WITH gone AS (INSERT INTO users (discord_id, forgotten_at) SELECT NULL, now() FROM generate_series(1, %s)"
        " RETURNING id) INSERT INTO daily_claims (guild_id, user_id, claim_number, streak, amount, idempotency_key)"
        " SELECT %s, id, 1, 1, 100, 'stuck-' || id FROM gone",
        STUCK,
        guild,
    )
    stack.sql(
        "INSERT INTO daily_claims (guild_id, user_id, claim_number, streak, amount, idempotency_key)"
        " SELECT %s, id, 1, 1, 100, %s FROM users WHERE discord_id = %s",
        guild,
        f"live-{guild}",
        live,
    )
    paid_in = wait_until(lambda: stack.balance(guild, live) == 100, seconds=10)
    print(f"\na live claim behind {STUCK} stuck ones was paid {paid_in:.2f} s after it was recorded")
    assert stack.pending(guild) == STUCK, "the stuck ones wait for their grace, untouched"
    report = stack.coin.post("/daily/reconcile").json()
    assert report == {"found": STUCK, "credited": 0, "voided": 0, "skipped": STUCK, "failed": 0}
    assert stack.sql("SELECT count(*) FROM ledger_transactions WHERE guild_id = %s", guild) == [(1,)]


def test_a_forgotten_members_pending_claim_is_voided_or_credited_as_the_ledger_says(healing):
    """Pending when their members asked to be forgotten: one the ledger applied (its answer lost), one it never saw."""
    stack = healing(RECONCILE_INTERVAL_S="0.2", FORGOTTEN_MEMBER_GRACE_S="1")
    guild, paid, never_paid = new_snowflake(), stack.register(), stack.register()
    for member, mode in ((paid, "drop_response"), (never_paid, "refuse")):
        stack.proxy.set_mode(mode)
        assert stack.claim(guild, member, key=f"gone-{member}").json()["code"] == "credit_pending"
    for member in (never_paid, paid):
        assert stack.users.delete(f"/users/by-discord/{member}").status_code == 200
    stack.proxy.set_mode("pass")
    wait_until(lambda: stack.pending(guild) == 0, seconds=10)
    rows = stack.sql(
        "SELECT idempotency_key, credited_at IS NOT NULL, voided_at IS NOT NULL, transaction_id IS NOT NULL"
        " FROM daily_claims WHERE guild_id = %s ORDER BY id",
        guild,
    )
    assert rows == [(f"gone-{paid}", True, False, True), (f"gone-{never_paid}", False, True, False)]
    minted = stack.sql("SELECT id FROM ledger_transactions WHERE guild_id = %s AND kind = 'daily'", guild)
    paid_with = stack.sql("SELECT transaction_id FROM daily_claims WHERE idempotency_key = %s", f"gone-{paid}")
    assert minted == paid_with, "the credit the ledger applied counts once; no coin is minted for the voided claim"
    for member, credited, voided in ((never_paid, False, True), (paid, True, False)):
        replay = stack.claim(guild, member, key=f"gone-{member}")
        assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true", replay.text
        assert (replay.json()["credited"], replay.json()["voided"]) == (credited, voided)
    audit = httpx.get(f"{stack.balance_service.url}/guilds/{guild}/audit", headers=stack.users.headers).json()
    assert audit["balanced"] is True
    assert "voided: the ledger never credited it" in stack.coin_service.logs()
