"""The buttons and the stake form of /bet: place (pick → stake → confirm), and the admins' settle/cancel prompts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import discord

from ..bot import ButecoBot
from ..clients.balance import BalanceApi
from ..clients.bet import Actor, BetApi
from ..core.clients import Reply, ServiceRefused
from ..core.embeds import clip
from ..core.errors import ErrorReportingView, PromptView, UserFacingError, error_embed, reply_error, service_names
from ..core.i18n import t
from ..core.text import escape
from .bet_embeds import closed_embed, placed_embed, preview_embed
from .common import coins, money_key

log = logging.getLogger(__name__)
MAX_STAKE = 10**12
ROW = 5
GONE = {"event_locked", "event_settled", "event_cancelled", "event_not_found"}
"""Refusals after which no outcome of the event can take a stake."""
Click = Callable[[discord.Interaction], Awaitable[None]]


def is_admin(interaction: discord.Interaction) -> bool:
    """Manage Server as Discord computed it for this very interaction (Administrator implies it)."""
    permissions = interaction.permissions
    return permissions.manage_guild or permissions.administrator


def parse_stake(text: str) -> int:
    """A whole number of coins as people type it: "1 000", "1,000" and "1.000" are all a thousand."""
    digits = "".join(ch for ch in text.strip() if ch not in " ,._\u00a0")
    if not digits.isdigit() or not 1 <= int(digits) <= MAX_STAKE:
        raise UserFacingError("bets.bad_stake", max=coins(MAX_STAKE))
    return int(digits)


def friendly(error: ServiceRefused, event: dict[str, Any]) -> Exception:
    """Refusals whose message needs numbers or names that only this event and the error body know."""
    if error.code == "insufficient_funds":
        return UserFacingError(
            "bets.insufficient_funds",
            balance=coins(int(error.body.get("balance") or 0)),
            needed=coins(int(error.body.get("needed") or 0)),
        )
    if error.code == "already_backing_other_outcome":
        label = next((o["label"] for o in event["outcomes"] if o["id"] == error.body.get("outcome_id")), "?")
        return UserFacingError("bets.other_outcome", label=escape(label))
    return error


class OwnedView(ErrorReportingView):
    """Buttons only the member who started may press (a safety net: their messages are ephemeral anyway)."""

    def __init__(self, bot: ButecoBot, owner_id: int, locale: str) -> None:
        super().__init__(timeout=600)
        self.bot, self.owner_id, self.locale = bot, owner_id, locale
        self.bets = bot.registry.api(BetApi)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(t(self.locale, "errors.not_yours"), ephemeral=True)
            return False
        return True


class OutcomePicker(OwnedView):
    """One button per outcome, in rows of five, or only the side the member already backs (one side per member:
    the others could only be refused); a click opens the stake form (a modal must be the first answer)."""

    def __init__(
        self, bot: ButecoBot, owner_id: int, locale: str, guild_id: int, event: dict[str, Any], backed: int | None
    ) -> None:
        super().__init__(bot, owner_id, locale)
        self.guild_id, self.event = guild_id, event
        outcomes = [o for o in event["outcomes"] if backed is None or o["id"] == backed]
        for index, outcome in enumerate(outcomes):
            button = discord.ui.Button(
                label=clip(f"{outcome['position']}. {outcome['label']}", 80),
                style=discord.ButtonStyle.primary,
                row=index // ROW,
            )
            button.callback = partial(self.pick, outcome)
            self.add_item(button)

    async def pick(self, outcome: dict[str, Any], interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(StakeModal(self, outcome))


class StakeModal(discord.ui.Modal):
    """How many coins; on submit bet_api checks the stake as placing it would and prices it as settlement pays,
    and the balance is read, so the Confirm shown is one that succeeds unless the world changes meanwhile."""

    def __init__(self, picker: OutcomePicker, outcome: dict[str, Any]) -> None:
        super().__init__(title=clip(t(picker.locale, "bets.modal_title", label=outcome["label"]), 45), timeout=600)
        self.picker, self.outcome = picker, outcome
        self.stake = discord.ui.TextInput(
            label=clip(t(picker.locale, "bets.stake_label"), 45),
            custom_id="stake",
            placeholder=t(picker.locale, "bets.stake_placeholder"),
            max_length=20,
        )
        self.add_item(self.stake)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        picker = self.picker
        amount = parse_stake(self.stake.value)
        await interaction.response.defer()
        event_id, user_id = picker.event["id"], picker.owner_id
        try:
            quote, balance = await asyncio.gather(
                picker.bets.quote(
                    picker.guild_id, event_id, user_id=user_id, outcome_id=self.outcome["id"], amount=amount
                ),
                picker.bot.registry.api(BalanceApi).balance(picker.guild_id, user_id),
            )
        except ServiceRefused as exc:
            raise friendly(exc, picker.event) from exc
        if balance < amount:
            raise UserFacingError("bets.insufficient_funds", balance=coins(balance), needed=coins(amount))
        confirm = ConfirmBet(picker, picker.event, self.outcome, amount, money_key(interaction.id))
        picker.stop()
        embed = preview_embed(picker.event, self.outcome, quote, balance, picker.locale)
        await interaction.edit_original_response(content=None, embed=embed, view=confirm)

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        """A bet that stopped taking stakes meanwhile turns the picker into the reason: no button of it can succeed."""
        names = service_names(interaction.client, interaction.locale)
        if not (isinstance(error, ServiceRefused) and error.code in GONE and interaction.response.is_done()):
            await reply_error(interaction, error, names)
            return
        self.picker.stop()
        embed = error_embed(error, interaction.locale, names)
        await interaction.edit_original_response(content=None, embed=embed, view=None)


class ConfirmBet(OwnedView, PromptView):
    """Confirm/Cancel the previewed stake; the key is the form's submission, so a double click moves it once, and a
    refusal (the bet locked or the balance fell meanwhile) turns the preview into the reason."""

    def __init__(
        self, picker: OutcomePicker, event: dict[str, Any], outcome: dict[str, Any], amount: int, key: str
    ) -> None:
        super().__init__(picker.bot, picker.owner_id, picker.locale)
        self.guild_id, self.event, self.outcome, self.amount, self.key = picker.guild_id, event, outcome, amount, key
        self.lock = asyncio.Lock()
        self.placed: Reply | None = None
        self.confirm.label = t(self.locale, "bets.confirm_button")
        self.cancel.label = t(self.locale, "bets.cancel_button")

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.success)
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.defer()
        async with self.lock:
            if self.placed is None:
                try:
                    self.placed = await self.bets.place(
                        self.guild_id,
                        self.event["id"],
                        user_id=self.owner_id,
                        outcome_id=self.outcome["id"],
                        amount=self.amount,
                        key=self.key,
                    )
                except ServiceRefused as exc:
                    raise friendly(exc, self.event) from exc
        self.stop()
        embed = placed_embed(self.placed.data, self.amount, self.placed.replayed, self.locale)
        await interaction.edit_original_response(content=None, embed=embed, view=None)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.stop()
        await interaction.response.edit_message(content=t(self.locale, "bets.cancelled"), embed=None, view=None)


class AdminPrompt(ErrorReportingView):
    """A public message whose buttons settle (one per outcome) or cancel an event; every press is re-checked."""

    def __init__(self, bot: ButecoBot, locale: str, guild_id: int, event: dict[str, Any], action: str) -> None:
        super().__init__(timeout=840)
        self.bot, self.locale, self.guild_id, self.event, self.action = bot, locale, guild_id, event, action
        self.bets = bot.registry.api(BetApi)
        self.lock = asyncio.Lock()
        self.closed: discord.Embed | None = None
        self.message: discord.Message | None = None
        if action == "settle":
            for index, outcome in enumerate(event["outcomes"]):
                self._button(
                    f"{outcome['position']}. {outcome['label']}",
                    discord.ButtonStyle.primary,
                    index // ROW,
                    partial(self.close, outcome["id"]),
                )
        else:
            self._button(t(locale, "bets.cancel_confirm"), discord.ButtonStyle.danger, 0, partial(self.close, None))
        if len(self.children) < 25:
            self._button(
                t(locale, "bets.keep_button"), discord.ButtonStyle.secondary, len(self.children) // ROW, self.dismiss
            )

    def _button(self, label: str, style: discord.ButtonStyle, row: int, callback: Click) -> None:
        button = discord.ui.Button(label=clip(label, 80), style=style, row=row)
        button.callback = callback
        self.add_item(button)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if is_admin(interaction):
            return True
        await interaction.response.send_message(t(interaction.locale, "errors.forbidden"), ephemeral=True)
        return False

    async def close(self, outcome_id: int | None, interaction: discord.Interaction) -> None:
        """Settle on `outcome_id` (None: cancel); bet_api's answer names the largest payouts for the announcement."""
        await interaction.response.defer()
        async with self.lock:
            if self.closed is None:
                actor, event_id = Actor(interaction.user.id, is_admin(interaction)), self.event["id"]
                if outcome_id is None:
                    settlement = await self.bets.cancel(self.guild_id, event_id, actor)
                else:
                    settlement = await self.bets.settle(self.guild_id, event_id, outcome_id, actor)
                self.closed = closed_embed(settlement, self.locale)
        self.stop()
        await interaction.edit_original_response(content=None, embed=self.closed, view=None)

    async def dismiss(self, interaction: discord.Interaction) -> None:
        self.stop()
        text = t(self.locale, "bets.dismissed", id=self.event["id"])
        await interaction.response.edit_message(content=text, embed=None, view=None)

    async def on_timeout(self) -> None:
        if self.message is not None and self.closed is None:
            try:
                await self.message.edit(view=None)
            except discord.HTTPException:
                log.info("could not remove the expired buttons of event %s", self.event["id"])
