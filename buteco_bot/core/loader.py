"""Loads each plugin in isolation (service client, command module, declarative commands) and reloads them."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from discord import app_commands
from discord.ext import commands

from .declarative import build_commands
from .help import dangling_help, leaf_commands
from .registry import Plugin, discover
from .services import ServiceClient

if TYPE_CHECKING:
    from ..bot import ButecoBot

log = logging.getLogger(__name__)


def _reason(exc: BaseException) -> str:
    """The root cause of an extension failure, in one line."""
    cause = exc.__cause__ or exc
    return f"{type(cause).__name__}: {cause}".splitlines()[0][:300]


class PluginLoader:
    """Owns which extension module and which declarative commands belong to which plugin."""

    def __init__(self, bot: ButecoBot) -> None:
        self.bot = bot
        self.module_owner: dict[str, str] = {}

    def owner_of_module(self, module: str | None) -> str | None:
        for name, plugin_id in self.module_owner.items():
            if module and (module == name or module.startswith(name + ".")):
                return plugin_id
        return None

    async def discover(self) -> dict[str, Plugin]:
        """Read the manifests in a thread: a slow or hostile file never blocks the event loop."""
        settings = self.bot.settings
        return await asyncio.to_thread(discover, settings.plugins_dir, self.bot.plugin_env(),
                                       settings.first_party_plugins)

    async def load_all(self) -> None:
        """First load at start-up: every loadable plugin, each one's failure its own."""
        self.bot.plugins = await self.discover()
        for plugin in list(self.bot.plugins.values()):
            if plugin.state == "loaded":
                await self._load_isolated(plugin)
        self._check_help()

    async def reload(self) -> bool:
        """Re-read manifests, reload extensions (rolled back on failure), resync only if the tree changed."""
        fresh = await self.discover()
        self._remove_declarative()
        wanted = {p.manifest.command_module for p in fresh.values()
                  if p.state == "loaded" and p.manifest.command_module}
        for module in list(self.module_owner):
            if module not in wanted and module in self.bot.extensions:
                await self.bot.unload_extension(module)
        self.module_owner.clear()
        self.bot.services.clear()
        self.bot.plugins = fresh
        for plugin in list(fresh.values()):
            if plugin.state == "loaded":
                await self._load_isolated(plugin)
        self._check_help()
        return await self.bot.sync_commands()

    async def _load_isolated(self, plugin: Plugin) -> None:
        """One plugin's unexpected error is its own failure; the others still load."""
        try:
            await self._load(plugin)
        except Exception as exc:  # noqa: BLE001 - reported as the plugin's state, never raised into start-up
            plugin.fail(f"{plugin.source}: {_reason(exc)}")
            self.bot.services.pop(plugin.id, None)
            log.warning("plugin %s failed to load: %s", plugin.id, plugin.reason)

    def _remove_declarative(self) -> None:
        for command in list(self.bot.tree.get_commands()):
            if command.extras.get("declarative"):
                self.bot.tree.remove_command(command.name)

    async def _load(self, plugin: Plugin) -> None:
        manifest = plugin.manifest
        bot = self.bot
        token_env = manifest.service.token_env
        token = bot.plugin_env().get(token_env) if token_env else None  # only this plugin's own credential
        bot.services[plugin.id] = ServiceClient(bot.session, plugin.id, plugin.url, token, manifest.service.timeout)
        module = manifest.command_module
        if module:
            if module in self.module_owner:
                plugin.fail(f"command module {module} is already owned by plugin {self.module_owner[module]!r}")
                return
            try:
                if module in bot.extensions:
                    await bot.reload_extension(module)
                else:
                    await bot.load_extension(module)
            except commands.ExtensionError as exc:
                kept = module in bot.extensions
                plugin.fail(_reason(exc) + (" (the previous version keeps running)" if kept else ""))
                if kept:
                    self.module_owner[module] = plugin.id
                log.warning("plugin %s failed to load %s: %s", plugin.id, module, plugin.reason)
                return
            self.module_owner[module] = plugin.id
        added: list[str] = []
        try:
            for command in build_commands(bot, manifest):
                bot.tree.add_command(command)
                added.append(command.name)
        except (app_commands.AppCommandError, TypeError, ValueError) as exc:
            for name in added:
                bot.tree.remove_command(name)
            if module and module in bot.extensions:
                await bot.unload_extension(module)
                self.module_owner.pop(module, None)
            plugin.fail(f"declarative commands: {type(exc).__name__}: {exc}")

    def _check_help(self) -> None:
        """Drop (and report) help entries for commands the plugin does not have."""
        owned: dict[str, set[str]] = {}
        for command in leaf_commands(self.bot.tree):
            owned.setdefault(self.bot.owner_of(command), set()).add(command.qualified_name)
        for plugin in self.bot.plugins.values():
            if plugin.manifest is None or plugin.state != "loaded":
                continue
            missing = dangling_help([h.command for h in plugin.manifest.help], owned.get(plugin.id, set()))
            plugin.warnings = [f"help entry for /{name} dropped: the plugin has no such command" for name in missing]
