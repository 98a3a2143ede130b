"""balance_api's command module: /balance, /transfer (with confirmation), /statement, /leaderboard."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from pydantic import Field

from ..bot import ButecoBot
from ..clients.balance import BalanceApi
from ..core.clients import Reply
from ..core.embeds import COLOR, MAX_DESCRIPTION, Pager
from ..core.errors import PromptView, UserFacingError
from ..core.format import signed
from ..core.i18n import locale_of, t
from ..core.text import clean_line, clip, escape
from ..settings import PluginSettings
from .common import coins, ensure_registered, ensure_wallet, guild_of, money_key, timestamp

STATEMENT_PAGE = 10
REASON_SHOWN = 300  # an escaped reason can double in length; ten lines of it still fit one embed
MIN_TRANSFER = 1
Reason = app_commands.Range[str, 1, 200]
T_ARGS = frozenset({"locale", "key", "default"})  # t()'s own parameters: never a move's id


class TransferSettings(PluginSettings):
    """The balance plugin's own: a /transfer above this many coins asks the sender to confirm with a click."""

    transfer_confirm_above: int = Field(default=1000, ge=0)


def counterparty(item: dict[str, Any], locale: str, guild: discord.Guild | None) -> str:
    """Who was on the other side of a transfer, by the name they have now; empty for system moves."""
    other = item.get("counterparty") or {}
    if item["kind"] != "transfer" or other.get("system"):
        return ""
    member = guild.get_member(int(other["user_id"])) if guild and other.get("user_id") else None
    name = member.display_name if member else other.get("display_name")
    if name:
        who = escape(name)
    elif other.get("user_id"):
        who = f"<@{other['user_id']}>"  # in an embed a mention shows the member's name and pings nobody
    else:
        who = t(locale, "statement.former_member")
    return " " + t(locale, "statement.from" if item["amount"] > 0 else "statement.to", name=who)


def move_name(item: dict[str, Any], locale: str) -> str:
    """What a move was, in the reader's language: its kind, with the ids its service sent (a daily claim's number
    and streak, a bet's number) when the catalog has a sentence for them; the plain kind otherwise."""
    kind = t(locale, "kinds." + item["kind"], default=escape(item["kind"]))
    data = item.get("data")
    ids = {k: v for k, v in data.items() if isinstance(v, int) and k not in T_ARGS} if isinstance(data, dict) else {}
    if not ids:
        return kind
    try:
        return t(locale, "moves." + item["kind"], default=kind, **ids)
    except (KeyError, IndexError):  # the sentence needs an id this move did not send
        return kind


def statement_line(item: dict[str, Any], locale: str, guild: discord.Guild | None = None) -> str:
    """One posting, rendered from its kind and data in the reader's language; only a member's own transfer reason is
    shown as written (escaped, kept short enough for ten a page): the services' reasons are notes for operators."""
    reason = item.get("reason") if item["kind"] == "transfer" else None
    shown = f" — {clip(escape(reason), REASON_SHOWN)}" if reason else ""
    kind = move_name(item, locale)
    return (
        f"`{signed(item['amount'])}` {kind}{counterparty(item, locale, guild)}{shown} · "
        f"{t(locale, 'statement.after', balance=coins(item['balance_after']))} · {timestamp(item['created_at'], 'f')}"
    )


class ConfirmTransfer(PromptView):
    """Confirm/Cancel for a large transfer; only the sender may click, a repeat click moves nothing, and a Confirm
    the ledger refuses after all (the balance changed meanwhile) turns the prompt into the reason."""

    def __init__(
        self, sender_id: int, locale: str, move: Callable[[], Awaitable[Reply]], describe: Callable[[Reply], str]
    ) -> None:
        super().__init__(timeout=300)
        self.sender_id, self.locale, self.move, self.describe = sender_id, locale, move, describe
        self.lock = asyncio.Lock()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.sender_id:
            await interaction.response.send_message(t(self.locale, "errors.not_yours"), ephemeral=True)
            return False
        return True

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.success)
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.defer()
        async with self.lock:
            reply = await self.move()
        self.stop()
        await interaction.edit_original_response(content=self.describe(reply), view=None)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.stop()
        await interaction.response.edit_message(content=t(self.locale, "transfer.cancelled"), view=None)


