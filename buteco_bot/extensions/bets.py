"""bet_api's command module: /bet create|list|info|place|lock|settle|cancel|mine."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from ..bot import ButecoBot
from ..clients.bet import Actor, BetApi
from ..core.clients import ServiceRefused, ServiceUnavailable
from ..core.embeds import Pager
from ..core.errors import UserFacingError
from ..core.help import needs_permissions
from ..core.i18n import locale_of, public_locale, t
from ..core.text import clean_line, escape
from .bet_announcer import BetSettings, LockAnnouncer
from .bet_embeds import ACTIVE, choice_name, event_pages, list_embed, mine_embed
from .bet_views import AdminPrompt, OutcomePicker, is_admin
from .common import coins, ensure_registered, guild_of, money_key

AUTOCOMPLETE_S = 2.0
PAGE = 10
EventId = app_commands.Range[int, 1, 2**53 - 1]
Title = app_commands.Range[str, 1, 200]
Description = app_commands.Range[str, 1, 1000]
Minutes = app_commands.Range[int, 1, 60 * 24 * 90]
ONLY_OPEN = {"place", "lock"}
Render = Callable[[list[dict[str, Any]], str], discord.Embed]
Fetch = Callable[[int | None], Awaitable[dict[str, Any]]]  # one page, given the cursor (None: the newest)


def parse_outcomes(text: str) -> list[str]:
    """Outcomes typed as "A | B | C", checked before any HTTP call: 2 to 25 distinct labels of ≤ 100 characters."""
    labels = [label.strip() for label in text.split("|") if label.strip()]
    distinct = {label.casefold() for label in labels}
    if not 2 <= len(labels) <= 25 or len(distinct) != len(labels) or any(len(label) > 100 for label in labels):
        raise UserFacingError("bets.bad_outcomes")
    return labels


async def event_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
    """Events a member can act on whose id ("#12": ids only) or title matches, exact id first, newest next."""
    bot: ButecoBot = interaction.client  # type: ignore[assignment]
    if interaction.guild_id is None:
        return []
    name = interaction.command.name if interaction.command else ""
    statuses = ("open",) if name in ONLY_OPEN else ACTIVE
    bets = bot.registry.api(BetApi)
    try:
        async with asyncio.timeout(AUTOCOMPLETE_S):
            pages = await asyncio.gather(*(bets.events(interaction.guild_id, status=s, limit=50) for s in statuses))
    except (ServiceRefused, ServiceUnavailable, TimeoutError):
        return []
    typed = str(current or "").strip().casefold()
    wanted, by_id = typed.lstrip("#"), typed.startswith("#")
    events = sorted((e for page in pages for e in page["items"]), key=lambda e: (str(e["id"]) != wanted, -e["id"]))
    found = [e for e in events if str(e["id"]).startswith(wanted) or (not by_id and wanted in e["title"].casefold())]
    locale = locale_of(interaction.locale)
    return [app_commands.Choice(name=choice_name(e, locale), value=e["id"]) for e in found[:25]]


class Bets(commands.Cog):
    """Community bets: stakes go into an escrow, the pool is shared by the winners; admins run the events."""

    bet = app_commands.Group(name="bet", description="Community bets: back an outcome, share the pool", guild_only=True)

    def __init__(self, bot: ButecoBot, settings: BetSettings) -> None:
        self.bot = bot
        self.api = bot.registry.api(BetApi)
        self.announcer = LockAnnouncer(bot, settings)

    async def cog_load(self) -> None:
        self.announcer.start()

    async def cog_unload(self) -> None:
        await self.announcer.stop()

    async def _event(self, guild_id: int, event_id: int, statuses: tuple[str, ...]) -> dict[str, Any]:
        event = await self.api.event(guild_id, event_id)
        if event["status"] not in statuses:
            code = {"settled": "event_settled", "cancelled": "event_cancelled"}.get(event["status"], "event_locked")
            raise UserFacingError(f"errors.{code}")
        return event

    @staticmethod
    def _actor(interaction: discord.Interaction) -> Actor:
        return Actor(interaction.user.id, is_admin(interaction))

    @bet.command(name="create", description="Start a bet (Manage Server)")
    @app_commands.describe(
        title="What people bet on",
        outcomes="The outcomes, separated by | (e.g. Yes | No)",
        description="More details (optional)",
        closes_in_minutes="Stop taking bets after this many minutes (optional)",
    )
    @needs_permissions(manage_guild=True)
    async def create(
        self,
        interaction: discord.Interaction,
        title: Title,
        outcomes: str,
        description: Description | None = None,
        closes_in_minutes: Minutes | None = None,
    ) -> None:
        labels = parse_outcomes(clean_line(outcomes))
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id, locale = guild_of(interaction), locale_of(interaction.locale)
        await ensure_registered(self.bot, interaction.user)
        closes_at = datetime.now(UTC) + timedelta(minutes=closes_in_minutes) if closes_in_minutes else None
        reply = await self.api.create_event(
            guild_id,
            self._actor(interaction),
            title=clean_line(title),
            outcomes=labels,
            description=clean_line(description) if description else None,
            closes_at=closes_at,
            channel_id=interaction.channel_id,
            key=money_key(interaction.id),
        )
        event = reply.data
        await interaction.followup.send(t(locale, "bets.created", id=event["id"]), ephemeral=True)
        if not reply.replayed:
            public = public_locale(interaction)  # everyone in the channel reads it: the server's language
            await interaction.followup.send(
                t(public, "bets.announce", id=event["id"]), embed=event_pages(event, public)[0], ephemeral=False
            )

    @bet.command(name="list", description="The bets taking stakes right now")
    async def list_events(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id = guild_of(interaction)
        await self._send_paged(
            interaction,
            lambda before_id: self.api.events(guild_id, status="open", limit=PAGE, before_id=before_id),
            list_embed,
        )

    @bet.command(name="info", description="A bet's outcomes, pools and odds")
    @app_commands.describe(event="Which bet")
    @app_commands.autocomplete(event=event_choices)
    async def info(self, interaction: discord.Interaction, event: EventId) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id, locale = guild_of(interaction), locale_of(interaction.locale)
        found = await self.api.event(guild_id, event)
        await self._send_pages(interaction, event_pages(found, locale), locale)

    @bet.command(name="place", description="Back an outcome with your coins")
    @app_commands.describe(event="Which bet")
    @app_commands.autocomplete(event=event_choices)
    async def place(self, interaction: discord.Interaction, event: EventId) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id, locale = guild_of(interaction), locale_of(interaction.locale)
        await ensure_registered(self.bot, interaction.user)
        found, mine = await asyncio.gather(
            self._event(guild_id, event, ("open",)), self.api.member_bet(guild_id, event, interaction.user.id)
        )
        backed = mine["outcome_id"] if mine else None
        picker = OutcomePicker(self.bot, interaction.user.id, locale, guild_id, found, backed)
        text = (
            t(locale, "bets.pick_raise", label=escape(mine["outcome_label"]), amount=coins(mine["amount"]))
            if mine
            else t(locale, "bets.pick")
        )
        await interaction.followup.send(
            text, embed=event_pages(found, locale)[0], view=picker, ephemeral=True, wait=True
        )

    @bet.command(name="lock", description="Stop taking bets (Manage Server)")
    @app_commands.describe(event="Which bet")
    @app_commands.autocomplete(event=event_choices)
    @needs_permissions(manage_guild=True)
    async def lock(self, interaction: discord.Interaction, event: EventId) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id, locale = guild_of(interaction), locale_of(interaction.locale)
        locked = await self.api.lock(guild_id, event, self._actor(interaction))
        await interaction.followup.send(t(locale, "bets.locked", id=event), ephemeral=True)
        public = public_locale(interaction)
        await interaction.followup.send(
            t(public, "bets.locked_public", id=event), embed=event_pages(locked, public)[0], ephemeral=False
        )

    @bet.command(name="settle", description="Pick the winning outcome and pay the winners (Manage Server)")
    @app_commands.describe(event="Which bet")
    @app_commands.autocomplete(event=event_choices)
    @needs_permissions(manage_guild=True)
    async def settle(self, interaction: discord.Interaction, event: EventId) -> None:
        await self._prompt(interaction, event, "settle")

    @bet.command(name="cancel", description="Cancel a bet and refund every stake (Manage Server)")
    @app_commands.describe(event="Which bet")
    @app_commands.autocomplete(event=event_choices)
    @needs_permissions(manage_guild=True)
    async def cancel(self, interaction: discord.Interaction, event: EventId) -> None:
        await self._prompt(interaction, event, "cancel")

    async def _prompt(self, interaction: discord.Interaction, event_id: int, action: str) -> None:
        """Admin buttons go in a public message: the channel sees the bet being closed, then the result."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id, locale = guild_of(interaction), locale_of(interaction.locale)
        event = await self._event(guild_id, event_id, ACTIVE)
        public = public_locale(interaction)  # the prompt and its result are the channel's
        prompt = AdminPrompt(self.bot, public, guild_id, event, action)
        await interaction.followup.send(t(locale, "bets.prompt_posted"), ephemeral=True)
        prompt.message = await interaction.followup.send(
            t(public, f"bets.{action}_prompt", id=event["id"]),
            embed=event_pages(event, public)[0],
            view=prompt,
            ephemeral=False,
            wait=True,
        )

    @bet.command(name="mine", description="Your bets and how they ended")
    async def mine(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id, user_id = guild_of(interaction), interaction.user.id
        await ensure_registered(self.bot, interaction.user)
        await self._send_paged(
            interaction,
            lambda before_id: self.api.member_bets(guild_id, user_id, limit=PAGE, before_id=before_id),
            mine_embed,
        )

    async def _send_paged(self, interaction: discord.Interaction, fetch: Fetch, render: Render) -> None:
        """Newest first, one keyset page at a time: ▶ fetches the next page only when someone asks for it."""
        locale = locale_of(interaction.locale)
        cursor: dict[str, int | None] = {"before_id": None}

        async def page() -> tuple[discord.Embed, bool]:
            data = await fetch(cursor["before_id"])
            cursor["before_id"] = data.get("next_before_id")
            return render(data["items"], locale), cursor["before_id"] is not None

        first, more = await page()
        pager = Pager(interaction.user.id, [first], more=page if more else None, refusal=t(locale, "errors.not_yours"))
        await interaction.followup.send(embed=first, ephemeral=True, **({"view": pager} if pager.needed else {}))

    async def _send_pages(self, interaction: discord.Interaction, pages: list[discord.Embed], locale: str) -> None:
        pager = Pager(interaction.user.id, pages, refusal=t(locale, "errors.not_yours"))
        await interaction.followup.send(embed=pages[0], ephemeral=True, **({"view": pager} if pager.needed else {}))


async def setup(bot: ButecoBot) -> None:
    await bot.add_cog(Bets(bot, BetSettings.from_env(bot.env)))
