"""Languages end to end: what the channel reads is in the server's language, what a member reads alone is in theirs,
and a statement is the bot's own sentence (kind, other member, amounts by the one formatter), never service text."""

from __future__ import annotations

import asyncio
import re

import pytest

from buteco_dev.processes import ServiceProcess
from discord_emulator import component_choices

from .conftest import Services, World, text_of

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]
ENGLISH_NOTES = re.compile(r"\b(stake on bet|daily reward|streak|transfer|balance|from|to)\b")


@pytest.fixture(scope="module")
def env(services: Services, bet: ServiceProcess) -> dict[str, str]:
    return {**services.env(), "BET_API_URL": bet.url}


async def test_statements_name_the_other_member_in_the_readers_language(world: World, services: Services) -> None:
    guild, alice, bob = world.guild, world.alice, world.bob
    services.grant(guild.id, bob.id, 2000)
    assert "resgatou" in (await world.reply("daily", user=alice)).content
    sent = await world.run("transfer", {"member": alice.id, "amount": 1058, "reason": "*pizza*"}, user=bob)
    prompt = await sent.wait_for_original()
    if component_choices(prompt):  # above the confirmation threshold
        await world.click(prompt, "Confirm", user=bob)
        await sent.wait_until(lambda r: r.original if "Sent" in r.original.content else None, 5)

    english = text_of(await world.reply("statement", user=bob))
    assert re.search(r"`-1 058` transfer to alice — \\\*pizza\\\* · balance 942 · <t:\d+:f>", english), english
    portuguese = text_of(await world.reply("statement", user=alice))
    assert re.search(r"`\+1 058` transferência de bob — \\\*pizza\\\* · saldo 1 158", portuguese), portuguese
    assert "`+100` recompensa diária #1 (sequência 1) · saldo 100" in portuguese, "rendered from coin_api's data"
    assert not ENGLISH_NOTES.findall(portuguese), portuguese


async def test_public_messages_use_the_servers_language(world: World, bet: ServiceProcess) -> None:
    record = await world.run(
        "bet create", {"title": "Derby", "outcomes": "Red | Blue"}, user=world.admin, locale="pt-BR"
    )
    ack, announcement = await record.wait_for_followups(2)
    event_id = int(re.search(r"#(\d+)", ack.content).group(1))
    assert ack.ephemeral and f"Aposta **#{event_id}** criada" in ack.content, "the admin's own reply: their language"
    assert not announcement.ephemeral and f"Back an outcome with `/bet place {event_id}`" in announcement.content

    world.guild.locale = "pt-BR"
    try:
        lock = await world.run("bet lock", {"event": event_id}, user=world.admin)
        mine, public = await lock.wait_for_followups(2)
        assert mine.ephemeral and f"Bet **#{event_id}** is locked." in mine.content
        assert not public.ephemeral and f"A aposta **#{event_id}** não aceita mais apostas" in public.content
        assert "Situação: **fechada**" in text_of(public)
        record = await world.run("bet create", {"title": "Final", "outcomes": "Sim | Não"}, user=world.admin)
        ack, announcement = await record.wait_for_followups(2)
        assert "created" in ack.content and "`/aposta apostar " in announcement.content
    finally:
        world.guild.locale = "en-US"
    assert not world.emulator.violations


async def test_a_stake_reads_as_the_bet_it_went_to_in_the_readers_language(
    world: World, services: Services, bet: ServiceProcess
) -> None:
    record = await world.run("bet create", {"title": "Derby", "outcomes": "Red | Blue"}, user=world.admin)
    ack, _announcement = await record.wait_for_followups(2)
    event_id = int(re.search(r"#(\d+)", ack.content).group(1))
    await asyncio.to_thread(services.grant, world.guild.id, world.alice.id, 50)
    placed = await asyncio.to_thread(
        services.http.post,
        f"{bet.url}/guilds/{world.guild.id}/events/{event_id}/bets",
        json={"user_id": str(world.alice.id), "amount": 20, "position": 1},
        headers={"Idempotency-Key": f"locale-stake-{event_id}"},
    )
    assert placed.status_code == 201, placed.text

    portuguese = text_of(await world.reply("statement", user=world.alice))
    assert f"`-20` valor apostado na aposta #{event_id} · saldo" in portuguese, portuguese
    assert not ENGLISH_NOTES.findall(portuguese), portuguese
