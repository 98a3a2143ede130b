"""Issue 14's reproductions through the real bot, the emulator and real services: a Confirm is offered only when it
can succeed, one that fails anyway becomes the reason, previews pay what settlement pays, errors say what to do,
/help shows what the member may use, and a bet that locks by itself says so in its channel."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from buteco_dev.postgres import query
from buteco_dev.processes import ServiceProcess
from discord_emulator import EmulatorError, Member, component_choices

from .bet_flows import admin_action, answered, call, confirm_prompt, create, fund, place, preview, prompt_for
from .conftest import Services, World, text_of

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]
BIG = 2000  # above TRANSFER_CONFIRM_ABOVE's default (1000): these transfers ask for a Confirm


@pytest.fixture(scope="module")
def env(services: Services, bet: ServiceProcess) -> dict[str, str]:
    return {**services.env(), "BET_API_URL": bet.url, "BET_LOCK_POLL_S": "0.2"}


async def newcomer(world: World, services: Services, coins: int) -> Member:
    member = world.emulator.add_member(world.guild, name=f"m{secrets.token_hex(3)}")
    await asyncio.to_thread(fund, services, world.guild.id, member, coins)
    return member


async def balance(services: Services, world: World, member: Member) -> int | None:
    """Read off the event loop: the emulator and the bot share it, and the E2E guard fails a blocked loop."""
    return await asyncio.to_thread(services.balance_of, world.guild.id, member.id)


def drain(services: Services, world: World, member: Member, to: Member, amount: int) -> None:
    """Someone else spends the member's coins meanwhile (another device, another command)."""
    moved = call(
        "POST",
        f"{services.balance.url}/guilds/{world.guild.id}/transfers",
        {"from_user_id": str(member.id), "to_user_id": str(to.id), "amount": amount},
        idempotency_key=f"test:drain:{secrets.token_hex(8)}",
    )
    assert moved.status_code == 201, moved.text


async def test_no_confirm_for_a_transfer_the_balance_cannot_cover(world: World, services: Services) -> None:
    sender = await newcomer(world, services, 50)
    refused = await world.reply("transfer", {"member": world.bob.id, "amount": BIG}, user=sender)
    body = text_of(refused)
    assert not component_choices(refused), "no Confirm to press for a transfer that would be refused"
    assert "your balance is **50** and this needs **2 000**" in body and refused.ephemeral
    assert "That did not work" in body and "Something went wrong" not in body
    small = await world.reply("transfer", {"member": world.bob.id, "amount": 500}, user=sender)
    assert "your balance is **50** and this needs **500**" in text_of(small), "the ledger's refusal has the numbers"
    assert await balance(services, world, sender) == 50


async def test_amounts_outside_the_limits_name_the_limits(world: World, services: Services) -> None:
    sender = await newcomer(world, services, 5000)
    for amount in (10**12, -5, 0):
        refused = await world.reply("transfer", {"member": world.bob.id, "amount": amount}, user=sender)
        assert "between **1** and **1 000 000** coins" in text_of(refused), (amount, text_of(refused))
        assert not component_choices(refused)
    too_long = {"member": world.bob.id, "amount": 5, "reason": "x" * 250}
    with pytest.raises(EmulatorError, match="between 1 and 200 characters long"):  # Discord's client says so
        await world.emulator.invoke("transfer", too_long, user=sender)
    portuguese = await world.reply("transfer", {"member": world.bob.id, "amount": -5}, user=world.alice)
    assert "de **1** a **1 000 000** moedas" in text_of(portuguese) and "Não deu certo" in text_of(portuguese)
    assert await balance(services, world, sender) == 5000


async def test_the_prompt_names_the_balance_after(world: World, services: Services) -> None:
    sender = await newcomer(world, services, 2500)
    record = await world.run("transfer", {"member": world.bob.id, "amount": BIG}, user=sender)
    prompt = await record.wait_for_original()
    assert "Send **2 000** coins to bob? Your balance after: **500**." in prompt.content
    assert [c.label for c in component_choices(prompt)] == ["Confirm", "Cancel"]


async def test_a_confirm_refused_after_all_becomes_the_reason(world: World, services: Services) -> None:
    sender = await newcomer(world, services, 2500)
    record = await world.run("transfer", {"member": world.bob.id, "amount": BIG}, user=sender)
    prompt = await record.wait_for_original()
    await asyncio.to_thread(drain, services, world, sender, world.bob, 1000)
    await world.click(prompt, "Confirm", user=sender)
    reason = await world.emulator.wait_for_message(lambda m: m.id == prompt.id and "balance is" in text_of(m), 5)
    assert "your balance is **1 500** and this needs **2 000**" in text_of(reason)
    assert not component_choices(reason), "the buttons of a prompt that cannot succeed are gone"
    assert await balance(services, world, sender) == 1500


async def test_bots_and_the_bot_itself_have_their_own_message(world: World, services: Services) -> None:
    sender = await newcomer(world, services, 10)
    refused = await world.reply("transfer", {"member": world.bot.user.id, "amount": 5}, user=sender)
    body = text_of(refused)
    assert f"**{world.bot.user.name}** is a bot" in body and "has not registered" not in body
    assert "That did not work" in body and await balance(services, world, sender) == 10


