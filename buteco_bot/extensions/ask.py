"""genai_api's command module: /ask, paid through the ledger before generating and refunded when it fails."""

from __future__ import annotations

import asyncio
import io
import logging
import math
import time
from dataclasses import dataclass

import discord
from discord import app_commands
from discord.ext import commands
from pydantic import Field

from ..bot import ButecoBot
from ..clients.balance import BalanceApi
from ..clients.genai import GenaiApi
from ..core.clients import ServiceRefused, ServiceUnavailable
from ..core.embeds import COLOR, MAX_DESCRIPTION, MAX_TITLE, clip, group_embeds, split_text
from ..core.errors import UserFacingError
from ..core.i18n import t
from ..core.text import clean_text, escape, neutralize
from ..settings import PluginSettings
from .common import coins, ensure_registered, guild_of, money_key

log = logging.getLogger(__name__)
Prompt = app_commands.Range[str, 1, 4000]
MAX_PARTS = 3
ATTACH_ABOVE = 12_000
PREVIEW = 1_000
FAILURES = {
    "provider_unconfigured": "ask.unconfigured",
    "provider_rate_limited": "ask.rate_limited",
    "content_blocked": "ask.blocked",
}
Key = tuple[int, int]
REASON = "/ask"


@dataclass(frozen=True)
class Charge:
    """What /ask may have charged: the member, the amount, and the interaction's key its charge was posted under."""

    guild_id: int
    user_id: int
    cost: int
    key: str


class AskSettings(PluginSettings):
    """The genai plugin's own: what one /ask costs (0: free) and each member's wait between two answers."""

    ai_usage_cost: int = Field(default=10, ge=0, le=10**12)
    ai_cooldown_seconds: float = Field(default=30, ge=0, le=86400)


class Cooldown:
    """Each member's wait between answers, in memory: a question in flight holds it, a failed one gives it back."""

    def __init__(self, settings: AskSettings) -> None:
        self.settings = settings
        self.last: dict[Key, float] = {}
        self.busy: set[Key] = set()

    def reserve(self, key: Key) -> None:
        if key in self.busy:
            raise UserFacingError("ask.busy")
        wait = self.last.get(key, -math.inf) + self.settings.ai_cooldown_seconds - time.monotonic()
        if wait > 0:
            raise UserFacingError("ask.cooldown", seconds=math.ceil(wait))
        self.busy.add(key)

    def release(self, key: Key, *, answered: bool) -> None:
        self.busy.discard(key)
        if answered:
            now, seconds = time.monotonic(), self.settings.ai_cooldown_seconds
            self.last = {k: at for k, at in self.last.items() if now - at < seconds}
            self.last[key] = now


def _transient(exc: Exception) -> bool:
    """A failure after which the request may or may not have happened, so it is worth asking again."""
    return isinstance(exc, ServiceUnavailable) or (isinstance(exc, ServiceRefused) and exc.status >= 500)