class Balance(commands.Cog):
    """Reading and moving coins; every reply with personal data is ephemeral."""

    def __init__(self, bot: ButecoBot, settings: TransferSettings) -> None:
        self.bot, self.settings = bot, settings
        self.ledger = bot.registry.api(BalanceApi)

    @app_commands.command(name="balance", description="Show your balance, or a member's")
    @app_commands.describe(member="Whose balance (you, if empty)")
    @app_commands.guild_only()
    async def balance(self, interaction: discord.Interaction, member: discord.Member | None = None) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id, user = guild_of(interaction), interaction.user
        target = member or user
        await ensure_wallet(self.bot, target)
        balance = await self.ledger.balance(guild_id, target.id)
        key = "balance.own" if target.id == user.id else "balance.other"
        text = t(interaction.locale, key, name=escape(target.display_name), balance=coins(balance))
        await interaction.followup.send(text, ephemeral=True)

    @app_commands.command(name="transfer", description="Send coins to another member")
    @app_commands.describe(member="Who receives the coins", amount="How many coins", reason="Why (optional)")
    @app_commands.guild_only()
    async def transfer(
        self, interaction: discord.Interaction, member: discord.Member, amount: int, reason: Reason | None = None
    ) -> None:
        """The amount is checked here, not by Discord's client: only the ledger knows its limit, and the member
        reads it ("between 1 and 1 000 000") in their language instead of a bare "out of range"."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id, sender, locale = guild_of(interaction), interaction.user, locale_of(interaction.locale)
        if member.id == sender.id:
            raise UserFacingError("errors.self_transfer")
        *_, limit = await asyncio.gather(
            ensure_registered(self.bot, sender), ensure_wallet(self.bot, member), self.ledger.transfer_limit()
        )
        if not MIN_TRANSFER <= amount <= limit:
            raise UserFacingError(
                "transfer.amount_range", low=coins(MIN_TRANSFER), high=coins(limit), amount=coins(amount)
            )
        cleaned = clean_line(reason) if reason else None  # a hidden control or bidi character is dropped, not a 422
        key = money_key(interaction.id)

        async def move() -> Reply:
            return await self.ledger.transfer(guild_id, sender.id, member.id, amount, cleaned, key=key)

        def describe(reply: Reply) -> str:
            mine = next((p for p in reply.data["postings"] if p["user_id"] == str(sender.id)), None)
            done = "transfer.replayed" if reply.replayed else "transfer.done"
            return t(
                locale,
                done,
                amount=coins(amount),
                name=escape(member.display_name),
                balance=coins(mine["balance_after"]) if mine else "?",
            )

        if amount > self.settings.transfer_confirm_above:
            balance = await self.ledger.balance(guild_id, sender.id)
            if balance < amount:  # asking to confirm what the ledger would refuse only delays the refusal
                raise UserFacingError("errors.insufficient_funds", balance=coins(balance), needed=coins(amount))
            view = ConfirmTransfer(sender.id, locale, move, describe)
            view.confirm.label = t(locale, "transfer.confirm_button")
            view.cancel.label = t(locale, "transfer.cancel_button")
            prompt = t(
                locale,
                "transfer.confirm",
                amount=coins(amount),
                name=escape(member.display_name),
                after=coins(balance - amount),
            )
            await interaction.followup.send(prompt, view=view, ephemeral=True, wait=True)
            return
        await interaction.followup.send(describe(await move()), ephemeral=True)

    @app_commands.command(name="statement", description="Your latest transactions")
    @app_commands.guild_only()
    async def statement(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id, user, locale = guild_of(interaction), interaction.user, locale_of(interaction.locale)
        await ensure_registered(self.bot, user)
        cursor: dict[str, int | None] = {"before_id": None}

        async def page() -> tuple[discord.Embed, bool]:
            data = await self.ledger.statement(guild_id, user.id, limit=STATEMENT_PAGE, before_id=cursor["before_id"])
            cursor["before_id"] = data.get("next_before_id")
            lines = [statement_line(item, locale, interaction.guild) for item in data["items"]]
            embed = discord.Embed(
                title=t(locale, "statement.title"),
                colour=COLOR,
                description=clip("\n".join(lines), MAX_DESCRIPTION) or t(locale, "statement.empty"),
            )
            return embed, cursor["before_id"] is not None

        first, more = await page()
        pager = Pager(user.id, [first], more=page if more else None, refusal=t(locale, "errors.not_yours"))
        kwargs = {"view": pager} if pager.needed else {}
        await interaction.followup.send(embed=first, ephemeral=True, **kwargs)

    @app_commands.command(name="leaderboard", description="The server's top 10 and your rank")
    @app_commands.guild_only()
    async def leaderboard(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id, user, locale = guild_of(interaction), interaction.user, locale_of(interaction.locale)
        await ensure_registered(self.bot, user)
        data = await self.ledger.leaderboard(guild_id, limit=10, user_id=user.id)
        lines = [
            f"**{row['rank']}.** {escape(row.get('display_name') or row['user_id'])} — {coins(row['balance'])}"
            for row in data["items"]
        ]
        embed = discord.Embed(
            title=t(locale, "leaderboard.title"),
            colour=COLOR,
            description="\n".join(lines) or t(locale, "leaderboard.empty"),
        )
        caller = data.get("caller")
        embed.set_footer(
            text=t(locale, "leaderboard.you", rank=caller["rank"], balance=coins(caller["balance"]))
            if caller
            else t(locale, "leaderboard.unranked")
        )
        await interaction.followup.send(embed=embed, ephemeral=True)


async def setup(bot: ButecoBot) -> None:
    await bot.add_cog(Balance(bot, TransferSettings.from_env(bot.env)))
