"""Which mentions of a bot message would ping, by Discord's ``allowed_mentions`` rules, and that field's own checks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .errors import Issue

PARSE_TYPES = ("roles", "users", "everyone")
MAX_IDS = 100
TEXT_DISPLAY = 10
EVERYONE = re.compile(r"@(everyone|here)")
USER = re.compile(r"<@!?(\d+)>")
ROLE = re.compile(r"<@&(\d+)>")
SNOWFLAKE = re.compile(r"^\d{1,20}$")


@dataclass(frozen=True)
class Pings:
    """Who a message notifies: false when nobody; ``everyone`` covers @everyone and @here."""

    everyone: bool = False
    users: frozenset[int] = field(default_factory=frozenset)
    roles: frozenset[int] = field(default_factory=frozenset)

    def __bool__(self) -> bool:
        return self.everyone or bool(self.users) or bool(self.roles)

    def __or__(self, other: Pings) -> Pings:
        return Pings(self.everyone or other.everyone, self.users | other.users, self.roles | other.roles)


def mentionable_text(content: str, components: list[dict[str, Any]]) -> str:
    """Where Discord looks for mentions: the content and components-v2 text displays, never embeds."""
    texts = [content]
    stack = list(components)
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("type") == TEXT_DISPLAY:
                texts.append(str(item.get("content") or ""))
            stack += item.get("components") or []
    return "\n".join(texts)


def pings(text: str, allowed: dict[str, Any] | None, replied_user: int | None = None) -> Pings:
    """What pings: without ``allowed_mentions`` every mention in the text (and the replied-to author) does."""
    # Stricter than Discord, so a test of "nobody was pinged" never passes by luck: @everyone, @here and role
    # mentions count whatever the bot's permissions and the role's `mentionable` flag, and escapes are ignored.
    everyone = bool(EVERYONE.search(text))
    users = {int(m) for m in USER.findall(text)}
    roles = {int(m) for m in ROLE.findall(text)}
    if allowed is None:
        return Pings(everyone, frozenset(users | ({replied_user} if replied_user else set())), frozenset(roles))
    parse = set(allowed.get("parse") or [])
    listed_users = {int(u) for u in allowed.get("users") or []}
    listed_roles = {int(r) for r in allowed.get("roles") or []}
    pinged_users = users if "users" in parse else users & listed_users
    if replied_user and allowed.get("replied_user"):
        pinged_users = pinged_users | {replied_user}
    return Pings(
        everyone and "everyone" in parse,
        frozenset(pinged_users),
        frozenset(roles if "roles" in parse else roles & listed_roles),
    )


def allowed_mentions_issues(value: Any, path: str) -> list[Issue]:
    """Discord's checks of the field: known parse types, ≤ 100 snowflakes, and parse vs. lists exclusive."""
    if value is None:
        return []
    if not isinstance(value, dict):
        return [Issue(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")]
    issues: list[Issue] = []
    parse = value.get("parse")
    if parse is not None and not isinstance(parse, list):
        issues.append(Issue(f"{path}.parse", "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType"))
        parse = []
    for i, kind in enumerate(parse or []):
        if kind not in PARSE_TYPES:
            issues.append(
                Issue(f"{path}.parse.{i}", "BASE_TYPE_CHOICES", "Value must be one of {'roles', 'users', 'everyone'}.")
            )
    for key in ("users", "roles"):
        ids = value.get(key)
        if ids is None:
            continue
        if not isinstance(ids, list):
            issues.append(Issue(f"{path}.{key}", "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType"))
            continue
        if len(ids) > MAX_IDS:
            issues.append(Issue(f"{path}.{key}", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_IDS} or fewer in length."))
        for i, raw in enumerate(ids):
            if isinstance(raw, bool) or not SNOWFLAKE.match(str(raw)):
                issues.append(Issue(f"{path}.{key}.{i}", "NUMBER_TYPE_COERCE", f'Value "{raw}" is not snowflake.'))
        if ids and key in (parse or []):
            issues.append(
                Issue(
                    path,
                    "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                    f'parse:["{key}"] and {key}: [ids] are mutually exclusive.',
                )
            )
    if "replied_user" in value and not isinstance(value["replied_user"], bool):
        issues.append(Issue(f"{path}.replied_user", "BASE_TYPE_BOOLEAN", "Must be either true or false."))
    return issues
