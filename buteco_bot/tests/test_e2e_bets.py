"""/bet through the real bot, the emulator and real client_api, balance_api and bet_api on a migrated PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from buteco_dev.processes import ServiceProcess
from discord_emulator import component_choices

from .bet_flows import (
    admin_action,
    answered,
    balances,
    call,
    choices,
    confirm_prompt,
    create,
    escrow,
    event,
    fund,
    place,
    placed,
    press_twice,
    preview,
    prompt_for,
    quiz_events,
)
from .conftest import ACK_LIMIT_S, Services, World, text_of

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

FUNDS = {"alice": 1000, "bob": 300, "stranger": 100}
SHARED: dict[str, Any] = {}


@pytest.fixture(scope="module")
def env(services: Services, bet: ServiceProcess) -> dict[str, str]:
    return {**services.env(), "BET_API_URL": bet.url}


async def test_only_admins_create_and_the_channel_is_told(
    world: World, services: Services, bet: ServiceProcess
) -> None:
    refused = await world.reply("bet create", {"title": "Nope", "outcomes": "A | B"}, user=world.bob)
    assert "Manage Server" in text_of(refused) and refused.ephemeral
    bad = await world.reply("bet create", {"title": "Bad", "outcomes": "Only one"}, user=world.admin)
    assert "2 to 25" in text_of(bad) and bad.ephemeral
    derby = await create(world, "Sunday derby", "Red | Blue | Draw", description="Who wins?", closes_in_minutes=120)
    found = event(bet, world.guild.id, derby)
    assert [o["label"] for o in found["outcomes"]] == ["Red", "Blue", "Draw"] and found["status"] == "open"
    assert found["closes_at"] and found["creator_id"] == str(world.admin.id)
    SHARED["derby"] = derby
    for member in (world.alice, world.bob, world.stranger):
        fund(services, world.guild.id, member, FUNDS[member.user.username])


async def test_place_with_buttons_form_and_a_double_clicked_confirm(
    world: World, services: Services, bet: ServiceProcess
) -> None:
    derby, alice, guild_id = SHARED["derby"], world.alice, world.guild.id
    record = await world.run("bet place", {"event": derby}, user=alice)
    picker = await record.wait_for_original()
    assert [c.label for c in component_choices(picker)] == ["1. Red", "2. Blue", "3. Draw"]
    click = await world.click(picker, "1. Red", user=alice)
    assert click.modal and "Red" in click.modal["title"]
    submitted = await answered(world, await world.emulator.submit_modal(click, {"stake": "200"}))
    prompt = await submitted.wait_until(confirm_prompt, 5)
    assert "**200** moedas em **Red**" in text_of(prompt) and "você recebe **200** moedas" in text_of(prompt)
    assert services.balance_of(guild_id, alice.id) == 1000, "nothing moves before Confirm"

    done = await (await press_twice(world, prompt, "Confirmar", alice)).wait_until(placed, 5)
    await asyncio.sleep(0.3)
    assert "**200** moedas em **Red**" in text_of(done) and not component_choices(done)
    assert services.balance_of(guild_id, alice.id) == 800 and escrow(services, guild_id, derby) == 200
    statement = call("GET", f"{services.balance.url}/guilds/{guild_id}/members/{alice.id}/statement").json()
    assert [i["amount"] for i in statement["items"] if i["kind"] == "bet_stake"] == [-200], "one stake moved"
    assert event(bet, guild_id, derby)["total_pool"] == 200

    bob_prompt = await prompt_for(world, world.bob, derby, "2. Blue", 100)
    assert "you get **300** coins" in text_of(bob_prompt)
    await (await world.click(bob_prompt, "Confirm", user=world.bob)).wait_until(placed, 5)
    stranger_prompt = await prompt_for(world, world.stranger, derby, "1. Red", 60)
    assert "you get **83** coins" in text_of(stranger_prompt), "60 × (300 + 60) ÷ (200 + 60), floored"
    await (await world.click(stranger_prompt, "Confirm", user=world.stranger)).wait_until(placed, 5)
    assert balances(services, world) == {"admin": 0, "alice": 800, "bob": 200, "stranger": 40}
    assert escrow(services, guild_id, derby) == 360


async def test_refusals_are_friendly_and_move_nothing(world: World, services: Services) -> None:
    """A stake that cannot succeed is refused when the form is sent, with the numbers: no Confirm to press first."""
    derby, before = SHARED["derby"], balances(services, world)
    broke = await preview(world, world.bob, derby, "2. Blue", "500")
    error = (await broke.wait_for_followups(1))[0]
    assert "your balance is **200**" in text_of(error) and "**500**" in text_of(error) and error.ephemeral
    assert confirm_prompt(broke) is None

    switch = await (await world.run("bet place", {"event": derby}, user=world.alice)).wait_for_original()
    assert [c.label for c in component_choices(switch)] == ["1. Red"], "only the side alice backs"
    assert "Você aposta em **Red** com **200** moedas" in switch.content

    typo = await preview(world, world.bob, derby, "2. Blue", "lots")
    assert "whole number" in text_of(await typo.wait_for_original()) and typo.original.ephemeral

    kept = await prompt_for(world, world.bob, derby, "2. Blue", 5)
    cancelled = await world.click(kept, "Cancel", user=world.bob)
    assert "Nothing was moved" in text_of(await cancelled.wait_for_original())
    assert balances(services, world) == before


async def test_list_and_info_show_pools_and_odds(world: World) -> None:
    derby = SHARED["derby"]
    listed = text_of(await world.reply("bet list", user=world.bob))
    assert f"#{derby} · Sunday derby" in listed and "pool **360** coins · 3 bettor(s)" in listed
    info = await world.reply("bet info", {"event": derby}, user=world.bob)
    body = text_of(info)
    assert info.ephemeral and "Who wins?" in body and "pool **360** coins" in body
    assert "1. Red\npool **260** · 2 bettor(s) · odds ×1.38 (implied 72%)" in body
    assert "2. Blue\npool **100** · 1 bettor(s) · odds ×3.60 (implied 28%)" in body
    assert "3. Draw\npool **0** · 0 bettor(s) · odds — (no stake yet)" in body
    assert "odds ×1,38 (chance implícita 72%)" in text_of(
        await world.reply("bet info", {"event": derby}, user=world.alice)
    )


async def test_autocomplete_offers_at_most_25_and_filters(world: World, bet: ServiceProcess) -> None:
    derby, bob = SHARED["derby"], world.bob
    extra = quiz_events(bet, world, 27)
    admin_action(bet, world, extra[-1], "lock")
    everything = await choices(world, "bet info", "", bob)
    assert len(everything) == 25 and everything[0] == extra[-1] and derby not in everything, "the newest 25"
    assert await choices(world, "bet info", "derby", bob) == [derby]
    by_id = await choices(world, "bet info", f"#{extra[3]}", bob)
    assert extra[3] in by_id and all(str(v).startswith(str(extra[3])) for v in by_id)
    assert extra[-1] not in await choices(world, "bet place", "Quiz", bob), "locked: not for betting"
    assert extra[-1] in await choices(world, "bet settle", "Quiz night 26", bob)
    record = await world.emulator.autocomplete("bet info", {"event": "derby"}, focused="event", user=world.alice)
    assert (await answered(world, record)).choices[0]["name"] == f"#{derby} · Sunday derby · aberta · 360"
    listed = await world.reply("bet list", user=bob)
    assert text_of(listed).count("Quiz night") == 10 and component_choices(listed), "10 a page, ▶ for more"
    for quiz in extra:
        admin_action(bet, world, quiz, "cancel")


async def test_settling_is_for_admins_on_the_command_and_on_every_button(
    world: World, services: Services, bet: ServiceProcess
) -> None:
    derby, guild_id, before = SHARED["derby"], world.guild.id, balances(services, world)
    for command in ("bet settle", "bet cancel", "bet lock"):
        refused = await world.reply(command, {"event": derby}, user=world.bob)
        assert "Manage Server" in text_of(refused) and refused.ephemeral, command

    record = await world.run("bet settle", {"event": derby}, user=world.admin)
    assert "only members with Manage Server" in (await record.wait_for_original()).content
    prompt = (await record.wait_for_followups(2))[1]
    assert not prompt.ephemeral and [c.label for c in component_choices(prompt)][:3] == ["1. Red", "2. Blue", "3. Draw"]

    intruder = await world.click(prompt, "2. Blue", user=world.bob)
    refusal = await intruder.wait_for_original()
    assert refusal.ephemeral and "Manage Server" in refusal.content
    await asyncio.sleep(0.3)
    assert event(bet, guild_id, derby)["status"] == "open" and balances(services, world) == before
    assert component_choices(world.emulator.state.messages[prompt.id]), "the admin buttons are still there"

    await press_twice(world, prompt, "1. Red", world.admin)
    announced = await world.emulator.wait_for_message(lambda m: m.id == prompt.id and "settled" in text_of(m), 10)
    body = text_of(announced)
    assert not announced.ephemeral and not component_choices(announced)
    assert "Winner: **Red** — **360** coins shared by 2 winner(s)" in body
    assert f"<@{world.alice.id}> — **277** coins" in body and f"<@{world.stranger.id}> — **83** coins" in body
    assert str(world.bob.id) not in body
    await asyncio.sleep(0.3)
    assert balances(services, world) == {**before, "alice": before["alice"] + 277, "stranger": before["stranger"] + 83}
    assert escrow(services, guild_id, derby) == 0 and event(bet, guild_id, derby)["status"] == "settled"
    audit = call("GET", f"{services.balance.url}/guilds/{guild_id}/audit").json()
    assert audit["balanced"] and audit["postings_sum"] == 0 and audit["balances_sum"] == 0


async def test_lock_then_cancel_refunds_everyone(world: World, services: Services, bet: ServiceProcess) -> None:
    guild_id, before = world.guild.id, balances(services, world)
    rain = await create(world, "Rain tomorrow?", "Yes | No")
    await place(world, world.alice, rain, "1. Yes", 50)
    await place(world, world.bob, rain, "2. No", 30)
    assert escrow(services, guild_id, rain) == 80

    locked = await world.run("bet lock", {"event": rain}, user=world.admin)
    assert "🔒" in (await locked.wait_for_followups(2))[1].content
    late = await world.reply("bet place", {"event": rain}, user=world.alice)
    assert "não aceita mais apostas" in text_of(late) and late.ephemeral

    record = await world.run("bet cancel", {"event": rain}, user=world.admin)
    prompt = (await record.wait_for_followups(2))[1]
    intruder = await world.click(prompt, "Cancel the bet and refund", user=world.stranger)
    assert "Manage Server" in (await intruder.wait_for_original()).content
    await world.click(prompt, "Cancel the bet and refund", user=world.admin)
    announced = await world.emulator.wait_for_message(lambda m: m.id == prompt.id and "cancelled" in text_of(m), 10)
    body = text_of(announced)
    assert "Every stake went back: **80** coins to 2 member(s)" in body and f"<@{world.alice.id}> — **50**" in body
    await asyncio.sleep(0.3)
    assert balances(services, world) == before and escrow(services, guild_id, rain) == 0
    SHARED["rain"] = rain


async def test_mine_shows_bets_and_results(world: World) -> None:
    derby, rain = SHARED["derby"], SHARED["rain"]
    alice = await world.reply("bet mine", user=world.alice)
    body = text_of(alice)
    assert alice.ephemeral and "Suas apostas" in body
    assert f"**#{derby}** Sunday derby — Red: 200 moedas · ganhou **277**" in body
    assert f"**#{rain}** Rain tomorrow? — Yes: 50 moedas · devolvido 50" in body
    bob = text_of(await world.reply("bet mine", user=world.bob))
    assert f"**#{derby}** Sunday derby — Blue: 100 coins · lost" in bob
    nobody = text_of(await world.reply("bet mine", user=world.admin))
    assert "You have not bet yet" in nobody


async def test_help_lists_the_bet_commands(world: World) -> None:
    body = text_of(await world.reply("help", user=world.bob))
    assert "Bets · Bets" in body and "`/bet place <event>`" in body
    assert "Bets · Bets (Manage Server)" not in body and "/bet settle" not in body, "not for members"
    assert "Bets · Bets (Manage Server)" in text_of(await world.reply("help", user=world.admin))
    portuguese = text_of(await world.reply("help", user=world.alice))
    assert "`/aposta apostar <evento>`" in portuguese


async def test_bets_down_is_a_friendly_error_and_an_empty_autocomplete(world: World, bet: ServiceProcess) -> None:
    assert "🟢 Bets (optional)" in text_of(await world.reply("health", user=world.bob))
    bet.kill()
    try:
        failed = await world.reply("bet list", user=world.bob)
        assert "The Bets service is not answering" in text_of(failed) and failed.ephemeral
        record = await world.emulator.autocomplete("bet info", {"event": ""}, focused="event", user=world.bob)
        assert (await answered(world, record)).choices == []
        health = text_of(await world.reply("health", user=world.bob))
        assert "Health: DEGRADED" in health and "🔴 Bets (optional)" in health
    finally:
        bet.start()


async def test_every_first_response_within_three_seconds_and_no_violation(world: World) -> None:
    assert world.records and all(r.latency is not None and r.latency < ACK_LIMIT_S for r in world.records)
    assert not world.emulator.violations, world.emulator.violations
