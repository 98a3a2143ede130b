"""Discord's documented limits, checked cheaply so a bot that would fail in production fails here."""

from __future__ import annotations

import re
from typing import Any

from .errors import Issue
from .mentions import allowed_mentions_issues
from .records import COMPONENTS_V2

EMBED_TOTAL = 6000
EMBED_TEXT_LIMITS = {"title": 256, "description": 4096}
COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")
STRING_SELECT, TEXT_INPUT, LABEL, ACTION_ROW, BUTTON = 3, 4, 18, 1, 2
SELECT_TYPES = frozenset({3, 5, 6, 7, 8})


def too_long(path: str, limit: int) -> Issue:
    """Discord's error for a string over its limit."""
    return Issue(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def bad_count(path: str, low: int, high: int) -> Issue:
    """Discord's error for a list with too few or too many items."""
    return Issue(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")


def check_length(issues: list[Issue], path: str, value: Any, limit: int) -> None:
    """Append an issue when a string is longer than ``limit``."""
    if isinstance(value, str) and len(value) > limit:
        issues.append(too_long(path, limit))


def embed_issues(embeds: list[dict[str, Any]], path: str) -> list[Issue]:
    """Per-embed limits plus the 6000-character total across the message."""
    issues: list[Issue] = []
    if len(embeds) > 10:
        issues.append(bad_count(path, 0, 10))
    total = 0
    for i, embed in enumerate(embeds):
        at = f"{path}.{i}"
        for key, limit in EMBED_TEXT_LIMITS.items():
            check_length(issues, f"{at}.{key}", embed.get(key), limit)
        fields = embed.get("fields") or []
        if len(fields) > 25:
            issues.append(bad_count(f"{at}.fields", 0, 25))
        for j, fld in enumerate(fields):
            for key, limit in (("name", 256), ("value", 1024)):
                if not fld.get(key):
                    issues.append(Issue(f"{at}.fields.{j}.{key}", "BASE_TYPE_REQUIRED", "This field is required"))
                check_length(issues, f"{at}.fields.{j}.{key}", fld.get(key), limit)
        footer, author = embed.get("footer") or {}, embed.get("author") or {}
        check_length(issues, f"{at}.footer.text", footer.get("text"), 2048)
        check_length(issues, f"{at}.author.name", author.get("name"), 256)
        texts = [embed.get("title"), embed.get("description"), footer.get("text"), author.get("name")]
        texts += [f.get(k) for f in fields for k in ("name", "value")]
        total += sum(len(t) for t in texts if isinstance(t, str))
    if total > EMBED_TOTAL:
        issues.append(Issue(path, "MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of {EMBED_TOTAL}"))
    return issues


def component_issues(components: list[dict[str, Any]], path: str, v2: bool) -> list[Issue]:
    """Action rows, buttons and selects; custom ids must be unique within the message."""
    issues: list[Issue] = []
    if not v2 and len(components) > 5:
        issues.append(bad_count(path, 0, 5))
    seen: set[str] = set()
    for i, comp in enumerate(components):
        for at, item in walk_components(comp, f"{path}.{i}"):
            custom_id = item.get("custom_id")
            check_length(issues, f"{at}.custom_id", custom_id, 100)
            if custom_id is not None:
                if custom_id in seen:
                    issues.append(
                        Issue(
                            f"{at}.custom_id",
                            "COMPONENT_CUSTOM_ID_DUPLICATED",
                            "Component custom id cannot be duplicated",
                        )
                    )
                seen.add(custom_id)
            if item.get("type") == ACTION_ROW and not v2 and not 1 <= len(item.get("components") or []) <= 5:
                issues.append(bad_count(f"{at}.components", 1, 5))
            if item.get("type") == BUTTON:
                check_length(issues, f"{at}.label", item.get("label"), 80)
                if item.get("style") != 5 and item.get("style") != 6 and not custom_id:
                    issues.append(Issue(f"{at}.custom_id", "BASE_TYPE_REQUIRED", "This field is required"))
            if item.get("type") == STRING_SELECT and not 1 <= len(item.get("options") or []) <= 25:
                issues.append(bad_count(f"{at}.options", 1, 25))
    return issues


def walk_components(component: dict[str, Any], path: str) -> list[tuple[str, dict[str, Any]]]:
    """Flatten nested components (rows, sections, containers, labels) with their paths."""
    found = [(path, component)]
    for i, child in enumerate(component.get("components") or []):
        found += walk_components(child, f"{path}.components.{i}")
    if isinstance(component.get("component"), dict):
        found += walk_components(component["component"], f"{path}.component")
    if isinstance(component.get("accessory"), dict):
        found += walk_components(component["accessory"], f"{path}.accessory")
    return found


def message_issues(body: dict[str, Any], path: str = "") -> list[Issue]:
    """All checks for a message create/edit body; ``path`` prefixes field names (``data.`` in callbacks)."""
    issues: list[Issue] = []
    check_length(issues, f"{path}content", body.get("content"), 2000)
    v2 = bool((body.get("flags") or 0) & COMPONENTS_V2)
    if v2 and (body.get("content") or body.get("embeds")):
        issues.append(
            Issue(
                f"{path}content",
                "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                "The 'content' and 'embeds' fields cannot be used with IS_COMPONENTS_V2",
            )
        )
    issues += embed_issues(body.get("embeds") or [], f"{path}embeds")
    issues += component_issues(body.get("components") or [], f"{path}components", v2)
    issues += allowed_mentions_issues(body.get("allowed_mentions"), f"{path}allowed_mentions")
    return issues


def is_empty_message(body: dict[str, Any], attachment_count: int) -> bool:
    """Discord refuses a new message with nothing to show (code 50006)."""
    keys = ("content", "embeds", "components", "sticker_ids", "poll")
    return not attachment_count and not any(body.get(k) for k in keys)


def choice_issues(data: dict[str, Any]) -> list[Issue]:
    """Autocomplete results: at most 25 choices, names 1..100 characters."""
    choices = data.get("choices") or []
    issues = [bad_count("data.choices", 0, 25)] if len(choices) > 25 else []
    for i, choice in enumerate(choices):
        if not 1 <= len(str(choice.get("name", ""))) <= 100:
            issues.append(bad_count(f"data.choices.{i}.name", 1, 100))
        check_length(issues, f"data.choices.{i}.value", choice.get("value"), 100)
    return issues


def modal_issues(data: dict[str, Any]) -> list[Issue]:
    """Modal: title ≤ 45, 1..5 top-level components, text input limits."""
    issues: list[Issue] = []
    if not 1 <= len(data.get("title") or "") <= 45:
        issues.append(bad_count("data.title", 1, 45))
    if not data.get("custom_id"):
        issues.append(Issue("data.custom_id", "BASE_TYPE_REQUIRED", "This field is required"))
    components = data.get("components") or []
    if not 1 <= len(components) <= 5:
        issues.append(bad_count("data.components", 1, 5))
    for i, comp in enumerate(components):
        for at, item in walk_components(comp, f"data.components.{i}"):
            if item.get("type") in (TEXT_INPUT, LABEL):
                check_length(issues, f"{at}.label", item.get("label"), 45)
            if item.get("type") == TEXT_INPUT:
                check_length(issues, f"{at}.value", item.get("value"), 4000)
                check_length(issues, f"{at}.placeholder", item.get("placeholder"), 100)
    return issues


def command_issues(commands: list[dict[str, Any]]) -> list[Issue]:
    """Registration rules: names, descriptions, ≤ 25 options, required before optional, no duplicates."""
    issues: list[Issue] = []
    seen: set[tuple[str, int]] = set()
    for i, cmd in enumerate(commands):
        key = (cmd.get("name", ""), cmd.get("type", 1))
        if key in seen:
            issues.append(
                Issue(f"{i}.name", "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique")
            )
        seen.add(key)
        issues += _named_issues(cmd, str(i), slash=cmd.get("type", 1) == 1)
    return issues


def _named_issues(item: dict[str, Any], path: str, slash: bool) -> list[Issue]:
    """Name/description rules for a command or option, recursing into options."""
    issues: list[Issue] = []
    name = item.get("name", "")
    if slash and (not COMMAND_NAME.match(name) or name != name.lower()):
        issues.append(Issue(f"{path}.name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"))
    if slash and not 1 <= len(item.get("description") or "") <= 100:
        issues.append(bad_count(f"{path}.description", 1, 100))
    options = item.get("options") or []
    if len(options) > 25:
        issues.append(bad_count(f"{path}.options", 0, 25))
    optional_seen = False
    for j, opt in enumerate(options):
        if opt.get("type") not in (1, 2):
            if opt.get("required") and optional_seen:
                issues.append(
                    Issue(
                        f"{path}.options.{j}.required",
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options",
                    )
                )
            optional_seen = optional_seen or not opt.get("required")
        if len(opt.get("choices") or []) > 25:
            issues.append(bad_count(f"{path}.options.{j}.choices", 0, 25))
        issues += _named_issues(opt, f"{path}.options.{j}", slash=True)
    return issues
