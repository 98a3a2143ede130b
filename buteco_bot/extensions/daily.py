"""coin_api's command module: /daily, which shows the next claim time when today's is already taken."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from ..bot import ButecoBot
from ..clients.coin import CoinApi
from ..core.clients import ServiceRefused
from ..core.i18n import t
from .common import coins, ensure_registered, guild_of, money_key, timestamp


class Daily(commands.Cog):
    """One claim per cooldown; the interaction id makes a retried claim pay once."""

    def __init__(self, bot: ButecoBot) -> None:
        self.bot = bot
        self.coin = bot.registry.api(CoinApi)

    @app_commands.command(name="daily", description="Claim your daily coins")
    @app_commands.guild_only()
    async def daily(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id, user, locale = guild_of(interaction), interaction.user, interaction.locale
        await ensure_registered(self.bot, user)
        try:
            claim = await self.coin.claim(guild_id, user.id, key=money_key(interaction.id))
        except ServiceRefused as exc:
            if exc.code != "daily_already_claimed":
                raise
            status = await self.coin.status(guild_id, user.id)
            text = t(
                locale,
                "daily.already",
                next=timestamp(status.next_claim_at) if status.next_claim_at else "—",
                streak=status.streak,
                next_amount=coins(status.next_amount),
            )
            await interaction.followup.send(text, ephemeral=True)
            return
        key = "daily.claimed" if claim.credited else "daily.pending"
        await interaction.followup.send(t(locale, key, amount=coins(claim.amount), streak=claim.streak), ephemeral=True)


async def setup(bot: ButecoBot) -> None:
    await bot.add_cog(Daily(bot))
