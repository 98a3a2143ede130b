"""A claim's key answers its first result before anything else: even once its member has been forgotten."""

from coin_api.tests.conftest import Stack, new_snowflake


def forget(api: Stack, member: int) -> None:
    assert api.users.delete(f"/users/by-discord/{member}").status_code == 200


def test_a_credited_claim_replays_after_its_member_is_forgotten(api: Stack):
    guild, member = new_snowflake(), api.register()
    first = api.claim(guild, member, key=f"replay-{guild}")
    assert first.status_code == 201, first.text
    forget(api, member)
    replay = api.claim(guild, member, key=f"replay-{guild}")
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true", replay.text
    assert replay.json() == first.json() and replay.json()["voided"] is False
    assert api.claim(guild, member, key=f"fresh-{guild}").json()["code"] == "user_not_found"

    api.register(member)  # registered again: a new member, with claims of its own
    assert api.claim(guild, member, key=f"replay-{guild}").json() == first.json()
    fresh = api.claim(guild, member, key=f"fresh-{guild}")
    assert fresh.status_code == 201 and fresh.json()["claim_number"] == 1, fresh.text
    assert len(api.daily_transactions(guild)) == 2


def test_a_key_stays_its_members_and_its_guilds(api: Stack):
    guild, member, other = new_snowflake(), api.register(), api.register()
    assert api.claim(guild, member, key=f"mine-{guild}").status_code == 201
    for asked in (
        api.claim(guild, other, key=f"mine-{guild}"),
        api.claim(new_snowflake(), member, key=f"mine-{guild}"),
    ):
        assert asked.status_code == 409 and asked.json()["code"] == "idempotency_key_reused", asked.text
    assert len(api.daily_transactions(guild)) == 1
