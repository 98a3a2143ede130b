"""Bets that locked by themselves at closes_at, announced in the channel they were created in, once each."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import discord
from pydantic import Field

from ..bot import ButecoBot
from ..clients.bet import BetApi
from ..core.clients import ServiceRefused, ServiceUnavailable
from ..core.i18n import locale_of, t
from ..settings import PluginSettings
from .bet_embeds import event_pages

log = logging.getLogger(__name__)
BATCH = 20


class BetSettings(PluginSettings):
    """How often the bot asks bet_api for bets that locked by themselves (the announcement comes at most this late)."""

    bet_lock_poll_s: float = Field(default=5.0, gt=0, le=3600)


class LockAnnouncer:
    """A task polling bet_api while the bets plugin is loaded; bet_api hands each locked event out only once."""

    def __init__(self, bot: ButecoBot, settings: BetSettings) -> None:
        self.bot, self.interval_s = bot, settings.bet_lock_poll_s
        self.bets = bot.registry.api(BetApi)
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name="bet-lock-announcer")

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    async def _run(self) -> None:
        await self.bot.wait_until_ready()
        while True:
            try:
                await self.announce_due()
            except (ServiceRefused, ServiceUnavailable) as exc:
                log.info("could not ask bet_api for auto-locked bets: %s", exc)
            except Exception:
                log.exception("announcing auto-locked bets failed")
            await asyncio.sleep(self.interval_s)

    async def announce_due(self) -> int:
        """Announce every event bet_api hands out now; how many there were."""
        events = await self.bets.lock_announcements(limit=BATCH)
        for event in events:
            await self._announce(event)
        return len(events)

    async def _announce(self, event: dict[str, Any]) -> None:
        """In the server's language: everyone in the channel reads it."""
        channel_id = int(event["channel_id"])
        channel = self.bot.get_channel(channel_id)
        try:
            if channel is None:
                channel = await self.bot.fetch_channel(channel_id)
            guild = getattr(channel, "guild", None)
            locale = locale_of(guild.preferred_locale if guild else None)
            await channel.send(  # type: ignore[union-attr]
                t(locale, "bets.auto_locked", id=event["id"]),
                embed=event_pages(event, locale)[0],
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except discord.HTTPException as exc:
            log.warning("could not announce that bet %s locked in channel %s: %s", event["id"], channel_id, exc)
