"""The paid /ask end to end (real bot, emulator, ledger, genai_api on a fake provider): the coins are held, captured
once the answer is delivered, released on any failure, and released by the ledger when the bot never returns."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import datetime

import pytest

from buteco_bot.core.clients import ServiceUnavailable
from buteco_bot.core.embeds import MAX_DESCRIPTION, MAX_TOTAL
from buteco_dev.processes import ServiceProcess
from discord_emulator import InteractionRecord, Member, Message
from genai_api.tests.fake_providers import FakeOpenAI, chat_completion
from genai_api.tests.support import openai_env

from .conftest import Services, World, text_of

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

COST = 10
FAILING = {"status": 500, "json": {"error": {"message": "overloaded", "type": "server_error"}}}
NOT_CHARGED = f"You were not charged: the **{COST}** coins held for it are back."


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI().start()
    yield fake
    fake.stop()


@pytest.fixture(autouse=True)
def _fresh_provider(provider: FakeOpenAI) -> None:
    """Every test starts with the happy answer and no recorded request."""
    provider.reset()


@pytest.fixture(scope="module")
def genai(module_start_service, provider: FakeOpenAI) -> ServiceProcess:
    return module_start_service("genai_api.main", env=openai_env(provider))


@pytest.fixture(scope="module")
def env(services: Services, genai: ServiceProcess) -> dict[str, str]:
    """The ask plugin's own settings come from the bot's environment, under the variables an operator sets."""
    return {**services.env(), "GENAI_API_URL": genai.url, "AI_USAGE_COST": str(COST), "AI_COOLDOWN_SECONDS": "0"}


async def ask(world: World, member: Member, prompt: str, *, parts: int = 1, **options) -> InteractionRecord:
    """/ask, then wait until the original response is final and `parts` followups arrived."""
    record = await world.run("ask", {"prompt": prompt, **options}, user=member)
    await record.wait_until(lambda r: len(r.followup_ids) >= parts and r.original and not r.original.loading, 10)
    await asyncio.sleep(0.1)
    return record


async def until(condition, timeout: float = 5) -> None:
    """Poll a condition outside the emulator (whose waits wake only on Discord traffic), within a deadline."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        await asyncio.sleep(0.05)


def answers(record: InteractionRecord) -> list[Message]:
    """The answer's messages (their embeds carry the model in the footer; error embeds have none)."""
    return [m for m in record.followups if m.embeds and m.embeds[0].get("footer")]


