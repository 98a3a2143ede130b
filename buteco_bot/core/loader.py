"""Loads each plugin in isolation (service client, command module, declarative commands) and reloads them."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from discord import app_commands
from discord.ext import commands

from .boundary import reserved_env
from .declarative import build_commands
from .discovery import Plugin, discover
from .help import dangling_help, leaf_commands
from .registry import PluginRegistry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PluginSource:
    """Where manifests are read and what they may see: the directory, the environment, the first-party ids."""

    plugins_dir: Path | None
    env: Mapping[str, str]
    first_party: frozenset[str]
    env_file: Path | None = None  # PLUGINS_ENV_FILE: more URLs and credentials, re-read at every (re)load


ENV_FILE_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,63}_(URL|TOKEN)$")
MAX_ENV_FILE_BYTES = 64 * 1024


def with_env_file(env: Mapping[str, str], env_file: Path | None) -> dict[str, str]:
    """env plus the service URLs and credentials env_file sets; never a variable the bot keeps for itself."""
    merged = dict(env)
    try:
        text = env_file.read_bytes()[:MAX_ENV_FILE_BYTES].decode("utf-8", "replace") if env_file else ""
    except OSError as exc:
        log.warning("PLUGINS_ENV_FILE cannot be read (%s); using the environment alone", type(exc).__name__)
        return merged
    for line in text.splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and value and ENV_FILE_NAME.match(name) and not reserved_env(name):
            merged[name] = value
    return merged


def _reason(exc: BaseException) -> str:
    """The root cause of an extension failure, in one line."""
    cause = exc.__cause__ or exc
    return f"{type(cause).__name__}: {cause}".splitlines()[0][:300]


class PluginLoader:
    """Loads plugins into a discord.py Bot (extensions, tree) and records each outcome in the registry."""

    def __init__(self, registry: PluginRegistry, bot: commands.Bot, source: PluginSource) -> None:
        self.registry, self.bot, self.source = registry, bot, source
        self.env: Mapping[str, str] = source.env  # with PLUGINS_ENV_FILE's values as of the last (re)load

    async def discover(self) -> dict[str, Plugin]:
        """Read the manifests in a thread: a slow or hostile file never blocks the event loop."""
        source = self.source

        def read() -> tuple[dict[str, str], dict[str, Plugin]]:
            env = with_env_file(source.env, source.env_file)
            return env, discover(source.plugins_dir, env, source.first_party)

        self.env, found = await asyncio.to_thread(read)
        return found

    async def load_all(self) -> None:
        """First load at start-up: every loadable plugin, each one's failure its own."""
        self.registry.replace(await self.discover())
        for plugin in list(self.registry.plugins.values()):
            if plugin.state == "loaded":
                await self._load_isolated(plugin)
        self._check_help()

    async def reload(self) -> None:
        """Re-read manifests and reload extensions (a failed reload keeps the previous version running)."""
        fresh = await self.discover()
        self._remove_declarative()
        wanted = {
            p.manifest.command_module for p in fresh.values() if p.state == "loaded" and p.manifest.command_module
        }
        for module in list(self.registry.module_owner):
            if module not in wanted and module in self.bot.extensions:
                await self.bot.unload_extension(module)
        self.registry.replace(fresh)
        for plugin in list(fresh.values()):
            if plugin.state == "loaded":
                await self._load_isolated(plugin)
        self._check_help()

    async def _load_isolated(self, plugin: Plugin) -> None:
        """One plugin's unexpected error is its own failure; the others still load."""
        try:
            await self._load(plugin)
        except Exception as exc:
            plugin.fail(f"{plugin.source}: {_reason(exc)}")
            self.registry.disconnect(plugin.id)
            log.warning("plugin %s failed to load: %s", plugin.id, plugin.reason)

    def _remove_declarative(self) -> None:
        for command in list(self.bot.tree.get_commands()):
            if command.extras.get("declarative"):
                self.bot.tree.remove_command(command.name)

    async def _load(self, plugin: Plugin) -> None:
        manifest, bot, owners = plugin.manifest, self.bot, self.registry.module_owner
        token_env = manifest.service.token_env
        self.registry.connect(plugin, self.env.get(token_env) if token_env else None)  # its own credential
        module = manifest.command_module
        if module:
            if module in owners:
                plugin.fail(f"command module {module} is already owned by plugin {owners[module]!r}")
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
                    owners[module] = plugin.id
                log.warning("plugin %s failed to load %s: %s", plugin.id, module, plugin.reason)
                return
            owners[module] = plugin.id
        added: list[str] = []
        try:
            for command in build_commands(self.registry, manifest):
                bot.tree.add_command(command)
                added.append(command.name)
        except (app_commands.AppCommandError, TypeError, ValueError) as exc:
            for name in added:
                bot.tree.remove_command(name)
            if module and module in bot.extensions:
                await bot.unload_extension(module)
                owners.pop(module, None)
            plugin.fail(f"declarative commands: {type(exc).__name__}: {exc}")

    def _check_help(self) -> None:
        """Drop (and report) help entries for commands the plugin does not have."""
        owned: dict[str, set[str]] = {}
        for command in leaf_commands(self.bot.tree):
            owned.setdefault(self.registry.owner_of(command), set()).add(command.qualified_name)
        for plugin in self.registry.plugins.values():
            if plugin.manifest is None or plugin.state != "loaded":
                continue
            missing = dangling_help([h.command for h in plugin.manifest.help], owned.get(plugin.id, set()))
            plugin.warnings = [f"help entry for /{name} dropped: the plugin has no such command" for name in missing]
