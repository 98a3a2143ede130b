"""The 30 bodies of issue 14 that Discord refuses: each is refused here the same way (status, code, field path)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from discord_emulator import Emulator

from .strict_client import Local

pytestmark = pytest.mark.asyncio(loop_scope="module")


def command(**option: Any) -> dict[str, Any]:
    """A valid /pay command with one option, changed by ``option``."""
    return {
        "name": "pay",
        "description": "Pay someone",
        "options": [{"type": 3, "name": "note", "description": "Why", **option}],
    }


def row(*items: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(items)}


BUTTON = {"type": 2, "style": 1, "label": "Go", "custom_id": "go"}
SELECT = {"type": 3, "custom_id": "pick", "options": [{"label": "A", "value": "a"}]}
TEXT = {"type": 4, "custom_id": "why", "label": "Why", "style": 1}
SUB = {"type": 1, "name": "sub", "description": "A subcommand"}
CHOICES_100 = [{"name": f"{i:02d}" + "n" * 98, "value": f"{i:02d}" + "v" * 98} for i in range(25)]


def modal(*rows: dict[str, Any], custom_id: str = "ask") -> dict[str, Any]:
    return {"title": "Ask", "custom_id": custom_id, "components": list(rows)}


# (case, where it is sent, body, a field the errors tree must name) - where: command, message, edit, modal, autocomplete
CASES: list[tuple[str, str, Any, str]] = [
    (
        "unknown locale key",
        "command",
        {**command(), "name_localizations": {"xx-YY": "pagar"}},
        "0.name_localizations.xx-YY",
    ),
    (
        "upper-case localized name",
        "command",
        {**command(), "name_localizations": {"pt-BR": "Pagar"}},
        "0.name_localizations.pt-BR",
    ),
    (
        "spaced localized name",
        "command",
        {**command(), "name_localizations": {"pt-BR": "pagar já"}},
        "0.name_localizations.pt-BR",
    ),
    (
        "localized description over 100",
        "command",
        {**command(), "description_localizations": {"pt-BR": "d" * 101}},
        "0.description_localizations.pt-BR",
    ),
    (
        "choice name over 100",
        "command",
        command(choices=[{"name": "n" * 101, "value": "v"}]),
        "0.options.0.choices.0.name",
    ),
    (
        "choice value over 100",
        "command",
        command(choices=[{"name": "n", "value": "v" * 101}]),
        "0.options.0.choices.0.value",
    ),
    (
        "choice value of the wrong type",
        "command",
        command(type=4, choices=[{"name": "one", "value": "1"}]),
        "0.options.0.choices.0.value",
    ),
    (
        "choices on a boolean",
        "command",
        command(type=5, choices=[{"name": "yes", "value": True}]),
        "0.options.0.choices",
    ),
    (
        "autocomplete with choices",
        "command",
        command(autocomplete=True, choices=[{"name": "a", "value": "a"}]),
        "0.options.0.autocomplete",
    ),
    ("max_length 7000", "command", command(max_length=7000), "0.options.0.max_length"),
    ("min_value on a string", "command", command(min_value=1), "0.options.0.min_value"),
    (
        "subcommand mixed with a plain option",
        "command",
        {**command(), "options": [SUB, command()["options"][0]]},
        "0.options.1",
    ),
    (
        "nested subcommands",
        "command",
        {**command(), "options": [{**SUB, "options": [{**SUB, "name": "deeper"}]}]},
        "0.options.0.options.0.type",
    ),
    ("duplicate option names", "command", {**command(), "options": command()["options"] * 2}, "0.options.1.name"),
    ("unknown option type", "command", command(type=99), "0.options.0.type"),
    (
        "over 8,000 characters combined",
        "command",
        {
            **command(),
            "options": [
                command(choices=CHOICES_100)["options"][0],
                {**command(choices=CHOICES_100)["options"][0], "name": "other"},
            ],
        },
        "0",
    ),
    ("button and select in one row", "message", {"components": [row(BUTTON, SELECT)]}, "components.0.components.1"),
    (
        "button without label or emoji",
        "message",
        {"components": [row({**BUTTON, "label": None})]},
        "components.0.components.0.label",
    ),
    ("component outside an action row", "message", {"components": [BUTTON]}, "components.0.type"),
    (
        "link button without url",
        "message",
        {"components": [row({"type": 2, "style": 5, "label": "Docs"})]},
        "components.0.components.0.url",
    ),
    (
        "select option label over 100",
        "message",
        {"components": [row({**SELECT, "options": [{"label": "l" * 101, "value": "a"}]})]},
        "components.0.components.0.options.0.label",
    ),
    (
        "allowed_mentions parse with users",
        "message",
        {"content": "hi", "allowed_mentions": {"parse": ["users"], "users": ["1"]}},
        "allowed_mentions",
    ),
    (
        "embed footer without text",
        "message",
        {"embeds": [{"description": "d", "footer": {"icon_url": "https://example.invalid/i.png"}}]},
        "embeds.0.footer.text",
    ),
    ("colour above 0xFFFFFF", "message", {"embeds": [{"description": "d", "color": 0x1000000}]}, "embeds.0.color"),
    ("modal custom_id over 100", "modal", modal(row(TEXT), custom_id="m" * 101), "data.custom_id"),
    ("text input style 3", "modal", modal(row({**TEXT, "style": 3})), "data.components.0.components.0.style"),
    (
        "two inputs in one row",
        "modal",
        modal(row(TEXT, {**TEXT, "custom_id": "more"})),
        "data.components.0.components.1",
    ),
    (
        "text input max_length 5000",
        "modal",
        modal(row({**TEXT, "max_length": 5000})),
        "data.components.0.components.0.max_length",
    ),
    (
        "string autocomplete value for an integer option",
        "autocomplete",
        {"choices": [{"name": "ten", "value": "10"}]},
        "data.choices.0.value",
    ),
    ("an edit that empties a message", "edit", {"content": ""}, ""),
]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def local() -> AsyncIterator[Local]:
    async with Emulator() as emulator, aiohttp.ClientSession() as http:
        guild = emulator.add_guild("Strict")
        emulator.add_member(guild, name="alice")
        yield Local(emulator, guild, http)


def node(tree: dict[str, Any], path: str) -> dict[str, Any]:
    for part in path.split(".") if path else []:
        tree = tree[part]
    return tree


@pytest.mark.parametrize(("where", "body", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_discord_refuses_it_and_so_do_we(local: Local, where: str, body: Any, field: str) -> None:
    status, answer = await local.send(where, body)
    if where == "edit":
        assert (status, answer) == (400, {"message": "Cannot send an empty message", "code": 50006})
        return
    assert (status, answer["code"], answer["message"]) == (400, 50035, "Invalid Form Body"), answer
    errors = node(answer["errors"], field)
    found = [e for n in walk(errors) for e in n.get("_errors", [])]
    assert found and all(set(e) == {"code", "message"} for e in found), answer


def walk(tree: dict[str, Any]) -> list[dict[str, Any]]:
    return [tree, *[n for v in tree.values() if isinstance(v, dict) for n in walk(v)]]


async def test_the_valid_bodies_the_cases_start_from_are_accepted(local: Local) -> None:
    assert (await local.send("command", command(type=4, choices=[{"name": "one", "value": 1}])))[0] == 200
    assert (await local.send("command", {**command(), "options": [{**SUB, "options": command()["options"]}]}))[0] == 200
    assert (await local.send("message", {"content": "x", "components": [row(BUTTON), row(SELECT)]}))[0] == 200
    assert (await local.send("modal", modal(row(TEXT), row({**TEXT, "custom_id": "more", "style": 2}))))[0] == 204
    assert (await local.send("autocomplete", {"choices": [{"name": "ten", "value": 10}]}))[0] == 204
    assert (await local.send("edit", {"content": "", "embeds": [{"description": "still something"}]}))[0] == 200
