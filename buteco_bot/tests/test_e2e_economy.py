"""The economy through the real bot, the emulator and the real services: the member's whole journey."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from buteco_bot.core.help import leaf_commands
from buteco_dev.credentials import auth_headers
from discord_emulator import CommandUnavailable, Member, component_choices

from .conftest import Services, World, text_of

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]


async def test_member_journey(world: World, services: Services) -> None:
    guild, alice, bob = world.guild, world.alice, world.bob
    registered = await world.reply("register", user=bob)
    assert "Welcome" in registered.content and registered.ephemeral
    again = await world.reply("register", user=bob)
    assert "already registered" in again.content

    daily = await world.reply("daily", user=alice)
    assert "resgatou **100**" in daily.content, daily.content
    assert services.balance_of(guild.id, alice.id) == 100
    repeat = await world.reply("daily", user=alice)
    assert "Já resgatado" in repeat.content and "<t:" in repeat.content

    sent = await world.reply("transfer", {"member": bob.id, "amount": 30, "reason": "beer"}, user=alice)
    assert "30" in sent.content and "bob" in sent.content, sent.content
    assert (services.balance_of(guild.id, alice.id), services.balance_of(guild.id, bob.id)) == (70, 30)

    mine = await world.reply("balance", user=bob)
    assert "**30**" in mine.content and mine.ephemeral
    theirs = await world.reply("balance", {"member": alice.id}, user=bob)
    assert "alice" in theirs.content and "**70**" in theirs.content

    statement = await world.reply("statement", user=alice)
    body = text_of(statement)
    assert "`-30`" in body and "`+100`" in body and "beer" in body and statement.ephemeral

    board = await world.reply("leaderboard", user=bob)
    body = text_of(board)
    assert body.index("alice") < body.index("bob") and "#2" in body


async def test_statement_pages_with_buttons(world: World, services: Services) -> None:
    bob, admin = world.bob, world.admin
    await world.reply("daily", user=admin)
    for _ in range(12):
        await world.reply("transfer", {"member": bob.id, "amount": 1}, user=admin)
    first = await world.reply("statement", user=admin)
    assert text_of(first).count("`-1`") == 10
    click = await world.click(first, "▶", user=admin)
    page_two = await click.wait_until(lambda r: r.original if "`+100`" in text_of(r.original) else None, 5)
    assert text_of(page_two).count("`-1`") == 2


async def test_refusals_move_nothing(world: World, services: Services) -> None:
    guild, alice, bob = world.guild, world.alice, world.bob
    before = services.balance_of(guild.id, alice.id)
    itself = await world.reply("transfer", {"member": alice.id, "amount": 5}, user=alice)
    assert "si mesmo" in text_of(itself)
    overdraft = await world.reply("transfer", {"member": bob.id, "amount": 999}, user=alice)
    assert "suficientes" in text_of(overdraft)
    assert services.balance_of(guild.id, alice.id) == before


async def test_every_member_has_a_wallet_opened_when_paid_or_looked_up(world: World, services: Services) -> None:
    guild, alice, bob = world.guild, world.alice, world.bob
    newcomer = world.emulator.add_member(guild, name="frank")
    looked_up = world.emulator.add_member(guild, name="grace")
    assert services.balance_of(guild.id, newcomer.user.id) is None, "never used the bot"
    services.grant(guild.id, bob.id, 10)
    paid = await world.reply("transfer", {"member": newcomer.user.id, "amount": 5}, user=bob)
    assert "Sent **5** coins to frank" in paid.content, paid.content
    assert services.balance_of(guild.id, newcomer.user.id) == 5
    theirs = await world.reply("balance", {"member": looked_up.user.id}, user=alice)
    assert "grace tem **0** moedas" in theirs.content and services.balance_of(guild.id, looked_up.user.id) == 0


async def test_bots_have_no_wallet(world: World, services: Services) -> None:
    guild, bob = world.guild, world.bob
    robot = world.emulator.add_user("robot")
    robot.bot = True
    world.emulator.add_member(guild, user_id=robot.id, name="robot")
    before = services.balance_of(guild.id, bob.id)
    for command, options in (("transfer", {"member": robot.id, "amount": 1}), ("balance", {"member": robot.id})):
        refused = await world.reply(command, options, user=bob)
        assert refused.ephemeral and "Bots and webhooks have no wallet" in text_of(refused)
    assert services.balance_of(guild.id, robot.id) is None and services.balance_of(guild.id, bob.id) == before


async def test_confirmation_double_click_moves_once(world: World, services: Services) -> None:
    guild, admin, bob = world.guild, world.admin, world.bob
    services_before = services.balance_of(guild.id, bob.id)
    settings = world.bot.get_cog("Balance").settings
    assert settings.transfer_confirm_above == 1000, "TRANSFER_CONFIRM_ABOVE's default"
    settings.transfer_confirm_above = 10
    try:
        record = await world.run("transfer", {"member": bob.id, "amount": 20}, user=admin)
        prompt = await record.wait_for_original()
    finally:
        settings.transfer_confirm_above = 1000
    assert "Send **20**" in prompt.content and [c.label for c in component_choices(prompt)] == ["Confirm", "Cancel"]
    assert services.balance_of(guild.id, bob.id) == services_before
    first = await world.emulator.click(prompt, component_choices(prompt)[0].custom_id, user=admin)
    second = await world.emulator.click(prompt, component_choices(prompt)[0].custom_id, user=admin)
    for click in (first, second):
        await click.wait_for_response(3.5)
        assert click.latency < 3
    await first.wait_until(lambda r: "coins to bob" in (r.original.content if r.original else ""), 5)
    await asyncio.sleep(0.3)
    assert services.balance_of(guild.id, bob.id) == services_before + 20
    moved = httpx.get(
        f"{services.balance.url}/transactions/by-key/discord:interaction:{record.id}",
        headers=auth_headers(),
        trust_env=False,
        timeout=10,
    )
    assert moved.status_code == 200 and {p["amount"] for p in moved.json()["postings"]} == {-20, 20}


async def help_pages(world: World, member: Member) -> list[str]:
    message = await world.reply("help", user=member)
    pages = [text_of(message)]
    while component_choices(message) and not component_choices(message)[-1].disabled:
        click = await world.click(message, "▶", user=member)
        message = await click.wait_until(lambda r: r.original if text_of(r.original) != pages[-1] else None, 5)
        pages.append(text_of(message))
    return pages


def commands_shown(pages: list[str]) -> set[str]:
    return {
        line.split("`")[1].split(" <")[0].split(" [")[0].lstrip("/")
        for page in pages
        for line in page.splitlines()
        if line.startswith("`/")
    }


async def test_help_lists_exactly_the_registered_commands_a_member_may_use(world: World) -> None:
    pages = await help_pages(world, world.bob)
    registered = {c.qualified_name for c in leaf_commands(world.bot.tree, world.bot.dev_guild)}
    assert commands_shown(pages) == registered - {"plugins status", "plugins reload"}, "no Manage Server"
    assert commands_shown(await help_pages(world, world.admin)) == registered
    assert {
        "balance",
        "transfer",
        "statement",
        "leaderboard",
        "daily",
        "register",
        "help",
        "health",
        "plugins status",
        "plugins reload",
    } <= registered
    assert "Bank · Money" in pages[0] and "Your balance, or another member's." in pages[0]


async def test_help_in_portuguese(world: World) -> None:
    message = await world.reply("help", user=world.alice)
    body = text_of(message)
    assert "Banco · Dinheiro" in body and "/saldo" in body and "Comandos do Buteco" in body


async def test_health_all_up(world: World) -> None:
    message = await world.reply("health", user=world.bob)
    body = text_of(message)
    assert "Health: UP" in body
    for name in ("Members", "Bank", "Daily coins"):
        assert name in body
    assert " ms" in body and "Gateway latency" in body


async def test_plugins_is_admin_only(world: World) -> None:
    with pytest.raises(CommandUnavailable):
        await world.emulator.invoke("plugins status", user=world.bob)
    world.emulator.overridden.add("plugins")
    try:
        refused = await world.reply("plugins status", user=world.bob)
    finally:
        world.emulator.overridden.discard("plugins")
    assert "Manage Server" in text_of(refused) and refused.ephemeral
    report = await world.reply("plugins status", user=world.admin)
    assert "`balance` 1.0.0 — **loaded**" in text_of(report)


async def test_every_first_response_within_three_seconds(world: World) -> None:
    assert world.records and all(r.latency is not None and r.latency < 3 for r in world.records)
    assert not [v for v in world.emulator.violations if v.kind == "not_acknowledged"]
