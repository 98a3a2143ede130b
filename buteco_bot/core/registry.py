"""PluginRegistry: the one answer to "which plugin is this?" — plugins, their service clients, their modules, help."""

from __future__ import annotations

from functools import partial
from typing import TypeVar

import aiohttp
import discord
from discord import app_commands

from .clients import ServiceApi, ServiceClient, ServiceUnavailable
from .discovery import Plugin
from .i18n import t
from .manifest import HelpEntry

CORE = "core"  # the owner of every command no plugin claims: /help, /health, /plugins
REPORT_ORDER = ("failed", "needs-config", "disabled", "loaded")
SUMMARY_ORDER = ("loaded", "failed", "needs-config", "disabled")
Api = TypeVar("Api", bound=ServiceApi)


class PluginRegistry:
    """Owned by the bot and handed to the core (loader, help, health, declarative commands) instead of the bot."""

    def __init__(self) -> None:
        self.plugins: dict[str, Plugin] = {}
        self.services: dict[str, ServiceClient] = {}
        self.module_owner: dict[str, str] = {}
        self._session: aiohttp.ClientSession | None = None

    def open(self, session: aiohttp.ClientSession) -> None:
        """Hand over the bot's HTTP session (opened in its setup_hook, closed by the bot)."""
        self._session = session

    @property
    def session(self) -> aiohttp.ClientSession:
        """What service clients and health checks share; only there once the bot's setup_hook ran."""
        if self._session is None:
            raise RuntimeError("the registry has no HTTP session before the bot's setup_hook")
        return self._session

    def replace(self, plugins: dict[str, Plugin]) -> None:
        """A fresh discovery: every previous service client and command module claim is forgotten."""
        self.plugins = plugins
        self.services.clear()
        self.module_owner.clear()

    def connect(self, plugin: Plugin, token: str | None) -> ServiceClient:
        """The plugin's service client on the shared session, carrying only this plugin's own credential."""
        client = ServiceClient(self.session, plugin.id, plugin.url, token, plugin.manifest.service.timeout)
        self.services[plugin.id] = client
        return client

    def disconnect(self, plugin_id: str) -> None:
        self.services.pop(plugin_id, None)

    def service(self, plugin_id: str) -> ServiceClient:
        """The client of a loaded plugin's service; ServiceUnavailable when that plugin is not loaded."""
        client = self.services.get(plugin_id)
        if client is None:
            raise ServiceUnavailable(plugin_id, "plugin not loaded")
        return client

    def api(self, kind: type[Api]) -> Api:
        """A typed client (buteco_bot.clients) that always reaches its plugin's current service client."""
        return kind(partial(self.service, kind.plugin_id))

    def owner_of_module(self, module: str | None) -> str | None:
        """The plugin whose command module is `module` or a package containing it."""
        for name, plugin_id in self.module_owner.items():
            if module and (module == name or module.startswith(name + ".")):
                return plugin_id
        return None

    def owner_of(self, command: app_commands.Command) -> str:
        """The plugin a command belongs to: declared in extras, else by the module that defined it."""
        return command.extras.get("plugin") or self.owner_of_module(command.module) or CORE

    def help_entry(self, plugin_id: str, qualified_name: str) -> HelpEntry | None:
        plugin = self.plugins.get(plugin_id)
        if plugin is None or plugin.manifest is None:
            return None
        return next((h for h in plugin.manifest.help if h.command == qualified_name), None)

    def display_names(self, locale: discord.Locale | str) -> dict[str, str]:
        """Each plugin's name in `locale`, for error messages that name a service."""
        lang = locale.value if isinstance(locale, discord.Locale) else str(locale)
        return {pid: p.display_name(lang) for pid, p in self.plugins.items()}

    def with_service(self) -> list[Plugin]:
        """Loaded plugins that have a service to call (and to check in /health)."""
        return [p for p in self.plugins.values() if p.state == "loaded" and p.has_service]

    def counts(self) -> dict[str, int]:
        """How many plugins are in each state, for the /plugins summary."""
        return {state: sum(1 for p in self.plugins.values() if p.state == state) for state in SUMMARY_ORDER}

    def report_lines(self, locale: str = "en-US") -> list[str]:
        """`id version — state: reason` and its warnings, failures first then by id, for /plugins (the state in the
        reader's language; reasons and warnings are the operator's, in English)."""
        lines = []
        for plugin in sorted(self.plugins.values(), key=lambda p: (REPORT_ORDER.index(p.state), p.id)):
            version = f" {plugin.manifest.version}" if plugin.manifest else ""
            line = f"`{plugin.id}`{version} — **{t(locale, 'plugins.states.' + plugin.state)}**"
            if plugin.reason:
                line += f": {plugin.reason}"
            lines += [line, *(f"  ⚠ {w}" for w in plugin.warnings)]
        return lines