class Ask(commands.Cog):
    """The AI assistant: charge, generate, answer; any failure after the charge gives the coins back."""

    refund_delays: tuple[float, ...] = (5, 30, 120, 600)

    def __init__(self, bot: ButecoBot, settings: AskSettings) -> None:
        self.bot, self.settings = bot, settings
        self.cooldown = Cooldown(settings)
        self.retries: set[asyncio.Task] = set()
        self.ledger, self.genai = bot.registry.api(BalanceApi), bot.registry.api(GenaiApi)

    @app_commands.command(name="ask", description="Ask the AI assistant (costs coins)")
    @app_commands.describe(prompt="What you want to know", private="Only you see the answer")
    @app_commands.guild_only()
    async def ask(self, interaction: discord.Interaction, prompt: Prompt, private: bool = False) -> None:
        key = (guild_of(interaction), interaction.user.id)
        self.cooldown.reserve(key)
        answered = False
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await self._answer(interaction, key[0], prompt, private)
            answered = True
        finally:
            self.cooldown.release(key, answered=answered)

    async def _answer(self, interaction: discord.Interaction, guild_id: int, prompt: str, private: bool) -> None:
        cost = self.settings.ai_usage_cost
        balance = await self._charge(interaction, guild_id, cost) if cost else None
        try:
            answer = await self.genai.generate(clean_text(prompt), t(interaction.locale, "ask.system_prompt"))
            await self._deliver(interaction, prompt, answer.text, answer.model, private, cost=cost, balance=balance)
        except Exception as exc:
            if not isinstance(exc, (ServiceRefused, ServiceUnavailable)):
                log.exception("/ask failed for interaction %s", interaction.id)
            refund = await self._refund(interaction, guild_id, cost) if cost else ""
            code = exc.code if isinstance(exc, ServiceRefused) else ""
            raise UserFacingError(FAILURES.get(code, "ask.failed"), refund=refund) from exc

    async def _charge(self, interaction: discord.Interaction, guild_id: int, cost: int) -> int:
        """Debit the member before anything is generated; their balance after."""
        await ensure_registered(self.bot, interaction.user)
        user_id = interaction.user.id
        try:
            reply = await self.ledger.pay_sink(
                guild_id, user_id, cost, kind="ai_usage", reason=REASON, key=f"{money_key(interaction.id)}:charge"
            )
        except ServiceRefused as exc:
            if exc.code == "insufficient_funds":
                raise UserFacingError(
                    "ask.insufficient", cost=coins(cost), balance=coins(int(exc.body.get("balance", 0)))
                ) from exc
            if _transient(exc):
                await self._refund(interaction, guild_id, cost)
            raise
        except ServiceUnavailable:
            await self._refund(interaction, guild_id, cost)
            raise
        return next(p["balance_after"] for p in reply.data["postings"] if p["user_id"] == str(user_id))

    async def _refund(self, interaction: discord.Interaction, guild_id: int, cost: int) -> str:
        """Give the coins back once (a later retry if the ledger is away); the sentence that tells the member."""
        charge = Charge(guild_id, interaction.user.id, cost, money_key(interaction.id))
        try:
            if await self._give_back(charge):
                return t(interaction.locale, "ask.refunded", cost=coins(cost))
            return ""
        except (ServiceRefused, ServiceUnavailable) as exc:
            log.warning("refund %s:refund failed (%s); retrying in the background", charge.key, exc)
            task = asyncio.create_task(self._refund_later(charge))
            self.retries.add(task)
            task.add_done_callback(self.retries.discard)
            return t(interaction.locale, "ask.refund_pending", cost=coins(cost))

    async def _give_back(self, charge: Charge) -> bool:
        """Refund only a charge the ledger really has, under its own key, so no retry ever pays twice."""
        if await self.ledger.transaction(f"{charge.key}:charge") is None:
            return False
        await self.ledger.pay_sink(
            charge.guild_id, charge.user_id, -charge.cost, kind="ai_refund", reason=REASON, key=f"{charge.key}:refund"
        )
        return True

    async def _refund_later(self, charge: Charge) -> None:
        """Retry a refund the ledger missed; its key makes every attempt the same single refund."""
        key = charge.key
        try:
            for delay in self.refund_delays:
                await asyncio.sleep(delay)
                try:
                    await self._give_back(charge)
                    log.info("refund %s:refund completed on a retry", key)
                    return
                except (ServiceRefused, ServiceUnavailable) as exc:
                    if not _transient(exc):
                        break
        except asyncio.CancelledError:
            log.error("refund %s:refund interrupted by a shutdown; POST it to balance_api with that key", key)
            raise
        log.error("refund %s:refund gave up; POST it to balance_api with that key", key)

    async def _deliver(
        self,
        interaction: discord.Interaction,
        prompt: str,
        text: str,
        model: str,
        private: bool,
        *,
        cost: int,
        balance: int | None,
    ) -> None:
        """Embeds within Discord's limits, split at paragraphs, or a Markdown file when the answer is too long."""
        locale = interaction.locale
        shown = neutralize(text)  # the answer keeps its Markdown, not its mentions or masked links
        chunks = split_text(shown, MAX_DESCRIPTION)
        attached = len(text) > ATTACH_ABOVE or len(chunks) > MAX_PARTS
        if attached:
            chunks = [f"{t(locale, 'ask.attached', chars=coins(len(text)))}\n\n{split_text(shown, PREVIEW)[0]}\n…"]
        footer = " · ".join(filter(None, [model, t(locale, "ask.cost", cost=coins(cost)) if cost else ""]))
        embeds = [discord.Embed(description=chunk, colour=COLOR) for chunk in chunks]
        embeds[0].title = clip(escape(" ".join(prompt.split())), MAX_TITLE)
        for number, embed in enumerate(embeds, 1):
            embed.set_footer(text=footer + (f" · {number}/{len(embeds)}" if len(embeds) > 1 else "") or None)
        if not private:
            status = (
                t(locale, "ask.posted", cost=coins(cost), balance=coins(balance))
                if balance is not None
                else t(locale, "ask.posted_free")
            )
            await interaction.edit_original_response(content=status)
        file = discord.File(io.BytesIO(text.encode()), filename="answer.md") if attached else None
        for index, group in enumerate(group_embeds(embeds)):
            extra = {"file": file} if file and index == 0 else {}
            await interaction.followup.send(embeds=group, ephemeral=private, **extra)


async def setup(bot: ButecoBot) -> None:
    await bot.add_cog(Ask(bot, AskSettings.from_env(bot.env)))
