"""pt-BR and en-US text: TOML catalogs per locale, a discord.py Translator, and `t()` for replies."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Where

from .manifest import DEFAULT_LOCALE, LOCALES

CATALOG_DIR = Path(__file__).resolve().parents[1] / "locales"


@cache
def catalog(locale: str) -> dict[str, Any]:
    """The parsed `locales/<locale>.toml` (empty when the file does not exist)."""
    path = CATALOG_DIR / f"{locale}.toml"
    return tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def locale_of(value: discord.Locale | str | None) -> str:
    """Map any Discord locale to one we speak: pt-* → pt-BR, everything else → en-US."""
    text = value.value if isinstance(value, discord.Locale) else str(value or DEFAULT_LOCALE)
    if text in LOCALES:
        return text
    return "pt-BR" if text.startswith("pt") else DEFAULT_LOCALE


def public_locale(interaction: discord.Interaction) -> str:
    """The server's language, for a message everyone in the channel reads (the member's own in a DM)."""
    return locale_of(interaction.guild_locale or interaction.locale)


def _lookup(table: Any, path: list[str]) -> Any:
    for part in path:
        if not isinstance(table, dict) or part not in table:
            return None
        table = table[part]
    return table


def t(locale: discord.Locale | str | None, key: str, *, default: str | None = None, **values: Any) -> str:
    """The reply `key` (dotted, e.g. "balance.own") in the user's locale, else en-US, else `default` or the key."""
    lang = locale_of(locale)
    template = _lookup(catalog(lang).get("replies"), key.split("."))
    if not isinstance(template, str):
        template = _lookup(catalog(DEFAULT_LOCALE).get("replies"), key.split("."))
    if not isinstance(template, str):
        return key if default is None else default
    return template.format(**values)


def _command_path(context: app_commands.TranslationContextTypes) -> list[str] | None:
    """Where a command string lives in the catalog: commands.<qualified name parts>[.params.<p>].<name|description>."""
    data = context.data
    if context.location in (Where.command_name, Where.group_name):
        return ["commands", *data.qualified_name.split(), "name"]
    if context.location in (Where.command_description, Where.group_description):
        return ["commands", *data.qualified_name.split(), "description"]
    if context.location == Where.parameter_name:
        return ["commands", *data.command.qualified_name.split(), "params", data.name, "name"]
    if context.location == Where.parameter_description:
        return ["commands", *data.command.qualified_name.split(), "params", data.name, "description"]
    if context.location == Where.choice_name:
        return ["choices", data.name]
    return None


class CatalogTranslator(app_commands.Translator):
    """Strings carrying `translations={...}` (manifests) win; otherwise the catalog of the locale answers."""

    async def translate(
        self, string: app_commands.locale_str, locale: discord.Locale, context: app_commands.TranslationContextTypes
    ) -> str | None:
        if locale.value not in LOCALES or locale.value == DEFAULT_LOCALE:
            return None
        translations = string.extras.get("translations")
        if isinstance(translations, dict):
            return translations.get(locale.value)
        path = _command_path(context)
        found = _lookup(catalog(locale.value), path) if path else None
        return found if isinstance(found, str) else None


async def translated_description(tree: app_commands.CommandTree, command: Any, locale: str) -> str:
    """A command's description as the user's client shows it."""
    translator = tree.translator
    if translator is not None and locale != DEFAULT_LOCALE:
        context = app_commands.TranslationContext(Where.command_description, command)
        found = await translator.translate(
            command._locale_description or app_commands.locale_str(command.description), discord.Locale(locale), context
        )
        if found:
            return found
    return command.description
