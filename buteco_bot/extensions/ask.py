"""genai_api's command module: /ask, paid through a hold in the ledger: captured once the answer is delivered,
released when it fails, and released by the ledger itself when the bot never comes back to it."""

from __future__ import annotations

import io
import logging
import math
import time

import discord
from discord import app_commands
from discord.ext import commands
from pydantic import Field

from ..bot import ButecoBot
from ..clients.balance import BalanceApi, Hold
from ..clients.genai import GenaiApi
from ..core.clients import ServiceRefused, ServiceUnavailable
from ..core.embeds import COLOR, MAX_DESCRIPTION, MAX_TITLE, clip, group_embeds, split_text
from ..core.errors import UserFacingError
from ..core.health import check_one
from ..core.i18n import public_locale, t
from ..core.text import clean_text, escape, neutralize
from ..settings import PluginSettings
from .common import coins, ensure_registered, guild_of, money_key, timestamp

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
KIND = "ai_usage"  # the kind of the move a captured hold becomes: member → sink
HOLD_MARGIN_S = 60  # past the generation's deadline: delivery to Discord and the capture itself
MAX_HOLD_S = 3600
MODEL_SHOWN = 100


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
    """A failure after which the request may or may not have happened."""
    return isinstance(exc, ServiceUnavailable) or (isinstance(exc, ServiceRefused) and exc.status >= 500)


