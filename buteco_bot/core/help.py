"""/help built from what is really in the command tree, grouped by the plugin that owns each command."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Where

from .embeds import chunk_lines, paginate
from .i18n import t
from .manifest import DEFAULT_LOCALE, localize
from .registry import CORE, PluginRegistry


def leaf_commands(
    tree: app_commands.CommandTree, guild: discord.abc.Snowflake | None = None
) -> list[app_commands.Command]:
    """Every invocable slash command (subcommands, not their groups), global plus the guild's own."""
    found = {
        c.qualified_name: c
        for c in tree.walk_commands(type=discord.AppCommandType.chat_input)
        if isinstance(c, app_commands.Command)
    }
    if guild is not None:
        found.update(
            {c.qualified_name: c for c in tree.walk_commands(guild=guild) if isinstance(c, app_commands.Command)}
        )
    return [found[name] for name in sorted(found)]


def dangling_help(declared: Iterable[str], existing: Iterable[str]) -> list[str]:
    """Help entries that name a command which does not exist."""
    names = set(existing)
    return [name for name in declared if name not in names]


async def _translate(
    tree: app_commands.CommandTree,
    text: app_commands.locale_str | None,
    fallback: str,
    where: Where,
    data: Any,
    locale: str,
) -> str:
    if tree.translator is None or locale == DEFAULT_LOCALE or text is None:
        return fallback
    found = await tree.translator.translate(text, discord.Locale(locale), app_commands.TranslationContext(where, data))
    return found or fallback


async def usage(tree: app_commands.CommandTree, command: app_commands.Command, locale: str) -> str:
    """`/name <required> [optional]` as the member's client shows it."""
    parts = []
    for part in [*([command.parent] if command.parent else []), command]:
        where = Where.group_name if isinstance(part, app_commands.Group) else Where.command_name
        parts.append(
            await _translate(
                tree, part._locale_name or app_commands.locale_str(part.name), part.name, where, part, locale
            )
        )
    for param in command.parameters:
        name = await _translate(
            tree, app_commands.locale_str(param.display_name), param.display_name, Where.parameter_name, param, locale
        )
        parts.append(f"<{name}>" if param.required else f"[{name}]")
    return "/" + " ".join(parts)


async def describe_command(tree: app_commands.CommandTree, command: app_commands.Command, locale: str) -> str:
    return await _translate(
        tree,
        command._locale_description or app_commands.locale_str(command.description),
        command.description,
        Where.command_description,
        command,
        locale,
    )


async def build_help(
    registry: PluginRegistry, tree: app_commands.CommandTree, locale: str, guild: discord.abc.Snowflake | None = None
) -> list[discord.Embed]:
    """One field group per plugin (and category), exactly the commands that exist."""
    groups: dict[tuple[str, str], list[str]] = {}
    order = {CORE: 0}
    for command in leaf_commands(tree, guild):
        plugin_id = registry.owner_of(command)
        plugin = registry.plugins.get(plugin_id)
        entry = registry.help_entry(plugin_id, command.qualified_name)
        if entry is not None:
            category, text = localize(entry.category, locale), localize(entry.description, locale)
        else:
            category, text = t(locale, "help.general"), await describe_command(tree, command, locale)
        heading = t(locale, "help.core") if plugin is None else plugin.display_name(locale)
        order.setdefault(plugin_id, len(order))
        groups.setdefault((plugin_id, f"{heading} · {category}"), []).append(
            f"`{await usage(tree, command, locale)}` — {text}"
        )
    fields = [
        (title if i == 0 else f"{title} ({i + 1})", chunk)
        for (plugin_id, title), lines in sorted(groups.items(), key=lambda kv: (order[kv[0][0]], kv[0][1]))
        for i, chunk in enumerate(chunk_lines(lines))
    ]
    return paginate(t(locale, "help.title"), fields, description=t(locale, "help.description"))
