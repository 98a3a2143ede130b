"""Turn a typed line (`/transfer @bob 50 reason:"for the beer"`) into a command path and its options.

The schema is the command tree the bot synced into the emulator, so every plugin's commands (declarative or
Python) are understood without a list here. Options go by position (in the order Discord shows them) or as
`name:value`; `@name` is a member, `#name` a channel; a free-text option takes every word that the required
options after it do not need (`/ask what is a buteco?`), so optional ones after it go by `name:value`.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = 3, 4, 5, 6, 7, 8, 9, 10, 11
TYPE_NAMES = {
    STRING: "text",
    INTEGER: "integer",
    BOOLEAN: "true/false",
    USER: "@member",
    CHANNEL: "#channel",
    ROLE: "@role",
    MENTIONABLE: "@member",
    NUMBER: "number",
    ATTACHMENT: "file",
}
TRUE, FALSE = {"true", "yes", "y", "1", "on", "sim"}, {"false", "no", "n", "0", "off", "nao", "não"}

Resolver = Callable[[int, str], Any]
"""(option type, typed text) -> the entity (member, channel, role); raises ParseError when nothing matches."""


class ParseError(ValueError):
    """What is wrong with the typed line, phrased for the person who typed it."""


@dataclass
class Parsed:
    path: str  # "bet place": what Emulator.invoke takes
    options: dict[str, Any] = field(default_factory=dict)


def usage(name: str, options: Iterable[dict[str, Any]]) -> str:
    """`/transfer <member:@member> <amount:integer> [reason:text]`, or the subcommands to choose from."""
    options = list(options)
    subs = [o["name"] for o in options if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)]
    if subs:
        return f"/{name} <{'|'.join(subs)}> ..."

    def kind(option: dict[str, Any]) -> str:
        choices = option.get("choices") or []
        return "|".join(str(c["value"]) for c in choices) if choices else TYPE_NAMES.get(option["type"], "?")

    parts = [f"<{o['name']}:{kind(o)}>" if o.get("required") else f"[{o['name']}:{kind(o)}]" for o in options]
    return " ".join([f"/{name}", *parts])


def leaves(name: str, payload: dict[str, Any]) -> list[tuple[str, str]]:
    """(usage, description) of every runnable form of a command: each subcommand of a group on its own."""
    options = list(payload.get("options") or [])
    subs = [o for o in options if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)]
    if not subs:
        return [(usage(name, options), str(payload.get("description", "")))]
    return [found for sub in subs for found in leaves(f"{name} {sub['name']}", sub)]


def _convert(spec: dict[str, Any], text: str, resolve: Resolver) -> Any:
    kind, name = spec["type"], spec["name"]
    if kind in (USER, MENTIONABLE, CHANNEL, ROLE):
        return resolve(kind, text)
    try:
        if kind == INTEGER:
            value: Any = int(text.replace(",", "").replace("_", ""))
        elif kind == NUMBER:
            value = float(text.replace(",", ""))
        elif kind == BOOLEAN:
            if text.lower() not in TRUE | FALSE:
                raise ValueError
            return text.lower() in TRUE
        else:
            value = text
    except ValueError:
        raise ParseError(f"{name} must be {TYPE_NAMES.get(kind, 'a value')}, not {text!r}") from None
    choices = spec.get("choices") or []
    for choice in choices:
        if str(choice["value"]).lower() == str(value).lower() or str(choice["name"]).lower() == text.lower():
            return choice["value"]
    if choices:
        names = ", ".join(str(c["value"]) for c in choices)
        raise ParseError(f"{name} must be one of: {names}")
    return value


def parse(line: str, commands: dict[str, dict[str, Any]], resolve: Resolver) -> Parsed:
    """Parse `/name [group] [sub] values...` against the synced command payloads (name -> payload)."""
    try:
        words = shlex.split(line.strip().removeprefix("/"))
    except ValueError as exc:
        raise ParseError(f"cannot read that line: {exc}") from None
    if not words:
        raise ParseError("type a command after the slash, e.g. /help")
    name, words = words[0].lower(), words[1:]
    if name not in commands:
        raise ParseError(f"/{name} is not a command here; known: {', '.join('/' + n for n in sorted(commands))}")
    path, schema = [name], list(commands[name].get("options") or [])
    while any(o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in schema):
        subs = {o["name"]: o for o in schema if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)}
        if not words or words[0].lower() not in subs:
            raise ParseError(f"usage: {usage(' '.join(path), schema)}")
        sub = subs[words.pop(0).lower()]
        path.append(sub["name"])
        schema = list(sub.get("options") or [])
    by_name = {o["name"]: o for o in schema}
    values: dict[str, str] = {}
    positional: list[str] = []
    for word in words:
        key, sep, value = word.partition(":")
        if sep and key.lower() in by_name and key.lower() not in values:
            values[key.lower()] = value
        else:
            positional.append(word)
    free = [o for o in schema if o["name"] not in values]
    for index, spec in enumerate(free):
        if not positional:
            break
        take = 1
        if spec["type"] == STRING and not spec.get("choices"):  # free text: every word the required rest spares
            take = max(1, len(positional) - sum(1 for o in free[index + 1 :] if o.get("required")))
        values[spec["name"]], positional = " ".join(positional[:take]), positional[take:]
    if positional:
        raise ParseError(f"too many values ({' '.join(positional)}); usage: {usage(' '.join(path), schema)}")
    missing = [o["name"] for o in schema if o.get("required") and o["name"] not in values]
    if missing:
        raise ParseError(f"missing {', '.join(missing)}; usage: {usage(' '.join(path), schema)}")
    return Parsed(" ".join(path), {key: _convert(by_name[key], text, resolve) for key, text in values.items()})
