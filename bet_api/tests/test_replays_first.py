"""A bet's key, an event's key and a closed event answer their first result before anything else is checked."""

from bet_api.tests.conftest import ADMIN, Stack


def forget(api: Stack, member: int) -> None:
    assert api.users.delete(f"/users/by-discord/{member}").status_code == 200


def test_a_stake_and_an_event_replay_after_their_member_is_forgotten(api: Stack, guild: int):
    admin, member = api.register(), api.register(100, guild)
    body = {"actor_id": str(admin), **ADMIN, "title": "Replayed?", "outcomes": ["Yes", "No"]}
    created = api.bets.post(f"/guilds/{guild}/events", json=body, headers={"Idempotency-Key": f"event-{guild}"})
    placed = api.bet(guild, created.json()["id"], member, 40, key=f"stake-{guild}")
    assert (created.status_code, placed.status_code) == (201, 201), placed.text
    forget(api, member)
    forget(api, admin)
    again = api.bet(guild, created.json()["id"], member, 40, key=f"stake-{guild}")
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true", again.text
    assert again.json()["stake"] == placed.json()["stake"] and again.json()["user_id"] is None
    recreated = api.bets.post(f"/guilds/{guild}/events", json=body, headers={"Idempotency-Key": f"event-{guild}"})
    assert recreated.status_code == 200 and recreated.json()["id"] == created.json()["id"], recreated.text
    fresh = api.bet(guild, created.json()["id"], member, 40, key=f"another-{guild}")
    assert fresh.status_code == 404 and fresh.json()["code"] == "user_not_found"
    assert len(api.transactions(guild, "bet_stake")) == 1


def test_a_closed_event_answers_a_repeat_even_from_an_actor_no_longer_admin(api: Stack, guild: int):
    admin, member = api.register(), api.register(100, guild)
    event = api.create_event(guild, admin)
    api.bet(guild, event, member, 30, position=1)
    settled = api.settle(guild, event["id"], admin, position=1)
    assert settled.status_code == 200, settled.text
    no_longer = {"actor_id": str(admin), "actor_is_admin": False, "position": 1}
    repeat = api.bets.post(f"/guilds/{guild}/events/{event['id']}/settle", json=no_longer)
    assert repeat.status_code == 200 and repeat.headers["Idempotent-Replayed"] == "true", repeat.text
    assert repeat.json()["transaction_id"] == settled.json()["transaction_id"]
    other = api.bets.post(
        f"/guilds/{guild}/events/{event['id']}/cancel", json={"actor_id": str(admin), "actor_is_admin": False}
    )
    assert other.status_code == 409 and other.json()["code"] == "event_settled"
    fresh = api.create_event(guild, admin)
    refused = api.bets.post(f"/guilds/{guild}/events/{fresh['id']}/settle", json=no_longer)
    assert refused.status_code == 403 and refused.json()["code"] == "not_admin", "deciding still takes an admin"
    assert api.event(guild, fresh["id"])["status"] == "open"
    assert len(api.transactions(guild, "bet_settle")) == 1
