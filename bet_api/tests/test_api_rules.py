"""What bet_api refuses, and how: admins only, bad input as a clear 4xx (never a 500), keys replayed once."""

import pytest

from bet_api.tests.conftest import Stack, new_snowflake

pytestmark = pytest.mark.slow
NOT_ADMIN = {"actor_is_admin": False}


def test_only_admins_create_lock_settle_or_cancel(api: Stack, guild: int):
    admin, member = api.register(), api.register(100, guild)
    refused = api.bets.post(
        f"/guilds/{guild}/events",
        headers={"Idempotency-Key": f"na-{guild}"},
        json={"actor_id": str(member), **NOT_ADMIN, "title": "t", "outcomes": ["a", "b"]},
    )
    assert refused.status_code == 403 and refused.json()["code"] == "not_admin"
    assert "Manage Server" in refused.json()["detail"]
    event = api.create_event(guild, admin)
    assert api.bet(guild, event, member, 10).status_code == 201
    for action, extra in (("lock", {}), ("settle", {"position": 1}), ("cancel", {})):
        answer = api.bets.post(
            f"/guilds/{guild}/events/{event['id']}/{action}", json={"actor_id": str(member), **NOT_ADMIN, **extra}
        )
        assert answer.status_code == 403 and answer.json()["code"] == "not_admin", (action, answer.text)
    assert api.event(guild, event["id"])["status"] == "open"
    assert api.escrow(guild, event["id"]) == 10
    assert api.bets.get(f"/guilds/{guild}/events").json()["items"][0]["id"] == event["id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "", "outcomes": ["a", "b"]}, "title"),
        ({"title": "t" * 201, "outcomes": ["a", "b"]}, "title"),
        ({"title": "t", "outcomes": ["only one"]}, "outcomes"),
        ({"title": "t", "outcomes": [f"o{n}" for n in range(26)]}, "outcomes"),
        ({"title": "t", "outcomes": ["Yes", "yes "]}, "different"),
        ({"title": "t", "outcomes": ["a", "  "]}, "outcomes"),
        ({"title": "t", "outcomes": ["a", "b"], "closes_at": "2099-01-01T00:00:00"}, "closes_at"),
        ({"title": "t", "outcomes": ["a", "b"], "closes_at": "2001-01-01T00:00:00Z"}, "closes_at"),
        ({"title": "t", "outcomes": ["a", "b"], "surprise": 1}, "surprise"),
        ({"title": "t", "outcomes": "a,b"}, "outcomes"),
    ],
)
def test_malformed_events_are_422_naming_the_field(api: Stack, guild: int, body: dict, field: str):
    admin = api.register()
    answer = api.bets.post(
        f"/guilds/{guild}/events",
        headers={"Idempotency-Key": f"bad-{new_snowflake()}"},
        json={"actor_id": str(admin), "actor_is_admin": True, **body},
    )
    assert answer.status_code == 422, answer.text
    assert field in answer.json()["detail"] and answer.json()["request_id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": 0, "position": 1}, "amount"),
        ({"amount": -5, "position": 1}, "amount"),
        ({"amount": 10**12 + 1, "position": 1}, "amount"),
        ({"amount": "10", "position": 1}, "amount"),
        ({"amount": 1.5, "position": 1}, "amount"),
        ({"amount": 10}, "outcome_id or position"),
        ({"amount": 10, "position": 1, "outcome_id": 1}, "outcome_id or position"),
        ({"amount": 10, "position": 26}, "position"),
        ({"amount": 10, "position": 0}, "position"),
    ],
)
def test_malformed_bets_are_422(api: Stack, guild: int, body: dict, field: str):
    admin, member = api.register(), api.register(100, guild)
    event = api.create_event(guild, admin)
    answer = api.bets.post(
        f"/guilds/{guild}/events/{event['id']}/bets",
        json={"user_id": str(member), **body},
        headers={"Idempotency-Key": f"bad-{new_snowflake()}"},
    )
    assert answer.status_code == 422, answer.text
    assert field in answer.json()["detail"]


