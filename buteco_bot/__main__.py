"""`python -m buteco_bot`: read settings, point discord.py at Discord (or the emulator), run the bot."""

from __future__ import annotations

import asyncio
import logging

import discord
import discord.gateway
import discord.http
import yarl

from .bot import ButecoBot
from .settings import BotSettings


def point_discord_py(settings: BotSettings) -> None:
    """DISCORD_API_BASE / DISCORD_GATEWAY_URL replace Discord's endpoints (the local emulator, `make run`)."""
    if settings.discord_api_base:
        discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


async def main() -> None:
    settings = BotSettings()  # type: ignore[call-arg]
    discord.utils.setup_logging(level=getattr(logging, settings.log_level.upper(), logging.INFO))
    point_discord_py(settings)
    async with ButecoBot(settings) as bot:
        await bot.start(settings.discord_token.get_secret_value())


if __name__ == "__main__":
    asyncio.run(main())
