"""The plugin registry the bot owns, plugin settings in their plugins, and service paths only in the typed clients."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import aiohttp
import pytest

from buteco_bot.clients.balance import BalanceApi
from buteco_bot.core.clients import ServiceClient, ServiceUnavailable
from buteco_bot.core.discovery import Plugin
from buteco_bot.core.manifest import parse_manifest
from buteco_bot.core.registry import CORE, PluginRegistry
from buteco_bot.extensions.ask import AskSettings
from buteco_bot.extensions.balance import TransferSettings
from buteco_bot.settings import BotSettings

PACKAGE = Path(__file__).resolve().parents[1]
SERVICE_PATH = re.compile(r"^/(guilds|users|transactions|generate|events|daily)\b")


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, relative imports resolved against the buteco_bot package."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            found.add(".".join([*base, node.module or ""]).strip("."))
    return found


def test_the_core_never_imports_the_bot() -> None:
    """help, health, declarative and loader take the registry: no import circle, not even under TYPE_CHECKING."""
    for path in sorted((PACKAGE / "core").glob("*.py")):
        assert "buteco_bot.bot" not in imported_modules(path), path.name
        assert "TYPE_CHECKING" not in path.read_text(encoding="utf-8"), path.name


def leading_texts(path: Path) -> list[str]:
    """The leading literal text of every string and f-string in a module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
            found.append(str(node.values[0].value))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append(node.value)
    return found


def test_no_cog_spells_a_service_path() -> None:
    """Paths and bodies of the services live in buteco_bot/clients, one typed client per service."""
    for path in sorted((PACKAGE / "extensions").glob("*.py")):
        assert not [text for text in leading_texts(path) if SERVICE_PATH.match(text)], path.name
    clients = {path.stem: leading_texts(path) for path in (PACKAGE / "clients").glob("*.py")}
    assert set(clients) == {"__init__", "client", "balance", "coin", "bet", "genai"}
    assert all(any(SERVICE_PATH.match(text) for text in clients[name]) for name in set(clients) - {"__init__"})


def test_plugin_settings_are_read_from_the_bots_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Same variables as before, now owned by each plugin; the process environment is not what the bot was given."""
    assert not {"ai_usage_cost", "ai_cooldown_seconds", "transfer_confirm_above"} & set(BotSettings.model_fields)
    monkeypatch.setenv("AI_USAGE_COST", "7")
    assert AskSettings.from_env({}).ai_usage_cost == 10
    ask = AskSettings.from_env({"AI_USAGE_COST": "0", "AI_COOLDOWN_SECONDS": "2.5", "OTHER": "x"})
    assert (ask.ai_usage_cost, ask.ai_cooldown_seconds) == (0, 2.5)
    assert TransferSettings.from_env({"TRANSFER_CONFIRM_ABOVE": "50"}).transfer_confirm_above == 50
    with pytest.raises(ValueError, match="AI_USAGE_COST") as refused:
        AskSettings.from_env({"AI_USAGE_COST": "-31337"})
    assert "31337" not in str(refused.value), "a value never reaches a reason (it could be a misplaced secret)"


def plugin(plugin_id: str, command: str) -> Plugin:
    manifest = parse_manifest(
        {
            "name": plugin_id,
            "version": "1.0",
            "service": {"url_env": f"{plugin_id.upper()}_URL", "default_url": f"http://{plugin_id}:5000"},
            "help": [{"command": command, "category": "Money", "description": f"About {command}."}],
        },
        "test",
        plugin_id,
    )
    return Plugin(plugin_id, "test", manifest, url=manifest.service.default_url)


async def test_the_registry_answers_which_plugin_owns_what() -> None:
    registry = PluginRegistry()
    with pytest.raises(RuntimeError):
        registry.connect(plugin("balance", "balance"), None)
    registry.replace({"balance": plugin("balance", "balance")})
    registry.module_owner["buteco_bot.extensions.balance"] = "balance"
    assert registry.owner_of_module("buteco_bot.extensions.balance.views") == "balance"
    assert registry.owner_of_module("buteco_bot.extensions.balances") is None
    assert registry.help_entry("balance", "balance").description["en-US"] == "About balance."
    assert registry.help_entry("balance", "transfer") is None and registry.help_entry(CORE, "help") is None
    assert registry.display_names("pt-BR") == {"balance": "balance"}

    ledger = registry.api(BalanceApi)
    with pytest.raises(ServiceUnavailable, match="plugin not loaded"):
        ledger.http  # noqa: B018 - the lookup is what is tested
    async with aiohttp.ClientSession() as session:
        registry.open(session)
        first = registry.connect(registry.plugins["balance"], "t" * 16)
        assert ledger.http is first and registry.with_service() == [registry.plugins["balance"]]
        registry.replace({"balance": plugin("balance", "balance")})
        assert not registry.module_owner and not registry.services, "a reload forgets clients and module claims"
        second = registry.connect(registry.plugins["balance"], None)
        assert ledger.http is second is not first, "a typed client always reaches the current service client"
        assert isinstance(second, ServiceClient) and registry.counts()["loaded"] == 1
