"""Pure checks of the text renderer and of Discord's limits, without a bot."""

from __future__ import annotations

from typing import Any

from discord_emulator import component_choices, render_message
from discord_emulator.command_rules import command_issues
from discord_emulator.errors import DiscordError
from discord_emulator.validation import choice_issues, message_issues

MESSAGE: dict[str, Any] = {
    "content": "Your wallet",
    "flags": 64,
    "embeds": [
        {
            "author": {"name": "Buteco Bank"},
            "title": "Balance",
            "description": "100 coins\nrank #2",
            "fields": [{"name": "Streak", "value": "3 days"}],
            "footer": {"text": "today"},
        }
    ],
    "components": [
        {
            "type": 1,
            "components": [
                {"type": 2, "style": 1, "label": "Claim", "custom_id": "claim"},
                {"type": 2, "style": 5, "label": "Help", "url": "https://example.invalid/help"},
                {"type": 2, "style": 4, "label": "Cancel", "custom_id": "cancel", "disabled": True},
            ],
        },
        {
            "type": 1,
            "components": [
                {
                    "type": 3,
                    "custom_id": "coin",
                    "placeholder": "Coin",
                    "options": [{"label": "Bitcoin", "value": "btc"}],
                }
            ],
        },
    ],
}


def test_render_message_as_text() -> None:
    assert render_message(MESSAGE, "Buteco").splitlines() == [
        "[Buteco] (ephemeral)",
        "Your wallet",
        "+" + "-" * 40,
        "| Buteco Bank",
        "| == Balance ==",
        "| 100 coins",
        "| rank #2",
        "| Streak: 3 days",
        "| -- today",
        "+" + "-" * 40,
        "[1] Claim   [link] Help <https://example.invalid/help>   [2] Cancel (disabled)",
        "[3] select: Coin (Bitcoin)",
    ]
    assert [(c.number, c.custom_id, c.kind, c.disabled) for c in component_choices(MESSAGE)] == [
        (1, "claim", "button", False),
        (2, "cancel", "button", True),
        (3, "coin", "select", False),
    ]


def test_render_components_v2_container() -> None:
    message = {
        "flags": 1 << 15,
        "components": [
            {
                "type": 17,
                "components": [
                    {"type": 10, "content": "## Daily"},
                    {
                        "type": 9,
                        "components": [{"type": 10, "content": "Claim 10 coins"}],
                        "accessory": {"type": 2, "style": 1, "label": "Claim", "custom_id": "daily"},
                    },
                    {"type": 14},
                ],
            }
        ],
    }
    assert render_message(message).splitlines() == [
        "+" + "=" * 40,
        "| ## Daily",
        "| Claim 10 coins",
        "|   [1] Claim",
        "| " + "-" * 20,
        "+" + "=" * 40,
    ]


def test_embed_limits() -> None:
    embed = {"title": "t" * 257, "description": "d" * 4000, "fields": [{"name": "n", "value": "v" * 1025}]}
    paths = {i.path for i in message_issues({"embeds": [embed] + [{"description": "x"}] * 10}, "data.")}
    assert paths == {"data.embeds", "data.embeds.0.title", "data.embeds.0.fields.0.value"}
    big = [{"description": "d" * 4000}, {"description": "d" * 2001}]
    assert [i.code for i in message_issues({"embeds": big})] == ["MAX_EMBED_SIZE_EXCEEDED"]
    assert [i.path for i in message_issues({"content": "c" * 2001})] == ["content"]


def test_component_rules() -> None:
    button = {"type": 2, "style": 1, "label": "x", "custom_id": "same"}
    rows = [{"type": 1, "components": [button, dict(button)]}]
    assert [i.code for i in message_issues({"components": rows})] == ["COMPONENT_CUSTOM_ID_DUPLICATED"]
    too_many = [{"type": 1, "components": [{**button, "custom_id": f"b{r}{i}"} for i in range(6)]} for r in range(6)]
    assert {i.path for i in message_issues({"components": too_many})} >= {"components", "components.0.components"}


def test_autocomplete_and_command_rules() -> None:
    assert [i.path for i in choice_issues({"choices": [{"name": "n", "value": "v"}] * 26})] == ["data.choices"]
    commands: list[dict[str, Any]] = [
        {
            "name": "Pay",
            "description": "x",
            "options": [
                {"type": 3, "name": "note", "description": "n"},
                {"type": 4, "name": "amount", "description": "a", "required": True},
            ],
        },
        {"name": "Pay", "description": ""},
    ]
    codes = {(i.path, i.code) for i in command_issues(commands)}
    assert codes == {
        ("0.name", "APPLICATION_COMMAND_INVALID_NAME"),
        ("1.name", "APPLICATION_COMMAND_INVALID_NAME"),
        ("1.name", "APPLICATION_COMMANDS_DUPLICATE_NAME"),
        ("1.description", "BASE_TYPE_BAD_LENGTH"),
        ("0.options.1.required", "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID"),
    }


def test_form_error_shape() -> None:
    error = DiscordError.form(message_issues({"embeds": [{"title": "t" * 300}]}, "data."))
    assert error.status == 400
    assert error.body() == {
        "message": "Invalid Form Body",
        "code": 50035,
        "errors": {
            "data": {
                "embeds": {
                    "0": {
                        "title": {
                            "_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 256 or fewer in length."}]
                        }
                    }
                }
            }
        },
    }