class Ask(commands.Cog):
    """The AI assistant: hold the coins, generate, deliver, capture; any failure before delivery releases the hold.

    The bot keeps no money state: a hold the bot never captures or releases (a crash, an outage) expires and the
    ledger gives the coins back, so a member pays only for an answer they received.
    """

    hold_margin_s: float = HOLD_MARGIN_S

    def __init__(self, bot: ButecoBot, settings: AskSettings) -> None:
        self.bot, self.settings = bot, settings
        self.cooldown = Cooldown(settings)
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
        if await self._switched_off():
            raise UserFacingError("ask.off")
        cost = self.settings.ai_usage_cost
        hold = await self._hold(interaction, guild_id, cost) if cost else None
        try:
            answer = await self.genai.generate(clean_text(prompt), t(interaction.locale, "ask.system_prompt"))
            await self._deliver(interaction, prompt, answer.text, answer.model, private, cost=cost)
        except Exception as exc:
            if not isinstance(exc, (ServiceRefused, ServiceUnavailable)):
                log.exception("/ask failed for interaction %s", interaction.id)
            released = await self._release(interaction.locale, hold) if hold else ""
            code = exc.code if isinstance(exc, ServiceRefused) else ""
            raise UserFacingError(FAILURES.get(code, "ask.failed"), refund=released) from exc
        if hold is not None:
            await self._capture(interaction, hold, private)

    async def _switched_off(self) -> bool:
        """genai_api says it has no provider: nothing to hold, charge or refund (its /health costs no provider call)."""
        plugin = self.bot.registry.plugins.get(GenaiApi.plugin_id)
        if plugin is None:
            return False
        return (await check_one(self.bot.registry.session, plugin)).status == "unconfigured"

    def _hold_seconds(self) -> int:
        """Long enough for the longest generation plus delivery, so only a bot that is gone lets a hold expire."""
        return min(MAX_HOLD_S, math.ceil(self.genai.http.timeout + self.hold_margin_s))

    async def _hold(self, interaction: discord.Interaction, guild_id: int, cost: int) -> Hold:
        """Reserve the member's coins before anything is generated."""
        await ensure_registered(self.bot, interaction.user)
        key, expires_in_s = f"{money_key(interaction.id)}:hold", self._hold_seconds()
        try:
            return await self.ledger.hold(
                guild_id, interaction.user.id, cost, kind=KIND, reason=REASON, expires_in_s=expires_in_s, key=key
            )
        except ServiceRefused as exc:
            if exc.code == "insufficient_funds":
                raise UserFacingError(
                    "ask.insufficient", cost=coins(cost), balance=coins(int(exc.body.get("balance", 0)))
                ) from exc
            if _transient(exc):
                await self._release_if_held(key)
            raise
        except ServiceUnavailable:
            await self._release_if_held(key)
            raise

    async def _release_if_held(self, key: str) -> None:
        """A hold whose answer was lost may exist: free it now rather than at its expiry."""
        try:
            found = await self.ledger.hold_by_key(key)
            if found is not None and found.status == "held":
                await self.ledger.release(found)
        except (ServiceRefused, ServiceUnavailable) as exc:
            log.warning("hold %s: outcome unknown (%s); if it exists, the ledger releases it when it expires", key, exc)

    async def _release(self, locale: discord.Locale, hold: Hold) -> str:
        """Give the held coins back; the sentence that tells the member, who is never charged for a failure."""
        try:
            await self.ledger.release(hold)
            return t(locale, "ask.released", cost=coins(hold.amount))
        except (ServiceRefused, ServiceUnavailable) as exc:
            log.warning("hold %s not released now (%s); the ledger releases it at %s", hold.id, exc, hold.expires_at)
            return t(locale, "ask.release_pending", cost=coins(hold.amount), when=timestamp(hold.expires_at))

    async def _capture(self, interaction: discord.Interaction, hold: Hold, private: bool) -> None:
        """The answer was delivered: the held coins become the payment (a private answer shows its cost already)."""
        try:
            await self.ledger.capture(hold)
        except (ServiceRefused, ServiceUnavailable) as exc:
            log.warning("hold %s not captured (%s); still held, it expires unpaid at %s", hold.id, exc, hold.expires_at)
            return
        if private:
            return
        try:
            balance = await self.ledger.balance(hold.guild_id, interaction.user.id)
        except (ServiceRefused, ServiceUnavailable):
            return
        status = t(interaction.locale, "ask.posted", cost=coins(hold.amount), balance=coins(balance))
        await interaction.edit_original_response(content=status)

    async def _deliver(
        self,
        interaction: discord.Interaction,
        prompt: str,
        text: str,
        model: str,
        private: bool,
        *,
        cost: int,
    ) -> None:
        """Embeds within Discord's limits, split at paragraphs, or a Markdown file when the answer is too long."""
        locale = interaction.locale
        seen_by = locale if private else public_locale(interaction)  # a public answer is the channel's to read
        shown = neutralize(text)  # the answer keeps its Markdown, not its mentions or masked links
        chunks = split_text(shown, MAX_DESCRIPTION)
        attached = len(text) > ATTACH_ABOVE or len(chunks) > MAX_PARTS
        if attached:
            chunks = [f"{t(seen_by, 'ask.attached', chars=coins(len(text)))}\n\n{split_text(shown, PREVIEW)[0]}\n…"]
        shown_model = clip(model, MODEL_SHOWN)
        footer = " · ".join(filter(None, [shown_model, t(seen_by, "ask.cost", cost=coins(cost)) if cost else ""]))
        embeds = [discord.Embed(description=chunk, colour=COLOR) for chunk in chunks]
        embeds[0].title = clip(escape(" ".join(prompt.split())), MAX_TITLE)
        for number, embed in enumerate(embeds, 1):
            embed.set_footer(text=footer + (f" · {number}/{len(embeds)}" if len(embeds) > 1 else "") or None)
        if not private:  # the public answer follows as messages of its own; the cost stays in this private one
            await interaction.edit_original_response(content=t(locale, "ask.posted_free"))
        file = discord.File(io.BytesIO(text.encode()), filename="answer.md") if attached else None
        for index, group in enumerate(group_embeds(embeds)):
            extra = {"file": file} if file and index == 0 else {}
            await interaction.followup.send(embeds=group, ephemeral=private, **extra)


async def setup(bot: ButecoBot) -> None:
    await bot.add_cog(Ask(bot, AskSettings.from_env(bot.env)))
