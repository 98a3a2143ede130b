"""client_api's command module: /register (every other economy command also registers implicitly)."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from ..bot import ButecoBot
from ..core.i18n import t
from ..core.text import escape
from .common import ensure_registered, guild_of


class Register(commands.Cog):
    """Joining the economy is explicit here, implicit on first use elsewhere."""

    def __init__(self, bot: ButecoBot) -> None:
        self.bot = bot

    @app_commands.command(name="register", description="Join this server's economy")
    @app_commands.guild_only()
    async def register(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_of(interaction)
        reply = await ensure_registered(self.bot, interaction.user)
        key = "register.created" if reply.status == 201 else "register.existing"
        text = t(interaction.locale, key, name=escape(interaction.user.display_name))
        await interaction.followup.send(text, ephemeral=True)


async def setup(bot: ButecoBot) -> None:
    await bot.add_cog(Register(bot))
