"""Discord's registration rules for application commands, so a command Discord would refuse is refused here.

Source: Discord's docs, "Application Commands" (application command object, option structure, option choice
structure, localization, "Registering a Command" limits). Each check names the rule it enforces.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import Issue

NAME = re.compile(r"^[-_'\w]{1,32}$")  # docs: CHAT_INPUT names match ^[-_'\p{L}\p{N}...]{1,32}$, lower-case
SUB_COMMAND, SUB_COMMAND_GROUP, STRING, INTEGER, NUMBER = 1, 2, 3, 4, 10
OPTION_TYPES = frozenset(range(1, 12))  # docs: Application Command Option Type 1 (SUB_COMMAND) .. 11 (ATTACHMENT)
VALUED = frozenset({STRING, INTEGER, NUMBER})  # docs: only these take choices, autocomplete
COMBINED_LIMIT = 8000  # docs: name + description + choice names/values of the whole command, longest localization
STRING_LENGTH_MAX = 6000  # docs: min_length 0..6000, max_length 1..6000
SAFE_INTEGER = 2**53  # docs: INTEGER is any integer between -2^53 and 2^53
LOCALE_NAMES = "id da de en-GB en-US es-ES es-419 fr hr it lt hu nl no pl pt-BR ro fi sv-SE vi tr cs el bg ru uk hi th"
LOCALES = frozenset(f"{LOCALE_NAMES} zh-CN ja zh-TW ko".split())  # docs: Reference › Locales, the only keys allowed


def issue(path: str, code: str, message: str) -> Issue:
    """Shorthand used by every rule below."""
    return Issue(path, code, message)


def between(path: str, low: int, high: int) -> Issue:
    """Discord's error for a string or list outside its length range."""
    return issue(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")


def command_issues(commands: list[dict[str, Any]]) -> list[Issue]:
    """Every rule for a bulk overwrite (or one command): unique names, each command's tree, the combined size."""
    issues: list[Issue] = []
    seen: set[tuple[str, int]] = set()
    for i, cmd in enumerate(commands):
        key = (cmd.get("name", ""), cmd.get("type", 1))
        if key in seen:  # docs: names are unique per type and scope
            issues.append(
                issue(f"{i}.name", "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique")
            )
        seen.add(key)
        slash = cmd.get("type", 1) == 1
        issues += named_issues(cmd, str(i), slash=slash, top=True)
        if slash and combined_size(cmd) > COMBINED_LIMIT:
            issues.append(
                issue(str(i), "APPLICATION_COMMAND_TOO_LARGE", f"Command exceeds maximum size ({COMBINED_LIMIT})")
            )
    return issues


def combined_size(item: dict[str, Any]) -> int:
    """Characters counted towards the 8,000 limit: the longest of each field and its localizations."""

    def longest(key: str) -> int:
        values = [item.get(key) or "", *((item.get(f"{key}_localizations") or {}).values())]
        return max(len(str(v or "")) for v in values)

    size = longest("name") + longest("description")
    for choice in item.get("choices") or []:
        size += longest_of(choice) + len(str(choice.get("value", "")))
    return size + sum(combined_size(o) for o in item.get("options") or [] if isinstance(o, dict))


def longest_of(choice: dict[str, Any]) -> int:
    """A choice's name or its longest localized name."""
    names = [choice.get("name") or "", *((choice.get("name_localizations") or {}).values())]
    return max(len(str(n or "")) for n in names)


def localization_issues(item: dict[str, Any], path: str, slash: bool) -> list[Issue]:
    """Docs: keys are Discord locales; localized names follow the name rules, descriptions are 1..100."""
    issues: list[Issue] = []
    for key, limit in (("name_localizations", 32), ("description_localizations", 100)):
        for locale, text in (item.get(key) or {}).items():
            at = f"{path}.{key}.{locale}"
            if locale not in LOCALES:
                issues.append(issue(at, "BASE_TYPE_CHOICES", f"Value must be one of {sorted(LOCALES)}."))
            elif key == "name_localizations" and slash and not valid_name(str(text or "")):
                issues.append(issue(at, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"))
            elif not 1 <= len(str(text or "")) <= limit:
                issues.append(between(at, 1, limit))
    return issues


def valid_name(name: str) -> bool:
    """Docs: 1..32 characters, no spaces, lower case where the script has case."""
    return bool(NAME.match(name)) and name == name.lower()


def named_issues(item: dict[str, Any], path: str, slash: bool, top: bool = False) -> list[Issue]:
    """Name, description and localizations of a command or option, then its options."""
    issues: list[Issue] = []
    if slash and not valid_name(item.get("name", "")):
        issues.append(issue(f"{path}.name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"))
    if slash and not 1 <= len(item.get("description") or "") <= 100:
        issues.append(between(f"{path}.description", 1, 100))
    issues += localization_issues(item, path, slash)
    if not top:
        issues += value_rules(item, path)
    return issues + options_issues(item, path, slash, int(item.get("type", 1)) if not top else 0)


def options_issues(item: dict[str, Any], path: str, slash: bool, parent: int) -> list[Issue]:
    """Docs: ≤ 25 options, unique names, required first, subcommands never mixed with values nor nested deeper."""
    options = item.get("options") or []
    issues = [between(f"{path}.options", 0, 25)] if len(options) > 25 else []
    names: set[str] = set()
    grouping = [o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in options]
    optional_seen = False
    for j, opt in enumerate(options):
        at = f"{path}.options.{j}"
        kind = opt.get("type")
        if opt.get("name") in names:
            issues.append(
                issue(f"{at}.name", "APPLICATION_COMMAND_OPTIONS_DUPLICATE_NAME", "Option names must be unique")
            )
        names.add(opt.get("name"))
        if kind not in OPTION_TYPES:
            issues.append(issue(f"{at}.type", "BASE_TYPE_CHOICES", f"Value must be one of {sorted(OPTION_TYPES)}."))
        if any(grouping) and not all(grouping):
            issues.append(
                issue(
                    at,
                    "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                    "Sub-command and sub-command group option types are mutually exclusive to all other types",
                )
            )
        elif nested_wrongly(parent, kind):
            issues.append(issue(f"{at}.type", "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Invalid nesting of option"))
        if kind not in (SUB_COMMAND, SUB_COMMAND_GROUP):
            if opt.get("required") and optional_seen:
                issues.append(
                    issue(
                        f"{at}.required",
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options",
                    )
                )
            optional_seen = optional_seen or not opt.get("required")
        issues += named_issues(opt, at, slash=True)
    return issues


def nested_wrongly(parent: int, kind: Any) -> bool:
    """Docs: a group holds only subcommands, a subcommand holds only values (one level of groups at most)."""
    if parent == SUB_COMMAND_GROUP:
        return kind != SUB_COMMAND
    return parent == SUB_COMMAND and kind in (SUB_COMMAND, SUB_COMMAND_GROUP)


def value_rules(opt: dict[str, Any], path: str) -> list[Issue]:
    """Docs: choices (≤ 25, name/value ≤ 100, the option's type) xor autocomplete; length and value ranges by type."""
    issues: list[Issue] = []
    kind, choices = opt.get("type"), opt.get("choices") or []
    if choices and kind not in VALUED:
        issues.append(
            issue(
                f"{path}.choices", "APPLICATION_COMMAND_OPTION_CHOICES_INVALID", "Choices are not allowed for this type"
            )
        )
    if opt.get("autocomplete") and (choices or kind not in VALUED):
        issues.append(
            issue(
                f"{path}.autocomplete",
                "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID",
                "Autocomplete cannot be set with choices or for this type",
            )
        )
    if len(choices) > 25:
        issues.append(between(f"{path}.choices", 0, 25))
    for k, choice in enumerate(choices):
        at = f"{path}.choices.{k}"
        if not 1 <= len(str(choice.get("name") or "")) <= 100:
            issues.append(between(f"{at}.name", 1, 100))
        for locale, text in (choice.get("name_localizations") or {}).items():
            if locale not in LOCALES or not 1 <= len(str(text or "")) <= 100:
                issues.append(between(f"{at}.name_localizations.{locale}", 1, 100))
        issues += value_type_issues(kind, choice.get("value"), f"{at}.value")
    for key in ("min_length", "max_length"):
        if opt.get(key) is not None:
            low = 0 if key == "min_length" else 1
            if kind != STRING:
                issues.append(
                    issue(
                        f"{path}.{key}",
                        "APPLICATION_COMMAND_OPTION_INVALID",
                        f"{key} is only allowed for string options",
                    )
                )
            elif not low <= opt[key] <= STRING_LENGTH_MAX:
                issues.append(number_range(f"{path}.{key}", low, STRING_LENGTH_MAX, opt[key]))
    for key in ("min_value", "max_value"):
        if opt.get(key) is not None and kind not in (INTEGER, NUMBER):
            issues.append(
                issue(
                    f"{path}.{key}", "APPLICATION_COMMAND_OPTION_INVALID", f"{key} is only allowed for number options"
                )
            )
    return issues


def number_range(path: str, low: int, high: int, value: Any) -> Issue:
    """Discord's error for a number outside its allowed range."""
    if value > high:
        return issue(path, "NUMBER_TYPE_MAX", f"int value should be less than or equal to {high}.")
    return issue(path, "NUMBER_TYPE_MIN", f"int value should be greater than or equal to {low}.")


def value_type_issues(kind: Any, value: Any, path: str) -> list[Issue]:
    """Docs: a choice (or autocomplete result) value has the option's type; strings are 1..100 characters."""
    if kind == STRING:
        if not isinstance(value, str):
            return [issue(path, "BASE_TYPE_STRING", "Must be a string.")]
        return [between(path, 1, 100)] if not 1 <= len(value) <= 100 else []
    if kind == INTEGER and (isinstance(value, bool) or not isinstance(value, int) or abs(value) > SAFE_INTEGER):
        return [issue(path, "NUMBER_TYPE_COERCE", f'Value "{value}" is not int.')]
    if kind == NUMBER and (isinstance(value, bool) or not isinstance(value, (int, float))):
        return [issue(path, "NUMBER_TYPE_COERCE", f'Value "{value}" is not a valid number.')]
    return []
