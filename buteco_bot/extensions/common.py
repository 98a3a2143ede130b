"""What every economy command needs: the guild, implicit registration, the money idempotency key."""

from __future__ import annotations

import discord

from ..bot import ButecoBot
from ..clients.client import ClientApi
from ..core.clients import Reply
from ..core.errors import UserFacingError
from ..core.format import number, when
from ..core.text import escape


def guild_of(interaction: discord.Interaction) -> int:
    """Economies are per guild; in a DM there is none."""
    if interaction.guild_id is None:
        raise UserFacingError("errors.guild_only")
    return interaction.guild_id


def money_key(interaction_id: int) -> str:
    """The idempotency key of a money move: the interaction that asked for it, so a replay moves nothing."""
    return f"discord:interaction:{interaction_id}"


async def ensure_registered(bot: ButecoBot, user: discord.abc.User) -> Reply:
    """Get-or-create the member in client_api; called only after the interaction was deferred."""
    return await bot.registry.api(ClientApi).register(user.id, user.display_name)


async def ensure_wallet(bot: ButecoBot, user: discord.abc.User) -> Reply:
    """Every member of the server has a wallet, opened the first time anyone pays them or looks them up; a bot,
    a webhook or Discord's system user is no member and has none."""
    if user.bot or user.system or (bot.user is not None and user.id == bot.user.id):
        raise UserFacingError("errors.no_wallet", name=escape(user.display_name))
    return await ensure_registered(bot, user)


def coins(amount: int) -> str:
    """An amount of coins, written by the bot's one formatter."""
    return number(amount)


def timestamp(value: str, style: str = "R") -> str:
    """An ISO time from a service as a Discord timestamp, which each reader sees in their own timezone."""
    return when(value, style)