async def test_a_raise_is_previewed_as_settlement_pays(world: World, services: Services, bet: ServiceProcess) -> None:
    """Bob has 60 on Brazil, alone on it, in a 165 pool and adds 10: he would get all 175, not 25."""
    final = await create(world, "World cup final", "Brazil | Argentina")
    bob, carol = await newcomer(world, services, 100), await newcomer(world, services, 105)
    await place(world, bob, final, "1. Brazil", 60)
    await place(world, carol, final, "2. Argentina", 105)
    raised = await prompt_for(world, bob, final, "1. Brazil", 10)
    body = text_of(raised)
    assert "from **60** to **70** coins" in body and "you get **175** coins in all" in body, body
    assert "Your balance after: **30**" in body


async def test_a_hedge_and_a_stake_over_the_balance_get_no_confirm(
    world: World, services: Services, bet: ServiceProcess
) -> None:
    match = await create(world, "Friendly", "Home | Away")
    fan = await newcomer(world, services, 40)
    stale = await (await world.run("bet place", {"event": match}, user=fan)).wait_for_original()
    await place(world, fan, match, "1. Home", 30)
    picker = await (await world.run("bet place", {"event": match}, user=fan)).wait_for_original()
    assert [c.label for c in component_choices(picker)] == ["1. Home"], "one side per member: only theirs"
    assert "You back **Home** with **30** coins" in picker.content
    click = await world.click(stale, "2. Away", user=fan)  # a picker opened before the first stake
    hedge = await answered(world, await world.emulator.submit_modal(click, {"stake": "5"}))
    error = (await hedge.wait_for_followups(1))[0]
    assert "You already back **Home** on this bet" in text_of(error) and confirm_prompt(hedge) is None
    broke = await preview(world, fan, match, "1. Home", "50")
    error = (await broke.wait_for_followups(1))[0]
    assert "your balance is **10** and the stake is **50**" in text_of(error) and confirm_prompt(broke) is None
    assert "That did not work" in text_of(error)


async def test_a_bet_confirm_refused_after_all_becomes_the_reason(
    world: World, services: Services, bet: ServiceProcess
) -> None:
    race = await create(world, "Race", "Red car | Blue car")
    fan = await newcomer(world, services, 100)
    prompt = await prompt_for(world, fan, race, "1. Red car", 20)
    await asyncio.to_thread(admin_action, bet, world, race, "lock")
    await world.click(prompt, "Confirm", user=fan)
    reason = await world.emulator.wait_for_message(lambda m: m.id == prompt.id and "not taking" in text_of(m), 5)
    assert not component_choices(reason) and await balance(services, world, fan) == 100


async def test_a_stake_form_sent_after_the_bet_locked_turns_the_picker_into_the_reason(
    world: World, services: Services, bet: ServiceProcess
) -> None:
    quiz = await create(world, "Quiz", "A | B")
    fan = await newcomer(world, services, 100)
    picker = await (await world.run("bet place", {"event": quiz}, user=fan)).wait_for_original()
    click = await world.click(picker, "1. A", user=fan)
    await asyncio.to_thread(admin_action, bet, world, quiz, "lock")
    await answered(world, await world.emulator.submit_modal(click, {"stake": "10"}))
    reason = await world.emulator.wait_for_message(lambda m: m.id == picker.id and "not taking" in text_of(m), 5)
    assert not component_choices(reason) and await balance(services, world, fan) == 100


async def test_help_hides_what_the_member_cannot_use(world: World) -> None:
    member = text_of(await world.reply("help", user=world.bob))
    assert "/plugins" not in member and "/bet create" not in member and "/bet place" in member
    admin = text_of(await world.reply("help", user=world.admin))
    assert "/bet create" in admin


async def test_a_bet_that_locks_by_itself_says_so_where_it_was_created(
    world: World, bet: ServiceProcess, module_database_url: str
) -> None:
    poll = await create(world, "Closes soon", "Yes | No", closes_in_minutes=1)
    created = next(m for m in world.emulator.state.messages.values() if f"/bet place {poll}" in m.content)
    closing = "UPDATE bet_events SET closes_at = created_at + interval '1 ms' WHERE id = %s"
    await asyncio.to_thread(query, module_database_url, closing, poll)

    def announced(message) -> bool:
        return f"**#{poll}** reached its closing time" in message.content

    found = await world.emulator.wait_for_message(announced, 10)
    assert not found.ephemeral and found.author_id == world.bot.user.id and "Closes soon" in text_of(found)
    assert found.channel_id == created.channel_id
    await asyncio.sleep(1)
    assert sum(1 for m in world.emulator.state.messages.values() if announced(m)) == 1, "announced once"


async def test_every_first_response_within_three_seconds_and_no_violation(world: World) -> None:
    assert world.records and all(r.latency is not None and r.latency < 3 for r in world.records)
    assert not world.emulator.violations, world.emulator.violations
