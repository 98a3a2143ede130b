"""Plain-text rendering of recorded messages, modals and choices for an interactive console."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .records import EPHEMERAL, LOADING, InteractionRecord, Message

BUTTON, STRING_SELECT, TEXT_INPUT = 2, 3, 4
SELECT_NAMES = {3: "select", 5: "user select", 6: "role select", 7: "mentionable select", 8: "channel select"}
LINK_STYLE = 5


@dataclass(frozen=True)
class Choice:
    """A numbered interactive component, so a console user can type ``2`` to press the second button."""

    number: int
    custom_id: str
    kind: str
    label: str
    disabled: bool = False
    options: tuple[tuple[str, str], ...] = field(default=())


def _fields(message: Message | dict[str, Any]) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]], int]:
    """Content, embeds, components and flags of either a record or a wire message."""
    if isinstance(message, Message):
        return message.content, message.embeds, message.components, message.flags
    return (
        message.get("content") or "",
        message.get("embeds") or [],
        message.get("components") or [],
        int(message.get("flags") or 0),
    )


def _interactive(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Buttons and selects in display order, walking rows, sections and containers."""
    found: list[dict[str, Any]] = []
    for comp in components:
        if comp.get("type") == BUTTON or comp.get("type") in SELECT_NAMES:
            found.append(comp)
        found += _interactive(comp.get("components") or [])
        if isinstance(comp.get("accessory"), dict):
            found += _interactive([comp["accessory"]])
    return found


def component_choices(message: Message | dict[str, Any]) -> list[Choice]:
    """Numbered buttons and selects with a custom id (link buttons are shown but not numbered)."""
    choices: list[Choice] = []
    for comp in _interactive(_fields(message)[2]):
        if comp.get("custom_id") is None:
            continue
        kind = "button" if comp["type"] == BUTTON else SELECT_NAMES[comp["type"]]
        emoji = (comp.get("emoji") or {}).get("name")
        label = comp.get("label") or comp.get("placeholder") or emoji or comp["custom_id"]
        options = tuple((o["value"], o.get("label", o["value"])) for o in comp.get("options") or [])
        choices.append(Choice(len(choices) + 1, comp["custom_id"], kind, label, bool(comp.get("disabled")), options))
    return choices


def render_embed(embed: dict[str, Any]) -> list[str]:
    """An embed as a boxed text block: author, title, description, fields, image, footer."""
    lines = []
    if (embed.get("author") or {}).get("name"):
        lines.append(embed["author"]["name"])
    if embed.get("title"):
        lines.append(f"== {embed['title']} ==" + (f" <{embed['url']}>" if embed.get("url") else ""))
    if embed.get("description"):
        lines += str(embed["description"]).splitlines()
    for fld in embed.get("fields") or []:
        value = str(fld.get("value", "")).splitlines() or [""]
        if len(value) == 1:
            lines.append(f"{fld.get('name', '')}: {value[0]}")
        else:  # a multi-line value under its name, indented, so every line stays inside the box
            lines += [f"{fld.get('name', '')}:", *(f"  {line}" for line in value)]
    for key in ("image", "thumbnail"):
        if (embed.get(key) or {}).get("url"):
            lines.append(f"[{key}: {embed[key]['url']}]")
    if (embed.get("footer") or {}).get("text"):
        lines.append(f"-- {embed['footer']['text']}")
    return ["+" + "-" * 40] + [f"| {line}" for line in lines] + ["+" + "-" * 40]