def test_bad_paths_headers_and_unknown_things_are_4xx(api: Stack, guild: int):
    admin, member = api.register(), api.register(100, guild)
    event = api.create_event(guild, admin)
    url = f"/guilds/{guild}/events/{event['id']}/bets"
    body = {"user_id": str(member), "amount": 5, "position": 1}
    assert api.bets.post(url, json=body).status_code == 422, "the Idempotency-Key header is required"
    assert api.bets.post(url, json=body, headers={"Idempotency-Key": "bad key!"}).status_code == 422
    assert api.bets.get("/guilds/0/events").status_code == 422
    assert api.bets.get(f"/guilds/{guild}/events/abc").status_code == 422
    assert api.bets.get(f"/guilds/{guild}/events", params={"status": "maybe"}).status_code == 422
    assert api.bets.get(f"/guilds/{guild}/events", params={"limit": 0}).status_code == 422
    answer = api.bets.post(
        url, content=b"{not json", headers={"Idempotency-Key": "k-json", "Content-Type": "application/json"}
    )
    assert answer.status_code == 422 and "invalid JSON" in answer.json()["detail"]
    missing = api.bet(guild, 999_999_999, member, 5)
    assert missing.status_code == 404 and missing.json()["code"] == "event_not_found"
    wrong_guild = api.bet(new_snowflake(), event, member, 5)
    assert wrong_guild.status_code == 404 and wrong_guild.json()["code"] == "event_not_found"
    no_outcome = api.bet(guild, event, member, 5, position=3)
    assert no_outcome.status_code == 404 and no_outcome.json()["code"] == "outcome_not_found"
    stranger = api.bet(guild, event, new_snowflake(), 5)
    assert stranger.status_code == 404 and stranger.json()["code"] == "user_not_found"
    settle_other = api.bets.post(
        f"/guilds/{guild}/events/{event['id']}/settle",
        json={"actor_id": str(admin), "actor_is_admin": True, "outcome_id": 999_999_999},
    )
    assert settle_other.status_code == 404 and settle_other.json()["code"] == "outcome_not_found"
    assert api.bets.get(f"/guilds/{guild}/members/{new_snowflake()}/bets").json()["code"] == "user_not_found"
    assert api.bets.get(f"/guilds/{guild}/events", headers={"Authorization": "Bearer wrong"}).status_code == 401
    unregistered_admin = api.bets.post(
        f"/guilds/{guild}/events",
        headers={"Idempotency-Key": f"u-{guild}"},
        json={"actor_id": str(new_snowflake()), "actor_is_admin": True, "title": "t", "outcomes": ["a", "b"]},
    )
    assert unregistered_admin.status_code == 404 and unregistered_admin.json()["code"] == "user_not_found"


def test_a_short_balance_is_a_clear_409_and_moves_nothing(api: Stack, guild: int):
    admin, member = api.register(), api.register(50, guild)
    event = api.create_event(guild, admin)
    short = api.bet(guild, event, member, 80, key=f"short-{guild}")
    assert short.status_code == 409, short.text
    assert short.json()["code"] == "insufficient_funds" and short.json()["balance"] == 50
    assert "your balance is 50" in short.json()["detail"]
    assert api.sql("SELECT count(*) FROM bets WHERE event_id = %s", event["id"]) == [(0,)]
    assert api.balance(guild, member) == 50
    switch = api.bet(guild, event, member, 20, position=2, key=f"after-short-{guild}")
    assert switch.status_code == 201, "a refused first stake leaves no side taken"
    api.fund(guild, member, 100)
    retried = api.bet(guild, event, member, 80, position=2, key=f"short-{guild}")
    assert retried.status_code == 201, "a refused request did not consume its key"
    assert retried.json()["amount"] == 100 and api.escrow(guild, event["id"]) == 100


def test_keys_replay_the_first_answer_and_refuse_another_body(api: Stack, guild: int):
    admin, member = api.register(), api.register(100, guild)
    body = {"actor_id": str(admin), "actor_is_admin": True, "title": "Replay?", "outcomes": ["a", "b"]}
    first = api.bets.post(f"/guilds/{guild}/events", json=body, headers={"Idempotency-Key": f"ev-{guild}"})
    again = api.bets.post(f"/guilds/{guild}/events", json=body, headers={"Idempotency-Key": f"ev-{guild}"})
    assert (first.status_code, again.status_code, again.headers["Idempotent-Replayed"]) == (201, 200, "true")
    assert again.json()["id"] == first.json()["id"]
    other = api.bets.post(
        f"/guilds/{guild}/events", json={**body, "title": "Other"}, headers={"Idempotency-Key": f"ev-{guild}"}
    )
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"

    placed = api.bet(guild, first.json(), member, 30, key=f"bet-{guild}")
    replay = api.bet(guild, first.json(), member, 30, key=f"bet-{guild}")
    assert (placed.status_code, replay.status_code, replay.headers["Idempotent-Replayed"]) == (201, 200, "true")
    assert replay.json()["stake"] == placed.json()["stake"]
    reused = api.bet(guild, first.json(), member, 31, key=f"bet-{guild}")
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"
    assert api.balance(guild, member) == 70 and len(api.transactions(guild, "bet_stake")) == 1


def test_the_lock_endpoint_is_idempotent_and_refuses_closed_events(api: Stack, guild: int):
    admin = api.register()
    event = api.create_event(guild, admin)
    lock = {"actor_id": str(admin), "actor_is_admin": True}
    first = api.bets.post(f"/guilds/{guild}/events/{event['id']}/lock", json=lock).json()
    second = api.bets.post(f"/guilds/{guild}/events/{event['id']}/lock", json=lock).json()
    assert first["status"] == second["status"] == "locked" and first["locked_at"] == second["locked_at"]
    api.cancel(guild, event["id"], admin)
    closed = api.bets.post(f"/guilds/{guild}/events/{event['id']}/lock", json=lock)
    assert closed.status_code == 409 and closed.json()["code"] == "event_cancelled"
