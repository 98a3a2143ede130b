"""ButecoBot: owns the aiohttp session, the plugin registry and its loader (advanced_startup style)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Mapping

import aiohttp
import discord
from discord.ext import commands

from .core.boundary import BOT_TOKEN_ENV
from .core.discovery import CORE_EXTENSION
from .core.errors import ButecoTree
from .core.i18n import CatalogTranslator
from .core.loader import PluginLoader, PluginSource
from .core.registry import PluginRegistry
from .settings import BotSettings

log = logging.getLogger(__name__)


class ButecoBot(commands.Bot):
    """The one Bot subclass; everything with a lifetime is created in setup_hook and closed in close()."""

    def __init__(self, settings: BotSettings, *, env: Mapping[str, str] | None = None) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            tree_cls=ButecoTree,
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=settings.guild_ready_timeout,
        )
        self.settings = settings
        self.env = dict(os.environ if env is None else env)  # also what each plugin's own settings are read from
        self.session: aiohttp.ClientSession | None = None
        self.registry = PluginRegistry()
        # What manifests read (URLs, required_env, token_env): the environment, BOT_API_TOKEN from the settings.
        manifest_env = {**self.env, BOT_TOKEN_ENV: settings.bot_api_token.get_secret_value()}
        self.loader = PluginLoader(
            self.registry,
            self,
            PluginSource(settings.plugins_dir, manifest_env, settings.first_party_plugins, settings.plugins_env_file),
        )
        self.tree_hash: str | None = None
        self.sync_count = 0

    @property
    def dev_guild(self) -> discord.Object | None:
        return discord.Object(self.settings.dev_guild_id) if self.settings.dev_guild_id else None

    async def setup_hook(self) -> None:
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        self.registry.open(self.session)
        await self.tree.set_translator(CatalogTranslator())
        await self.load_extension(CORE_EXTENSION)
        await self.loader.load_all()
        for plugin in self.registry.plugins.values():
            level = logging.WARNING if plugin.state == "failed" else logging.INFO
            log.log(level, "plugin %s: %s%s", plugin.id, plugin.state, f" ({plugin.reason})" if plugin.reason else "")
        await self.sync_commands()

    async def close(self) -> None:
        await super().close()
        if self.session is not None:
            await self.session.close()

    async def reload_plugins(self) -> bool:
        """/plugins reload: re-read manifests, reload extensions, resync only if the tree changed."""
        await self.loader.reload()
        return await self.sync_commands()

    async def tree_payload(self) -> list[dict]:
        """The JSON Discord would receive for the current scope, translations included."""
        guild = self.dev_guild
        if guild is not None:
            self.tree.clear_commands(guild=guild)
            self.tree.copy_global_to(guild=guild)
        translator = self.tree.translator
        found = self.tree.get_commands(guild=guild)
        if translator is None:
            return [c.to_dict(self.tree) for c in found]
        return [await c.get_translated_payload(self.tree, translator) for c in found]

    async def sync_commands(self, *, force: bool = False) -> bool:
        """Sync (guild in development, global in production) only when the tree's payload changed."""
        payload = sorted(await self.tree_payload(), key=lambda c: (c.get("type", 1), c["name"]))
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
        if digest == self.tree_hash and not force:
            return False
        await self.tree.sync(guild=self.dev_guild)
        self.tree_hash = digest
        self.sync_count += 1
        log.info("synced %d commands (%s)", len(payload), "guild" if self.dev_guild else "global")
        return True
