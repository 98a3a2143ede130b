"""Discord's documented limits for messages, components, modals and autocomplete, checked so a bot that would
fail in production fails here. Sources: Discord's docs "Message Resource" (create/edit, embed limits, allowed
mentions), "Component Reference" (action row, button, select, text input) and "Receiving and Responding" (modal,
autocomplete); each check names its rule. Command registration rules are in command_rules.py.
"""

from __future__ import annotations

from typing import Any

from .command_rules import between, number_range, value_type_issues
from .errors import Issue
from .mentions import allowed_mentions_issues
from .records import COMPONENTS_V2

EMBED_TOTAL = 6000
EMBED_TEXT_LIMITS = {"title": 256, "description": 4096}
MAX_COLOR = 0xFFFFFF
STRING_SELECT, TEXT_INPUT, LABEL, ACTION_ROW, BUTTON = 3, 4, 18, 1, 2
SELECT_TYPES = frozenset({3, 5, 6, 7, 8})
LINK, PREMIUM = 5, 6
TEXT_INPUT_STYLES = (1, 2)  # docs: Short, Paragraph
TEXT_INPUT_MAX = 4000


def too_long(path: str, limit: int) -> Issue:
    """Discord's error for a string over its limit."""
    return Issue(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def bad_count(path: str, low: int, high: int) -> Issue:
    """Discord's error for a list with too few or too many items."""
    return Issue(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")


def required(path: str) -> Issue:
    """Discord's error for a missing or empty required field."""
    return Issue(path, "BASE_TYPE_REQUIRED", "This field is required")


def too_wide(path: str) -> Issue:
    """Docs: an action row holds up to 5 buttons, or one select, or one text input - never a mix."""
    return Issue(path, "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "The specified component exceeds the maximum width")


def check_length(issues: list[Issue], path: str, value: Any, limit: int) -> None:
    """Append an issue when a string is longer than ``limit``."""
    if isinstance(value, str) and len(value) > limit:
        issues.append(too_long(path, limit))


def embed_issues(embeds: list[dict[str, Any]], path: str) -> list[Issue]:
    """Docs "Embed Limits": per-field limits, 6000 characters in all, footer/author need text, colour ≤ 0xFFFFFF."""
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
                    issues.append(required(f"{at}.fields.{j}.{key}"))
                check_length(issues, f"{at}.fields.{j}.{key}", fld.get(key), limit)
        footer, author = embed.get("footer"), embed.get("author")
        for part, name, key, limit in ((footer, "footer", "text", 2048), (author, "author", "name", 256)):
            if isinstance(part, dict) and not part.get(key):
                issues.append(required(f"{at}.{name}.{key}"))
            check_length(issues, f"{at}.{name}.{key}", (part or {}).get(key), limit)
        color = embed.get("color")
        if isinstance(color, int) and not 0 <= color <= MAX_COLOR:
            issues.append(number_range(f"{at}.color", 0, MAX_COLOR, color))
        texts = [embed.get("title"), embed.get("description"), (footer or {}).get("text"), (author or {}).get("name")]
        texts += [f.get(k) for f in fields for k in ("name", "value")]
        total += sum(len(t) for t in texts if isinstance(t, str))
    if total > EMBED_TOTAL:
        issues.append(Issue(path, "MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of {EMBED_TOTAL}"))
    return issues


def component_issues(components: list[dict[str, Any]], path: str, v2: bool) -> list[Issue]:
    """Docs "Component Reference": rows at the top (unless components v2), row widths, buttons, selects, ids."""
    issues: list[Issue] = []
    if not v2 and len(components) > 5:
        issues.append(bad_count(path, 0, 5))
    seen: set[str] = set()
    for i, comp in enumerate(components):
        if not v2 and comp.get("type") != ACTION_ROW:
            issues.append(Issue(f"{path}.{i}.type", "UNION_TYPE_CHOICES", 'Value of field "type" must be one of (1,).'))
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
            kind = item.get("type")
            if kind == ACTION_ROW:
                issues += row_issues(item, at, v2)
            elif kind == BUTTON:
                issues += button_issues(item, at)
            elif kind == STRING_SELECT:
                issues += select_option_issues(item, at)
    return issues


def row_issues(row: dict[str, Any], path: str, v2: bool) -> list[Issue]:
    """Docs: 1..5 buttons, or exactly one select or text input, in one action row."""
    children = row.get("components") or []
    if not v2 and not 1 <= len(children) <= 5:
        return [bad_count(f"{path}.components", 1, 5)]
    wide = [j for j, c in enumerate(children) if c.get("type") in SELECT_TYPES or c.get("type") == TEXT_INPUT]
    return [too_wide(f"{path}.components.{j}") for j in wide] if wide and len(children) > 1 else []


def button_issues(button: dict[str, Any], path: str) -> list[Issue]:
    """Docs "Button": label ≤ 80; a link needs url, others a custom_id; a non-premium button shows a label or emoji."""
    issues: list[Issue] = []
    check_length(issues, f"{path}.label", button.get("label"), 80)
    style = button.get("style")
    if style == LINK and not button.get("url"):
        issues.append(required(f"{path}.url"))
    if style not in (LINK, PREMIUM) and not button.get("custom_id"):
        issues.append(required(f"{path}.custom_id"))
    if style != PREMIUM and not button.get("label") and not button.get("emoji"):
        issues.append(
            Issue(f"{path}.label", "BUTTON_COMPONENT_LABEL_OR_EMOJI_REQUIRED", "A label or an emoji is required")
        )
    return issues


def select_option_issues(select: dict[str, Any], path: str) -> list[Issue]:
    """Docs "String Select": 1..25 options, each label/value 1..100 and description ≤ 100."""
    options = select.get("options") or []
    issues = [bad_count(f"{path}.options", 1, 25)] if not 1 <= len(options) <= 25 else []
    for k, option in enumerate(options):
        for key in ("label", "value"):
            if not 1 <= len(str(option.get(key) or "")) <= 100:
                issues.append(between(f"{path}.options.{k}.{key}", 1, 100))
        check_length(issues, f"{path}.options.{k}.description", option.get("description"), 100)
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
    """Discord refuses a message with nothing to show (code 50006), on create and on an edit that empties it."""
    keys = ("content", "embeds", "components", "sticker_ids", "poll")
    return not attachment_count and not any(body.get(k) for k in keys)


def choice_issues(data: dict[str, Any], option_type: int | None = None) -> list[Issue]:
    """Docs "Autocomplete": ≤ 25 choices, names 1..100, values of the focused option's type."""
    choices = data.get("choices") or []
    issues = [bad_count("data.choices", 0, 25)] if len(choices) > 25 else []
    for i, choice in enumerate(choices):
        if not 1 <= len(str(choice.get("name", ""))) <= 100:
            issues.append(bad_count(f"data.choices.{i}.name", 1, 100))
        if option_type is None:
            check_length(issues, f"data.choices.{i}.value", choice.get("value"), 100)
        else:
            issues += value_type_issues(option_type, choice.get("value"), f"data.choices.{i}.value")
    return issues


def modal_issues(data: dict[str, Any]) -> list[Issue]:
    """Docs "Modal": title 1..45, custom_id 1..100, 1..5 top-level components, text input rules."""
    issues: list[Issue] = []
    if not 1 <= len(data.get("title") or "") <= 45:
        issues.append(bad_count("data.title", 1, 45))
    if not data.get("custom_id"):
        issues.append(required("data.custom_id"))
    elif len(str(data["custom_id"])) > 100:
        issues.append(bad_count("data.custom_id", 1, 100))
    components = data.get("components") or []
    if not 1 <= len(components) <= 5:
        issues.append(bad_count("data.components", 1, 5))
    for i, comp in enumerate(components):
        for at, item in walk_components(comp, f"data.components.{i}"):
            if item.get("type") == ACTION_ROW:
                issues += row_issues(item, at, v2=False)
            if item.get("type") in (TEXT_INPUT, LABEL):
                check_length(issues, f"{at}.label", item.get("label"), 45)
            if item.get("type") == TEXT_INPUT:
                issues += text_input_issues(item, at)
    return issues


def text_input_issues(item: dict[str, Any], path: str) -> list[Issue]:
    """Docs "Text Input": style 1 or 2, min_length 0..4000, max_length 1..4000, value ≤ 4000, placeholder ≤ 100."""
    issues: list[Issue] = []
    if item.get("style", 1) not in TEXT_INPUT_STYLES:
        issues.append(Issue(f"{path}.style", "BASE_TYPE_CHOICES", "Value must be one of {1, 2}."))
    for key, low in (("min_length", 0), ("max_length", 1)):
        value = item.get(key)
        if isinstance(value, int) and not low <= value <= TEXT_INPUT_MAX:
            issues.append(number_range(f"{path}.{key}", low, TEXT_INPUT_MAX, value))
    check_length(issues, f"{path}.value", item.get("value"), TEXT_INPUT_MAX)
    check_length(issues, f"{path}.placeholder", item.get("placeholder"), 100)
    return issues
