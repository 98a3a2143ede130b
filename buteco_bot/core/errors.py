"""Domain errors translated once, in the user's locale, into an ephemeral embed (tree.on_error and views)."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from .clients import ServiceRefused, ServiceUnavailable
from .format import number
from .i18n import catalog, t
from .text import escape

log = logging.getLogger(__name__)
ERROR_COLOUR = discord.Colour.red()


class UserFacingError(Exception):
    """Raised by commands for an expected refusal: `key` is a reply key, values fill it."""

    def __init__(self, key: str, **values: object) -> None:
        self.key, self.values = key, values
        super().__init__(key)


MEMBER_MISTAKES = (UserFacingError, app_commands.CommandOnCooldown, app_commands.CheckFailure)
"""Refusals of what the member asked (CheckFailure: missing permissions, a DM); the bot's own missing permissions
are a setup fault, excluded below."""


def is_refusal(error: BaseException) -> bool:
    """A request the member can fix or that the world refused (not a fault of ours): it says what to do instead."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, ServiceRefused):
        return error.code == "not_admin" or (400 <= error.status < 500 and error.status not in (401, 403))
    return isinstance(error, MEMBER_MISTAKES) and not isinstance(error, app_commands.BotMissingPermissions)


def _refusal(error: ServiceRefused, locale: discord.Locale | str, names: dict[str, str]) -> str:
    """A service's refusal in the member's words: a known code with the numbers of its body, else its detail."""
    template = catalog("en-US")["replies"]["errors"].get(error.code)
    if isinstance(template, str):
        values = {
            name: number(value) if isinstance(value, int) and not isinstance(value, bool) else escape(str(value))
            for name, value in error.body.items()
        }
        try:
            return t(locale, f"errors.{error.code}", **values)
        except (KeyError, IndexError):
            log.warning("the %s refusal %s lacks a value its message needs: %s", error.service, error.code, error.body)
    return t(
        locale, "errors.service_error", service=names.get(error.service, error.service), detail=escape(error.detail)
    )


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
        return _refusal(error, locale, names)
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


def error_embed(
    error: BaseException, locale: discord.Locale | str, service_names: dict[str, str] | None = None
) -> discord.Embed:
    """A refusal is titled as one ("That did not work"); only our faults say "Something went wrong"."""
    title = "errors.refused_title" if is_refusal(error) else "errors.title"
    return discord.Embed(
        title=t(locale, title), description=describe(error, locale, service_names), colour=ERROR_COLOUR
    )


async def reply_error(
    interaction: discord.Interaction, error: BaseException, service_names: dict[str, str] | None = None
) -> None:
    """Send the error as an ephemeral embed, whether or not the interaction was already acknowledged."""
    embed = error_embed(error, interaction.locale, service_names)
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


class PromptView(ErrorReportingView):
    """A confirmation whose Confirm was refused (the world changed since it was shown): the prompt itself becomes
    the reason and loses its buttons, so nobody presses a Confirm that can no longer succeed."""

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item) -> None:
        if not (is_refusal(error) and interaction.response.is_done()):
            await super().on_error(interaction, error, item)
            return
        self.stop()
        embed = error_embed(error, interaction.locale, service_names(interaction.client, interaction.locale))
        try:
            await interaction.edit_original_response(content=None, embed=embed, view=None)
        except discord.HTTPException:
            log.warning("could not turn prompt %s into its refusal", interaction.message, exc_info=True)
