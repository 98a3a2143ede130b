"""Money is sacred under concurrency: 20 simultaneous settles pay once; 50 simultaneous bets all land."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from bet_api.tests.conftest import ADMIN, Stack, new_snowflake
from buteco_dev.credentials import auth_headers

pytestmark = pytest.mark.slow


def fire_together(count: int, send) -> list[httpx.Response]:
    """count requests released at the same instant from their own threads and connections."""
    barrier = threading.Barrier(count)

    def one(index: int) -> httpx.Response:
        with httpx.Client(timeout=60, trust_env=False, headers=auth_headers()) as client:
            barrier.wait()
            return send(client, index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def test_twenty_concurrent_settles_pay_exactly_once(api: Stack, guild: int):
    admin = api.register()
    members = [api.register(1_000, guild) for _ in range(6)]
    event = api.create_event(guild, admin, ("A", "B"))
    for index, member in enumerate(members):
        assert api.bet(guild, event, member, 100 + index, position=1 + index % 2).status_code == 201
    url = f"{api.bets.base_url}/guilds/{guild}/events/{event['id']}/settle"
    responses = fire_together(
        20, lambda client, _: client.post(url, json={"actor_id": str(admin), **ADMIN, "position": 1})
    )

    assert Counter(r.status_code for r in responses) == {200: 20}, [r.text for r in responses]
    assert sum("Idempotent-Replayed" not in r.headers for r in responses) == 1
    assert len({r.json()["transaction_id"] for r in responses}) == 1
    assert api.transactions(guild, "bet_settle") == [(f"bet:settle:{event['id']}", 4, 0)]
    assert api.escrow(guild, event["id"]) == 0
    pool = sum(100 + index for index in range(6))
    assert sum(api.balance(guild, member) for member in members) == 6_000
    winners = [api.balance(guild, m) - 1_000 + 100 + i for i, m in enumerate(members) if i % 2 == 0]
    assert sum(winners) == pool
    api.assert_books_balanced(guild)


def test_fifty_concurrent_bets_and_raises_all_land_in_the_escrow(api: Stack, guild: int):
    admin = api.register()
    members = [api.register(1_000, guild) for _ in range(40)]
    event = api.create_event(guild, admin, ("A", "B", "C"))
    # 40 members bet once; 10 of them raise at the same moment (50 requests), each with its own key.
    plan = [(members[n], 10 + n, 1 + n % 3) for n in range(40)] + [(members[n], 5, 1 + n % 3) for n in range(10)]
    url = f"{api.bets.base_url}/guilds/{guild}/events/{event['id']}/bets"
    responses = fire_together(
        len(plan),
        lambda client, n: client.post(
            url,
            json={"user_id": str(plan[n][0]), "amount": plan[n][1], "position": plan[n][2]},
            headers={"Idempotency-Key": f"burst-{n}-{new_snowflake()}"},
        ),
    )

    assert Counter(r.status_code for r in responses) == {201: 50}, [r.text for r in responses if r.status_code != 201]
    staked = sum(amount for _, amount, _ in plan)
    assert api.escrow(guild, event["id"]) == staked
    live = api.event(guild, event["id"])
    assert live["total_pool"] == staked and live["bettors"] == 40
    assert api.sql("SELECT count(*), sum(amount) FROM bets WHERE event_id = %s", event["id"]) == [(40, staked)]
    assert api.sql("SELECT count(*) FROM bet_stakes WHERE event_id = %s AND confirmed_at IS NOT NULL", event["id"]) == [
        (50,)
    ]
    assert len(api.transactions(guild, "bet_stake")) == 50
    assert sum(api.balance(guild, member) for member in members) == 40_000 - staked
    api.assert_books_balanced(guild)

    settled = api.settle(guild, event["id"], admin, position=2).json()
    assert settled["paid_out"] == staked and settled["escrow_balance"] == 0
    assert sum(api.balance(guild, member) for member in members) == 40_000
    api.assert_books_balanced(guild)


def test_bets_racing_a_settle_either_land_before_it_or_are_refused(api: Stack, guild: int):
    admin = api.register()
    members = [api.register(1_000, guild) for _ in range(15)]
    event = api.create_event(guild, admin)
    bet_url = f"{api.bets.base_url}/guilds/{guild}/events/{event['id']}/bets"
    settle_url = f"{api.bets.base_url}/guilds/{guild}/events/{event['id']}/settle"

    def send(client: httpx.Client, n: int) -> httpx.Response:
        if n == 7:
            return client.post(settle_url, json={"actor_id": str(admin), **ADMIN, "position": 1})
        member = members[n if n < 7 else n - 1]
        return client.post(
            bet_url,
            json={"user_id": str(member), "amount": 50, "position": 1 + n % 2},
            headers={"Idempotency-Key": f"race-{n}-{new_snowflake()}"},
        )

    responses = fire_together(16, send)
    assert responses[7].status_code == 200, responses[7].text
    bets = [r for n, r in enumerate(responses) if n != 7]
    assert {r.status_code for r in bets} <= {201, 409}
    assert {r.json()["code"] for r in bets if r.status_code == 409} <= {"event_settled"}
    landed = sum(r.status_code == 201 for r in bets)
    assert responses[7].json()["paid_out"] == 50 * landed
    assert api.escrow(guild, event["id"]) == 0
    assert sum(api.balance(guild, member) for member in members) == 15_000
    api.assert_books_balanced(guild)