def _render_layout(components: list[dict[str, Any]], numbers: dict[str, int]) -> list[str]:
    """Components v1 rows and v2 layout blocks as lines; interactive ones carry their number."""
    lines: list[str] = []
    for comp in components:
        kind = comp.get("type")
        if kind == 1:
            lines.append("   ".join(_control(c, numbers) for c in comp.get("components") or []))
        elif kind in (BUTTON, *SELECT_NAMES):
            lines.append(_control(comp, numbers))
        elif kind == 10:
            lines += str(comp.get("content", "")).splitlines()
        elif kind == 9:
            lines += _render_layout(comp.get("components") or [], numbers)
            if isinstance(comp.get("accessory"), dict) and comp["accessory"].get("type") == BUTTON:
                lines.append("  " + _control(comp["accessory"], numbers))
        elif kind == 17:
            inner = _render_layout(comp.get("components") or [], numbers)
            lines += ["+" + "=" * 40] + [f"| {line}" for line in inner] + ["+" + "=" * 40]
        elif kind == 14:
            lines.append("-" * 20)
        elif kind in (11, 12, 13):
            lines.append(f"[media: {comp.get('file', {}).get('url') or len(comp.get('items') or [])}]")
    return lines


def _control(comp: dict[str, Any], numbers: dict[str, int]) -> str:
    """One button or select, e.g. ``[2] Cancel (disabled)`` or ``[link] Docs <url>``."""
    disabled = " (disabled)" if comp.get("disabled") else ""
    if comp.get("type") == BUTTON:
        label = comp.get("label") or (comp.get("emoji") or {}).get("name") or ""
        if comp.get("style") == LINK_STYLE:
            return f"[link] {label} <{comp.get('url')}>"
        return f"[{numbers.get(comp.get('custom_id', ''), '?')}] {label}{disabled}"
    options = ", ".join(o.get("label", o.get("value", "")) for o in comp.get("options") or [])
    name = SELECT_NAMES.get(comp.get("type", 3), "select")
    text = f"[{numbers.get(comp.get('custom_id', ''), '?')}] {name}: {comp.get('placeholder') or ''}"
    return text + (f" ({options})" if options else "") + disabled


def render_message(message: Message | dict[str, Any], author: str | None = None) -> str:
    """A message as legible text: header, content, embeds as blocks, buttons as numbered choices."""
    content, embeds, components, flags = _fields(message)
    tags = [t for t, bit in (("ephemeral", EPHEMERAL), ("thinking...", LOADING)) if flags & bit]
    if isinstance(message, Message) and message.edited_timestamp:
        tags.append("edited")
    header = f"[{author}]" if author else ""
    lines = [" ".join([header, *(f"({t})" for t in tags)]).strip()] if header or tags else []
    lines += content.splitlines()
    for embed in embeds:
        lines += render_embed(embed)
    if isinstance(message, Message):
        lines += [f"[file: {a.filename} ({a.size} bytes)]" for a in message.attachments]
    numbers = {c.custom_id: c.number for c in component_choices(message)}
    lines += _render_layout(components, numbers)
    return "\n".join(lines)


def render_modal(modal: dict[str, Any]) -> str:
    """A modal as a form: title, then each input with its custom id and whether it is required."""
    lines = [f"## {modal.get('title', '')}"]
    for comp in modal.get("components") or []:
        label = comp.get("label")
        inner = [comp["component"]] if comp.get("type") == 18 else comp.get("components") or [comp]
        for item in inner:
            if item.get("type") == 10:
                lines.append(str(item.get("content", "")))
                continue
            required = " *" if item.get("required", True) else ""
            style = " (paragraph)" if item.get("style") == 2 else ""
            lines.append(
                f"- {label or item.get('label') or item.get('custom_id')}{required}{style} [{item.get('custom_id')}]"
            )
    return "\n".join(lines)


def render_choices(choices: list[dict[str, Any]]) -> str:
    """Autocomplete suggestions as a numbered list."""
    return "\n".join(f"{i}. {c.get('name')} = {c.get('value')!r}" for i, c in enumerate(choices, 1))


def render_interaction(record: InteractionRecord, author: str | None = None) -> str:
    """Everything the user would see after an interaction: response, modal or choices, and followups."""
    parts = []
    if record.modal is not None:
        parts.append(render_modal(record.modal))
    elif record.choices is not None:
        parts.append(render_choices(record.choices))
    elif record.original is not None and not record.original.deleted:
        parts.append(render_message(record.original, author))
    parts += [
        render_message(m, author) for m in record.followups if m.id != record.original_message_id and not m.deleted
    ]
    return "\n\n".join(parts) if parts else "(no response)"
