"""Domain errors translated once, in the user's locale, into an ephemeral embed (tree.on_error and views)."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from .clients import ServiceRefused, ServiceUnavailable
from .i18n import catalog, t
from .text import escape

log = logging.getLogger(__name__)
ERROR_COLOUR = discord.Colour.red()


class UserFacingError(Exception):
    """Raised by commands for an expected refusal: `key` is a reply key, values fill it."""

    def __init__(self, key: str, **values: object) -> None:
        self.key, self.values = key, values
        super().__init__(key)


def describe(error: BaseException, locale: discord.Locale | str, service_names: dict[str, str] | None = None) -> str:
    """The sentence a member reads for an error."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    names = service_names or {}
    if isinstance(error, UserFacingError):
        return t(locale, error.key, **error.values)
    if isinstance(error, ServiceUnavailable):
        return t(locale, "errors.unavailable", service=names.get(error.service, error.service))
    if isinstance(error, ServiceRefused):
        if isinstance(catalog("en-US")["replies"]["errors"].get(error.code), str):
            return t(locale, f"errors.{error.code}")
        return t(
            locale, "errors.service_error", service=names.get(error.service, error.service), detail=escape(error.detail)
        )
    if isinstance(error, (app_commands.MissingPermissions, app_commands.BotMissingPermissions)):
        return t(locale, "errors.forbidden")
    if isinstance(error, app_commands.NoPrivateMessage):
        return t(locale, "errors.guild_only")
    if isinstance(error, app_commands.CommandOnCooldown):
        return t(locale, "errors.cooldown", seconds=round(error.retry_after, 1))
    if isinstance(error, app_commands.CheckFailure):
        return t(locale, "errors.forbidden")
    log.error("unexpected error in an interaction", exc_info=error)
    return t(locale, "errors.unexpected")


async def reply_error(
    interaction: discord.Interaction, error: BaseException, service_names: dict[str, str] | None = None
) -> None:
    """Send the error as an ephemeral embed, whether or not the interaction was already acknowledged."""
    embed = discord.Embed(
        title=t(interaction.locale, "errors.title"),
        description=describe(error, interaction.locale, service_names),
        colour=ERROR_COLOUR,
    )
    try:
        if interaction.response.is_done():
            await interaction.followup.send(embed=embed, ephemeral=True)
        else:
            await interaction.response.send_message(embed=embed, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not deliver an error reply for interaction %s", interaction.id, exc_info=True)


def service_names(client: discord.Client, locale: discord.Locale | str) -> dict[str, str]:
    """Plugin display names from the client's plugin registry (none when the client has no registry)."""
    registry = getattr(client, "registry", None)
    return registry.display_names(locale) if registry is not None else {}


class ButecoTree(app_commands.CommandTree):
    """The command tree whose on_error speaks to members, not to logs only."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await reply_error(interaction, error, service_names(self.client, interaction.locale))


class ErrorReportingView(discord.ui.View):
    """A View whose callback errors go through the same translation as commands."""

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item) -> None:
        await reply_error(interaction, error, service_names(interaction.client, interaction.locale))
