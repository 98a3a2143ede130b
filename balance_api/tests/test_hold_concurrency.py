"""Holds racing each other: one capture or one release per hold whatever the timing, no overdraft, books at zero."""

import random
from concurrent.futures import ThreadPoolExecutor

import httpx

from balance_api.tests.conftest import audited, balances, hold, mint, new_snowflake, register
from buteco_dev.credentials import auth_headers
from buteco_dev.postgres import query

HOLDS = 12
CALLS_PER_HOLD = 6  # three captures and three releases, shuffled
WORKERS = 16


def race(url: str, requests: list[tuple[str, str, dict | None, dict]]) -> list[httpx.Response]:
    """Send (method, path, json, headers) requests from WORKERS threads at once."""

    def send(request):
        method, path, body, headers = request
        with httpx.Client(base_url=url, headers=auth_headers(), timeout=60, trust_env=False) as client:
            return client.request(method, path, json=body, headers=headers)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(send, requests))


def test_concurrent_captures_and_releases_resolve_each_hold_exactly_once(api, balance_service, module_database_url):
    guild, alice = new_snowflake(), new_snowflake()
    register(module_database_url, alice)
    assert mint(api, guild, alice, 1000).status_code == 201
    amounts = {hold(api, guild, alice, 10 + n).json()["id"]: 10 + n for n in range(HOLDS)}
    calls = [(hold_id, action) for hold_id in amounts for action in ("capture", "release") * (CALLS_PER_HOLD // 2)]
    random.Random(11).shuffle(calls)
    answers = race(
        balance_service.url,
        [("POST", f"/guilds/{guild}/holds/{hold_id}/{action}", None, {}) for hold_id, action in calls],
    )

    outcome = {}
    for (hold_id, action), answer in zip(calls, answers, strict=True):
        assert answer.status_code in (200, 409), answer.text
        if answer.status_code == 409:
            assert answer.json()["code"] == ("hold_released" if action == "capture" else "hold_captured")
            continue
        assert answer.json()["status"] == ("captured" if action == "capture" else "released")
        assert outcome.setdefault(hold_id, answer.json()) == answer.json(), "every 200 tells the same resolution"
    fresh = [a for a in answers if a.status_code == 200 and "Idempotent-Replayed" not in a.headers]
    assert len(fresh) == HOLDS, "exactly one call per hold moved the coins"
    assert set(outcome) == set(amounts)

    moves = query(
        module_database_url,
        "SELECT idempotency_key FROM ledger_transactions WHERE idempotency_key LIKE 'hold:%%' AND guild_id = %s",
        guild,
    )
    assert len(moves) == HOLDS
    captured = sum(amounts[hold_id] for hold_id, hold_out in outcome.items() if hold_out["status"] == "captured")
    assert balances(api, guild, alice) == (1000 - captured, 0, captured)
    audited(api, guild)


def test_concurrent_holds_never_overdraw_and_a_duplicated_key_holds_once(api, balance_service, module_database_url):
    guild, alice = new_snowflake(), new_snowflake()
    register(module_database_url, alice)
    assert mint(api, guild, alice, 100).status_code == 201
    body = {"user_id": str(alice), "system": "sink", "amount": 10, "kind": "ai_usage", "expires_in_s": 600}
    path = f"/guilds/{guild}/holds"
    requests = [("POST", path, body, {"Idempotency-Key": f"race-{guild}-{n}"}) for n in range(16)]
    requests += [("POST", path, body, {"Idempotency-Key": f"twin-{guild}"}) for _ in range(8)]
    random.Random(5).shuffle(requests)
    answers = race(balance_service.url, requests)

    twins = [
        a
        for (_, _, _, headers), a in zip(requests, answers, strict=True)
        if headers["Idempotency-Key"].startswith("twin")
    ]
    made = [a for a in answers if a.status_code == 201]
    refused = [a for a in answers if a.status_code == 409]
    assert len(made) == 10 and all(a.json()["code"] == "insufficient_funds" for a in refused), [a.text for a in answers]
    if any(a.status_code == 201 for a in twins):
        assert sorted(a.status_code for a in twins) == [200] * 7 + [201]
        assert len({a.json()["id"] for a in twins}) == 1
    else:  # the coins were gone before the twins' turn: each was refused, and the key stayed free
        assert {a.status_code for a in twins} == {409}
    assert query(module_database_url, "SELECT count(*), sum(amount) FROM holds WHERE guild_id = %s", guild) == [
        (10, 100)
    ]
    assert balances(api, guild, alice) == (0, 100, 0)
    audited(api, guild)
