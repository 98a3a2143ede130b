"""/help built from what is really in the command tree, grouped by the plugin that owns each command."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Where

from .embeds import chunk_lines, paginate
from .i18n import t
from .manifest import DEFAULT_LOCALE, localize
from .registry import CORE, PluginRegistry

T = TypeVar("T")
NEEDS = "__buteco_needs_permissions__"


def needs_permissions(**perms: bool) -> Callable[[T], T]:
    """app_commands.checks.has_permissions, plus a mark /help reads: a subcommand cannot carry Discord's
    default_permissions (its group's members' commands would vanish too), so /help learns it from here."""
    check = app_commands.checks.has_permissions(**perms)

    def decorator(func: T) -> T:
        callback = func.callback if isinstance(func, app_commands.Command) else func
        setattr(callback, NEEDS, discord.Permissions(**perms).value)
        return check(func)

    return decorator


def required_permissions(command: app_commands.Command) -> discord.Permissions:
    """What a member needs to use the command: its mark and the default_permissions of it and its groups."""
    needed = discord.Permissions(getattr(command.callback, NEEDS, 0))
    for part in (command, command.parent, command.root_parent):
        if part is not None and part.default_permissions is not None:
            needed |= part.default_permissions
    return needed


def usable(command: app_commands.Command, permissions: discord.Permissions | None) -> bool:
    """Whether a member with `permissions` may use the command (None: list everything)."""
    return permissions is None or permissions.administrator or required_permissions(command) <= permissions


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
    registry: PluginRegistry,
    tree: app_commands.CommandTree,
    locale: str,
    guild: discord.abc.Snowflake | None = None,
    permissions: discord.Permissions | None = None,
) -> list[discord.Embed]:
    """One field group per plugin (and category): the commands that exist and the member may use."""
    groups: dict[tuple[str, str], list[str]] = {}
    order = {CORE: 0}
    for command in leaf_commands(tree, guild):
        if not usable(command, permissions):
            continue
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