def long_answer(chars: int) -> str:
    paragraph = "A buteco is a Brazilian corner bar where the beer is cold and the stories are long. " * 5
    return "\n\n".join(f"{n}. {paragraph.strip()}" for n in range(chars // len(paragraph) + 2))[:chars].strip()


def hold_of(services: Services, record: InteractionRecord) -> dict | None:
    """The hold /ask made under the interaction's key, as the ledger has it."""
    return services.ledger(f"/holds/by-key/discord:interaction:{record.id}:hold")


def assert_released(services: Services, world: World, record: InteractionRecord, member: Member) -> None:
    """The hold came back, nothing reached the sink under it, and the books balance."""
    hold = hold_of(services, record)
    assert hold["status"] == "released" and hold["user_id"] == str(member.id), hold
    assert hold["amount"] == COST and hold["final_transaction_id"] is not None
    assert services.ledger(f"/guilds/{world.guild.id}/audit")["balanced"] is True


async def test_help_lists_ask_in_both_languages(world: World) -> None:
    english = text_of(await world.reply("help", user=world.bob))
    assert "AI assistant · AI" in english and "`/ask <prompt> [private]` — Ask the AI assistant" in english
    portuguese = text_of(await world.reply("help", user=world.alice))
    assert "Assistente de IA · IA" in portuguese and "`/perguntar <pergunta> [privado]`" in portuguese


async def test_ask_holds_then_captures_once_the_answer_is_delivered(
    world: World, services: Services, provider: FakeOpenAI
) -> None:
    bob = world.bob
    before = services.grant(world.guild.id, bob.id)
    record = await ask(world, bob, "What is a buteco?")
    status = await record.wait_until(lambda r: r.original if "charged" in r.original.content else None, 5)
    (answer,) = answers(record)
    assert status.ephemeral and f"**{COST}** coins charged, your balance is **{before - COST}**" in status.content
    assert not answer.ephemeral and answer.embeds[0]["description"] == "echo: What is a buteco?"
    assert answer.embeds[0]["title"] == "What is a buteco?" and "gpt-4.1-mini" in answer.embeds[0]["footer"]["text"]
    sent = provider.received[0].json["messages"]
    assert [m["role"] for m in sent] == ["system", "user"] and sent[1]["content"] == "What is a buteco?"
    hold = hold_of(services, record)
    assert (hold["status"], hold["kind"], hold["system"], hold["amount"]) == ("captured", "ai_usage", "sink", COST)
    lifetime = datetime.fromisoformat(hold["expires_at"]) - datetime.fromisoformat(hold["created_at"])
    assert round(lifetime.total_seconds()) == 30 + 60, "the genai plugin's timeout plus the delivery margin"
    assert services.balance_of(world.guild.id, bob.id) == before - COST

    private = await ask(world, bob, "A secret?", private=True)
    assert private.original.ephemeral and private.original.embeds[0]["description"] == "echo: A secret?"
    await until(lambda: hold_of(services, private)["status"] == "captured")
    assert services.balance_of(world.guild.id, bob.id) == before - 2 * COST
    assert services.ledger(f"/guilds/{world.guild.id}/audit")["balanced"] is True


async def test_a_public_answer_speaks_the_servers_language(world: World, services: Services) -> None:
    alice = world.alice  # pt-BR, in an en-US server
    before = services.grant(world.guild.id, alice.id)
    record = await ask(world, alice, "O que é um buteco?")
    status = await record.wait_until(lambda r: r.original if "cobradas" in r.original.content else None, 5)
    (answer,) = answers(record)
    assert status.ephemeral and f"**{COST}** moedas cobradas, seu saldo é **{before - COST}**" in status.content
    assert not answer.ephemeral and answer.embeds[0]["footer"]["text"].endswith(f" · {COST} coins")


async def test_long_answers_fit_discord(world: World, services: Services, provider: FakeOpenAI) -> None:
    bob = world.bob
    services.grant(world.guild.id, bob.id)
    text = long_answer(10_000)
    provider.script(json=chat_completion(text, model="gpt-4.1-mini"))
    parts = answers(await ask(world, bob, "Tell me everything", parts=3))
    assert len(parts) == 3 and not any(m.ephemeral for m in parts)
    for message in parts:
        sizes = [len(e["description"]) for e in message.embeds]
        assert all(s <= MAX_DESCRIPTION for s in sizes) and sum(sizes) + 200 < MAX_TOTAL
    shown = "".join(e["description"] for m in parts for e in m.embeds)
    assert "".join(shown.split()) == "".join(text.split()), "nothing lost, cuts only at whitespace"

    huge = long_answer(13_000)
    provider.script(json=chat_completion(huge, model="gpt-4.1-mini"))
    (message,) = answers(await ask(world, bob, "And more", private=True))
    assert message.ephemeral and message.attachments[0].filename == "answer.md"
    assert message.attachments[0].data.decode() == huge and "answer.md" in message.embeds[0]["description"]
    assert not world.emulator.violations


async def test_provider_failure_releases_the_hold(world: World, services: Services, provider: FakeOpenAI) -> None:
    bob = world.bob
    before = services.grant(world.guild.id, bob.id)
    provider.script(**FAILING)
    record = await ask(world, bob, "Will this fail?")
    body = text_of(record.original)
    assert record.original.ephemeral and "could not answer" in body and NOT_CHARGED in body
    assert provider.received and services.balance_of(world.guild.id, bob.id) == before
    assert_released(services, world, record, bob)


async def test_timeouts_and_bot_errors_release_the_hold(
    world: World, services: Services, provider: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    bob, cog = world.bob, world.bot.get_cog("Ask")
    before = services.grant(world.guild.id, bob.id)
    provider.script(hang_s=5)
    monkeypatch.setattr(world.bot.registry.services["genai"], "timeout", 0.5)
    slow = await ask(world, bob, "Too slow?")
    assert "could not answer" in text_of(slow.original) and NOT_CHARGED in text_of(slow.original)
    assert_released(services, world, slow, bob)
    provider.reset()

    async def broken(*args, **kwargs) -> None:
        raise RuntimeError("a bug in the bot")

    monkeypatch.setattr(cog, "_deliver", broken)
    crashed = await ask(world, bob, "Crash?")
    assert "could not answer" in text_of(crashed.original) and NOT_CHARGED in text_of(crashed.original)
    assert_released(services, world, crashed, bob)
    assert services.balance_of(world.guild.id, bob.id) == before


@pytest.mark.parametrize("lost", ["release", "capture"])
async def test_a_hold_the_bot_never_resolves_comes_back_from_the_ledger_by_itself(
    world: World, services: Services, provider: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, lost: str
) -> None:
    """The bot keeps no money state: a release or capture it could not make is left to the hold's expiry."""
    bob, cog = world.bob, world.bot.get_cog("Ask")
    before = services.grant(world.guild.id, bob.id)

    async def away(*args, **kwargs) -> None:
        raise ServiceUnavailable("balance", "away for a moment")

    monkeypatch.setattr(cog.ledger, lost, away)
    monkeypatch.setattr(world.bot.registry.services["genai"], "timeout", 1.0)
    monkeypatch.setattr(cog, "hold_margin_s", 1.0)
    if lost == "release":
        provider.script(**FAILING)
    record = await ask(world, bob, f"Lose the {lost}")
    if lost == "release":
        assert "come back by themselves <t:" in text_of(record.original)
    else:
        assert answers(record), "the member got the answer"
    assert hold_of(services, record)["status"] == "held"
    assert services.balance_of(world.guild.id, bob.id) == before - COST
    await until(lambda: hold_of(services, record)["status"] == "expired", timeout=15)
    assert services.balance_of(world.guild.id, bob.id) == before, "not charged for an answer the ledger never saw paid"
    assert services.ledger(f"/guilds/{world.guild.id}/audit")["balanced"] is True


async def test_an_assistant_not_set_up_is_off_charges_nothing_and_does_not_degrade_health(
    world: World, services: Services, genai: ServiceProcess, provider: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    bob, alice = world.bob, world.alice
    before, _ = services.grant(world.guild.id, bob.id), services.grant(world.guild.id, alice.id)
    configured = dict(genai.env)
    genai.env["GENAI_PROVIDER"] = ""
    await asyncio.to_thread(genai.restart)  # waiting for a process is no work for the bot's and emulator's loop
    try:
        health = text_of(await world.reply("health", user=bob))
        assert "Health: UP" in health and "⚪ AI assistant (optional)\nnot set up · " in health, health
        assert "set GENAI_PROVIDER (openai or gemini)" in health and "degraded" not in health
        saude = text_of(await world.reply("health", user=alice))
        assert "Saúde: NO AR" in saude and "não configurado" in saude and "defina GENAI_PROVIDER" in saude, saude

        portuguese = text_of((await ask(world, alice, "Oi?")).original)
        assert "está desligado neste servidor" in portuguese and "Nada foi cobrado" in portuguese, portuguese
        record = await ask(world, bob, "Anyone there?")
        assert "is off on this server" in text_of(record.original) and "Nothing was charged" in text_of(record.original)
        broke = text_of((await ask(world, world.stranger, "Free lunch?")).original)
        assert "is off on this server" in broke and "balance" not in broke, "no coins asked for a feature that is off"
        assert hold_of(services, record) is None and not provider.received
        assert services.balance_of(world.guild.id, bob.id) == before

        monkeypatch.setattr(world.bot.get_cog("Ask"), "_switched_off", lambda: asyncio.sleep(0, False))
        raced = await ask(world, bob, "Switched off meanwhile?")  # genai_api lost its provider after the check
        assert "not set up" in text_of(raced.original) and NOT_CHARGED in text_of(raced.original)
        assert_released(services, world, raced, bob)
    finally:
        genai.env.clear()
        genai.env.update(configured)
        await asyncio.to_thread(genai.restart)


async def test_insufficient_funds_generates_nothing(world: World, services: Services, provider: FakeOpenAI) -> None:
    record = await ask(world, world.stranger, "Free lunch?")
    body = text_of(record.original)
    assert record.original.ephemeral and f"costs **{COST}** coins and your balance is **0**" in body
    assert not provider.received and services.balance_of(world.guild.id, world.stranger.id) == 0
    assert hold_of(services, record) is None


async def test_cooldown_refuses_until_it_passes(world: World, services: Services, provider: FakeOpenAI) -> None:
    admin = world.admin
    before = services.grant(world.guild.id, admin.id)
    settings = world.bot.get_cog("Ask").settings
    assert (settings.ai_usage_cost, settings.ai_cooldown_seconds) == (COST, 0), "read from AI_USAGE_COST and co."
    settings.ai_cooldown_seconds = 30
    try:
        provider.script(hang_s=5)
        slow = await world.run("ask", {"prompt": "First try"}, user=admin)
        meanwhile = await world.reply("ask", {"prompt": "Meanwhile"}, user=admin)
        assert meanwhile.ephemeral and "still being answered" in text_of(meanwhile)
        await until(lambda: provider.received)
        provider.reset()
        assert "could not answer" in text_of(await slow.wait_for_original(10))
        provider.reset()
        second = await ask(world, admin, "Second try")
        assert answers(second), "a failed answer does not start the cooldown"
        refused = await world.reply("ask", {"prompt": "Third try"}, user=admin)
        assert refused.ephemeral and "You can ask again in" in text_of(refused)
        assert 25 <= int(text_of(refused).split("again in ")[1].split(" s")[0]) <= 30
    finally:
        settings.ai_cooldown_seconds = 0
    assert len(provider.received) == 1, "the refused question never reached the provider"
    await until(lambda: hold_of(services, second)["status"] == "captured")
    assert services.balance_of(world.guild.id, admin.id) == before - COST


async def test_every_first_response_within_three_seconds(world: World) -> None:
    asks = [r for r in world.records if r.payload["data"]["name"] == "ask"]
    assert len(asks) >= 12 and all(r.latency is not None and r.latency < 3 for r in world.records)
    assert not world.emulator.violations
