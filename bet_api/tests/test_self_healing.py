"""Pending stakes and settlements complete on their own once balance_api is back: nobody retries, nothing restarts."""

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from bet_api.tests.conftest import Stack, client_for
from buteco_dev.processes import ServiceProcess
from buteco_dev.seed import new_snowflake
from service_kit.tests.healing import services_starter, wait_until

pytestmark = pytest.mark.slow
STUCK = 600


class Healing(Stack):
    """A stack of its own whose bet_api reconciles on and on; balance_api may be killed and started again."""

    balance_service: ServiceProcess

    def pending_stakes(self, event_id: int) -> int:
        return self.sql("SELECT count(*) FROM bet_stakes WHERE event_id = %s AND confirmed_at IS NULL", event_id)[0][0]


@pytest.fixture
def healing(database_url, tmp_path) -> Iterator[Callable[..., Healing]]:
    """healing(**bet_env) -> client_api, balance_api and a bet_api (behind a fault proxy) on this test's database."""
    with services_starter(database_url, tmp_path) as start, ExitStack() as clients:

        def healing_stack(**bet_env: str) -> Healing:
            started = start("bet_api.main", **bet_env)
            users, ledger, bets = (
                clients.enter_context(client_for(s.url)) for s in (started.users, started.balance, started.service)
            )
            stack = Healing(database_url, users, ledger, bets, started.service, started.proxy)
            stack.balance_service = started.balance
            return stack

        yield healing_stack


def test_stakes_and_a_settlement_left_pending_by_an_outage_complete_by_themselves(healing):
    """Default reconcile settings: back within seconds of balance_api, with no member or admin action."""
    stack, guild = healing(), new_snowflake()
    admin, members = stack.register(), [stack.register() for _ in range(12)]
    for member in members:
        stack.fund(guild, member, 100)
    event = stack.create_event(guild, admin)
    stack.balance_service.kill()
    for n, member in enumerate(members):
        placed = stack.bet(guild, event, member, 10 + n, position=1 + n % 2)
        assert placed.status_code == 503 and placed.json()["code"] == "stake_pending", placed.text
    settle = stack.settle(guild, event["id"], admin, position=1)
    assert settle.status_code == 503 and settle.json()["code"] == "settlement_pending", settle.text
    time.sleep(3)  # passes fail meanwhile: the reconcile backs off
    stack.balance_service.start()
    healed_in = wait_until(lambda: stack.event(guild, event["id"])["status"] == "settled", seconds=15)
    print(f"\n{len(members)} pending stakes and a settlement healed {healed_in:.2f} s after balance_api came back")
    assert healed_in < 8, "the backoff (RECONCILE_BACKOFF_MAX_S = 5) plus one pass"
    assert stack.pending_stakes(event["id"]) == 0
    pool = sum(10 + n for n in range(len(members)))
    assert sum(stack.balance(guild, member) for member in members) == 100 * len(members)
    assert stack.escrow(guild, event["id"]) == 0 and len(stack.transactions(guild, "bet_stake")) == len(members)
    assert stack.transactions(guild, "bet_settle") == [(f"bet:settle:{event['id']}", 7, 0)]
    assert stack.event(guild, event["id"])["total_pool"] == pool
    stack.assert_books_balanced(guild)


def test_stuck_stakes_ahead_never_hold_back_a_live_one(healing):
    """600 stakes of members forgotten a moment ago wait for the grace; a live stake after them moves at once."""
    stack = healing(RECONCILE_INTERVAL_S="0.2", RECONCILE_BACKOFF_MAX_S="1", RECONCILE_BATCH="50")
    guild = new_snowflake()
    admin, live = stack.register(), stack.register(100, guild)
    event = stack.create_event(guild, admin)
    stack.sql(
        "WITH gone AS (INSERT INTO users (discord_id, forgotten_at) SELECT NULL, now() FROM generate_series(1, %s)"
        " RETURNING id), bet AS (INSERT INTO bets (event_id, outcome_id, user_id)"
        " SELECT %s, (SELECT id FROM bet_outcomes WHERE event_id = %s AND position = 1), id FROM gone RETURNING id)"
        " INSERT INTO bet_stakes (event_id, bet_id, amount, idempotency_key, request_hash)"
        " SELECT %s, id, 5, 'stuck-' || id, repeat('0', 64) FROM bet",
        STUCK,
        event["id"],
        event["id"],
        event["id"],
    )
    stack.proxy.set_mode("refuse")
    assert stack.bet(guild, event, live, 40, position=2).json()["code"] == "stake_pending"
    stack.proxy.set_mode("pass")
    moved_in = wait_until(lambda: stack.escrow(guild, event["id"]) == 40, seconds=10)
    print(f"\na live stake behind {STUCK} stuck ones moved {moved_in:.2f} s after balance_api answered again")
    assert stack.pending_stakes(event["id"]) == STUCK, "the stuck ones wait for their grace, untouched"
    report = stack.bets.post("/bets/reconcile").json()
    assert (report["stakes_found"], report["skipped"], report["stakes_confirmed"], report["failed"]) == (
        STUCK,
        STUCK,
        0,
        0,
    )


def test_a_forgotten_members_pending_stake_is_confirmed_or_dropped_and_the_event_settles(healing):
    """Pending when their members asked to be forgotten: one the ledger moved (its answer lost), one it never saw."""
    stack = healing(RECONCILE_INTERVAL_S="0.2", RECONCILE_BACKOFF_MAX_S="1", FORGOTTEN_MEMBER_GRACE_S="1")
    guild = new_snowflake()
    admin, moved, never, stays = stack.register(), *(stack.register(100, guild) for _ in range(3))
    event = stack.create_event(guild, admin)
    assert stack.bet(guild, event, stays, 10, position=2).status_code == 201
    for member, mode in ((moved, "drop_response"), (never, "refuse")):
        stack.proxy.set_mode(mode)
        assert stack.bet(guild, event, member, 30, position=1, key=f"gone-{member}").status_code == 503
    for member in (moved, never):
        assert stack.users.delete(f"/users/by-discord/{member}").status_code == 200
    assert stack.settle(guild, event["id"], admin, position=1).json()["code"] == "settlement_pending"
    stack.proxy.set_mode("pass")
    wait_until(lambda: stack.event(guild, event["id"])["status"] == "settled", seconds=10)
    assert stack.pending_stakes(event["id"]) == 0 and len(stack.transactions(guild, "bet_stake")) == 2
    assert stack.sql("SELECT count(*) FROM bets WHERE event_id = %s", event["id"]) == [(2,)], "the unseen one dropped"
    assert stack.escrow(guild, event["id"]) == 0 and stack.balance(guild, stays) == 90
    sink = stack.ledger.get(f"/guilds/{guild}/system/sink/balance").json()["balance"]
    assert sink == 40, "the forgotten winner's payout goes to the sink"
    replay = stack.bet(guild, event, moved, 30, position=1, key=f"gone-{moved}")
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true", replay.text
    dropped = stack.bet(guild, event, never, 30, position=1, key=f"gone-{never}")
    assert dropped.status_code == 404 and dropped.json()["code"] == "user_not_found"
    stack.assert_books_balanced(guild)
