"""A service in another language joins by its manifest alone: joke_api (Go), built and run for real, answers the
declarative /joke through the real bot and the emulator, in the member's language."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from buteco_dev import REPO_ROOT
from buteco_dev.processes import ServiceProcess, go_service

from .conftest import Services, World, text_of

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

JOKES = json.loads((REPO_ROOT / "joke_api" / "data" / "jokes.json").read_text(encoding="utf-8"))["jokes"]


def jokes(lang: str, category: str | None = None) -> set[str]:
    return {j["text"] for j in JOKES if j["lang"] == lang and category in (None, j["category"])}


@pytest.fixture(scope="module")
def joke_api(go_build, tmp_path_factory) -> Iterator[ServiceProcess]:
    """The Go service built with `go build` and run on a free port (the module is skipped without Go)."""
    binary = go_build(REPO_ROOT / "joke_api")
    with go_service(binary, log_dir=tmp_path_factory.mktemp("joke_api-logs")) as service:
        yield service


@pytest.fixture(scope="module")
def env(joke_api: ServiceProcess, services: Services) -> dict[str, str]:
    return {**services.env(), "JOKE_API_URL": joke_api.url}


async def test_joke_api_joins_by_its_manifest_alone(world: World) -> None:
    plugin = world.bot.registry.plugins["joke"]
    assert plugin.state == "loaded" and plugin.source == str(world.plugins_dir / "joke.toml")
    assert plugin.manifest.command_module is None
    assert world.bot.tree.get_command("joke").extras == {"plugin": "joke", "declarative": True}
    registered = {c.name: c for c in world.emulator.guild_commands(world.guild)}
    choices = registered["joke"].payload["options"][0]["choices"]
    assert {c["value"] for c in choices} == {j["category"] for j in JOKES}
    assert {c["name_localizations"]["pt-BR"] for c in choices} >= {"Animais", "Ciência"}


async def test_jokes_come_in_the_members_language(world: World) -> None:
    anything = await world.reply("joke", user=world.bob)
    assert anything.content in jokes("en") and not anything.ephemeral
    animals = await world.reply("joke", {"category": "animals"}, user=world.bob)
    assert animals.content in jokes("en", "animals")
    food = await world.reply("joke", {"category": "food"}, user=world.alice)
    assert food.content in jokes("pt-BR", "food"), "a pt-BR member gets the Portuguese jokes"
    british = await world.reply("joke", {"category": "science"}, user=world.bob, locale="en-GB")
    assert british.content in jokes("en", "science")


async def test_help_and_health_show_the_joke_plugin(world: World) -> None:
    english = text_of(await world.reply("help", user=world.bob))
    assert "Jokes · Fun" in english and "`/joke [category]` — A random joke in your language" in english
    portuguese = text_of(await world.reply("help", user=world.alice))
    assert "Piadas · Diversão" in portuguese and "Uma piada aleatória no seu idioma" in portuguese
    health = text_of(await world.reply("health", user=world.bob))
    assert "Health: UP" in health and "🟢 Jokes (optional)\nup" in health
    assert health.split("Jokes (optional)")[1].split("\n")[1].endswith("v1.0.0")


async def test_a_stopped_joke_api_degrades_but_never_downs_the_bot(world: World, joke_api: ServiceProcess) -> None:
    joke_api.stop()
    try:
        health = text_of(await world.reply("health", user=world.bob))
        assert "Health: DEGRADED" in health and "🔴 Jokes (optional)" in health
        failed = await world.reply("joke", user=world.bob)
        assert "Jokes service is not answering" in text_of(failed)
        assert "**0**" in (await world.reply("balance", user=world.bob)).content
    finally:
        joke_api.start()
    assert (await world.reply("joke", user=world.bob)).content in jokes("en")


async def test_every_first_response_within_three_seconds(world: World) -> None:
    assert world.records and all(r.latency is not None and r.latency < 3 for r in world.records)
    assert not world.emulator.violations
