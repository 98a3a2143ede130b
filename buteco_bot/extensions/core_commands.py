"""The core's own commands: /help, /health and the admin-only /plugins status|reload."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from ..bot import ButecoBot
from ..core.discovery import Plugin
from ..core.embeds import COLOR, Pager, chunk_lines, paginate
from ..core.format import milliseconds
from ..core.health import ServiceHealth, check_all, gateway_ms, overall
from ..core.help import build_help
from ..core.i18n import locale_of, t
from ..core.manifest import localize
from ..core.text import escape

DOTS = {"up": "🟢", "degraded": "🟡", "unconfigured": "⚪", "down": "🔴"}
OVERALL_COLOURS = {"UP": discord.Colour.green(), "DEGRADED": discord.Colour.gold(), "DOWN": discord.Colour.red()}


def health_value(result: ServiceHealth, plugin: Plugin, locale: str) -> str:
    """A service's line in the reader's language: its state, latency and version, then why, or what to set up."""
    parts = [t(locale, f"health.{result.status}"), milliseconds(result.latency_ms)]
    parts += [f"v{escape(result.version)}"] if result.version else []  # the version and detail come from the service
    parts += [escape(result.why.text(locale))] if result.why else []
    setup = plugin.manifest.health.setup if plugin.manifest else None
    if result.status == "unconfigured":
        parts.append(localize(setup, locale) if setup else t(locale, "health.setup_unknown"))
    return " · ".join(parts)


class CoreCommands(commands.Cog):
    """Commands every Buteco has, whatever plugins are installed."""

    plugins = app_commands.Group(
        name="plugins",
        description="Inspect and reload plugins",
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
    )

    def __init__(self, bot: ButecoBot) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="List every command, grouped by plugin")
    async def help(self, interaction: discord.Interaction) -> None:
        locale = locale_of(interaction.locale)
        pages = await build_help(self.bot.registry, self.bot.tree, locale, self.bot.dev_guild, interaction.permissions)
        pager = Pager(interaction.user.id, pages, refusal=t(locale, "errors.not_yours"))
        if pager.needed:
            await interaction.response.send_message(embed=pages[0], view=pager, ephemeral=True)
        else:
            await interaction.response.send_message(embed=pages[0], ephemeral=True)

    @app_commands.command(name="health", description="Check every service the bot depends on")
    async def health(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        locale = locale_of(interaction.locale)
        registry = self.bot.registry
        results = await check_all(registry)
        state = overall(results)
        fields = []
        for result in results:
            plugin = registry.plugins[result.plugin_id]
            role = t(locale, "health.critical" if result.critical else "health.optional")
            name = f"{DOTS[result.status]} {plugin.display_name(locale)} ({role})"
            fields.append((name, health_value(result, plugin, locale)))
        problems = [
            f"`{p.id}` — {t(locale, 'plugins.states.' + p.state)}: {p.reason}"
            for p in registry.plugins.values()
            if p.state in ("failed", "needs-config")
        ]
        fields += [(t(locale, "health.load_failures"), chunk) for chunk in chunk_lines(problems)]
        latency = gateway_ms(self.bot.latency)
        description = t(locale, "health.gateway", latency="—" if latency is None else milliseconds(latency))
        title = t(locale, "health.title", overall=t(locale, f"health.overall.{state}"))
        pages = paginate(title, fields, description=description, colour=OVERALL_COLOURS[state])
        pager = Pager(interaction.user.id, pages, refusal=t(locale, "errors.not_yours"))
        await interaction.followup.send(embed=pages[0], ephemeral=True, **({"view": pager} if pager.needed else {}))

    @plugins.command(name="status", description="Show which plugins loaded, failed or need configuration")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def status(self, interaction: discord.Interaction) -> None:
        await self._send_report(interaction, t(interaction.locale, "plugins.title"))

    @plugins.command(name="reload", description="Re-read manifests, reload plugins and resync commands")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def reload(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        synced = await self.bot.reload_plugins()
        title = t(interaction.locale, "plugins.reloaded_synced" if synced else "plugins.reloaded_unchanged")
        await self._send_report(interaction, title)

    async def _send_report(self, interaction: discord.Interaction, title: str) -> None:
        locale = locale_of(interaction.locale)
        lines = self.bot.registry.report_lines(locale) or [t(locale, "plugins.none")]
        counts = self.bot.registry.counts().items()
        summary = " · ".join(f"{t(locale, 'plugins.states.' + state)}: {count}" for state, count in counts)
        pages = paginate(
            title,
            [(t(locale, "plugins.field"), chunk) for chunk in chunk_lines(lines)],
            description=summary,
            colour=COLOR,
        )
        pager = Pager(interaction.user.id, pages, refusal=t(locale, "errors.not_yours"))
        kwargs = {"view": pager} if pager.needed else {}
        if interaction.response.is_done():
            await interaction.followup.send(embed=pages[0], ephemeral=True, **kwargs)
        else:
            await interaction.response.send_message(embed=pages[0], ephemeral=True, **kwargs)


async def setup(bot: ButecoBot) -> None:
    await bot.add_cog(CoreCommands(bot))
