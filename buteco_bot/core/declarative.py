"""Slash commands declared in a manifest: built at runtime, they call the service and render its JSON."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import discord
from discord import app_commands

from .boundary import dot_segments
from .errors import UserFacingError
from .i18n import locale_of
from .manifest import DEFAULT_LOCALE, PLACEHOLDER, DeclarativeCommand, Manifest, Option
from .registry import PluginRegistry
from .text import clip, escape

FIELD = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$")
MAX_MESSAGE = 2000
TYPES: dict[str, Any] = {"string": str, "integer": int, "boolean": bool, "user": discord.User}


def _text(localized: Mapping[str, str]) -> app_commands.locale_str:
    """A locale_str carrying the manifest's own translations (CatalogTranslator prefers them)."""
    return app_commands.locale_str(localized[DEFAULT_LOCALE], translations=dict(localized))


def _resolve(context: Any, dotted: str) -> Any:
    """Walk dict keys and list indexes only: never attributes, never format specs."""
    value = context
    for part in dotted.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _show(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def render_template(template: str, context: Mapping[str, Any]) -> str:
    """`{a.b.0}` looks up JSON data, shown escaped (the manifest's markdown stays); `{{`/`}}` are braces."""

    def field(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1).strip()
        return escape(_show(_resolve(context, name))) if PATH.match(name) else token

    return clip(FIELD.sub(field, template), MAX_MESSAGE)


def _annotation(option: Option) -> Any:
    base = TYPES[option.type]
    if option.type == "integer" and (option.min_value is not None or option.max_value is not None):
        return app_commands.Range[int, option.min_value, option.max_value]
    return base


def service_language(languages: Mapping[str, str], locale: discord.Locale | str | None) -> str:
    """`{lang}`: the member's locale as one the bot speaks (pt-* → pt-BR, else en-US), spelled as the service wants."""
    spoken = locale_of(locale)
    return languages.get(spoken, spoken)


def fill_path(template: str, values: Mapping[str, Any]) -> str:
    """Placeholders filled with percent-encoded values; a `.` or `..` segment would leave the service's base path."""
    path = PLACEHOLDER.sub(lambda m: quote(str(values[m.group(1)]), safe=""), template)
    if dot_segments(path):
        raise UserFacingError("errors.unsafe_path")
    return path


def _plain(value: Any) -> Any:
    return value.id if isinstance(value, (discord.User, discord.Member)) else value


def build_command(
    registry: PluginRegistry, plugin_id: str, spec: DeclarativeCommand, languages: Mapping[str, str] | None = None
) -> app_commands.Command:
    """An app_commands.Command whose typed options come from the manifest."""

    async def callback(interaction: discord.Interaction, **values: Any) -> None:
        given = {name: _plain(value) for name, value in values.items() if value is not None}
        builtins = {
            "guild_id": interaction.guild_id or 0,
            "user_id": interaction.user.id,
            "channel_id": interaction.channel_id or 0,
            "locale": interaction.locale.value,
            "lang": service_language(languages or {}, interaction.locale),
            "interaction_id": interaction.id,
        }
        in_path = set(PLACEHOLDER.findall(spec.path))
        path = fill_path(spec.path, {**builtins, **given})  # refused before anything is sent or deferred
        await interaction.response.defer(ephemeral=spec.ephemeral, thinking=True)
        rest = {k: v for k, v in given.items() if k not in in_path}
        body_method = spec.method in ("POST", "PUT", "PATCH")
        reply = await registry.service(plugin_id).request(
            spec.method,
            path,
            json=rest if body_method else None,
            params=None if body_method else rest,
            idempotency_key=None if spec.method == "GET" else f"discord:interaction:{interaction.id}",
        )
        data = reply.data if isinstance(reply.data, Mapping) else {"response": reply.data}
        context = {"options": given, "user": interaction.user.display_name, **data}
        await interaction.followup.send(
            render_template(spec.response, context) or "…",
            ephemeral=spec.ephemeral,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    params = [inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction)]
    for option in sorted(spec.options, key=lambda o: not o.required):
        default = inspect.Parameter.empty if option.required else None
        params.append(
            inspect.Parameter(
                option.name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=_annotation(option)
            )
        )
    callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    callback.__qualname__ = callback.__name__ = f"declarative_{plugin_id}_{spec.name}"
    callback.__discord_app_commands_param_description__ = {  # type: ignore[attr-defined]
        o.name: _text(o.description) for o in spec.options
    }
    callback.__discord_app_commands_param_choices__ = {  # type: ignore[attr-defined]
        o.name: [app_commands.Choice(name=_text(c.name), value=c.value) for c in o.choices]
        for o in spec.options
        if o.choices
    }
    return app_commands.Command(
        name=spec.name,
        description=_text(spec.description),
        callback=callback,
        extras={"plugin": plugin_id, "declarative": True},
    )


def build_commands(registry: PluginRegistry, manifest: Manifest) -> list[app_commands.Command]:
    """The manifest's commands; each call finds the plugin's current service client in the registry."""
    return [build_command(registry, manifest.id, spec, manifest.service.languages) for spec in manifest.commands]
