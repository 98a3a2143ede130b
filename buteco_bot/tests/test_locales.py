"""Both catalogs say everything, pt-BR says it in Portuguese, and numbers read the same in every reply."""

from __future__ import annotations

import importlib
import re
import string
from typing import Any

import pytest
from discord import app_commands
from discord.ext import commands

from buteco_bot.core.discovery import Plugin
from buteco_bot.core.format import decimal, milliseconds, number, signed, when
from buteco_bot.core.health import ServiceHealth, Why, only_unconfigured, overall
from buteco_bot.core.i18n import catalog, t
from buteco_bot.core.manifest import load_manifest_file
from buteco_bot.extensions.balance import statement_line
from buteco_bot.extensions.bet_embeds import status_of
from buteco_bot.extensions.core_commands import health_value

from .conftest import REPO_PLUGINS

# Replies that are the same word in both languages (a name, a placeholder alone).
SAME_IN_BOTH = {"help.core", "plugins.title", "bets.result.pending", "health.reasons.http"}
# English words that mean nothing to a pt-BR reader: status words, kinds, states.
ENGLISH = re.compile(
    r"\b(up|down|degraded|unconfigured|not set up|open|locked|settled|cancelled|loaded|failed|disabled|needs-config"
    r"|transfer|daily|reward|stake|bet|refund|winnings|from|to|balance|streak|event|answering|connection|timed"
    r"|failed|found|unreachable|closed|sent|answered)\b",
    re.IGNORECASE,
)


def flat(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Dotted key → text, for every reply of a catalog."""
    out: dict[str, str] = {}
    for key, value in table.items():
        out.update(flat(value, f"{prefix}{key}.") if isinstance(value, dict) else {prefix + key: value})
    return out


EN, PT = flat(catalog("en-US")["replies"]), flat(catalog("pt-BR")["replies"])
EN_REASONS = catalog("en-US")["replies"]["health"]["reasons"]


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_is_in_both_catalogs() -> None:
    assert not sorted(EN.keys() - PT.keys()), "keys in en-US.toml missing from pt-BR.toml"
    assert not sorted(PT.keys() - EN.keys()), "keys in pt-BR.toml missing from en-US.toml"


def test_both_catalogs_fill_the_same_placeholders() -> None:
    assert {k: fields(v) for k, v in EN.items()} == {k: fields(v) for k, v in PT.items()}


def slash_commands() -> list[app_commands.Command | app_commands.Group]:
    """Every command and group the bot's own cogs define (plugins' declarative commands carry their own texts)."""
    found: list[app_commands.Command | app_commands.Group] = []

    def walk(command: app_commands.Command | app_commands.Group) -> None:
        found.append(command)
        for child in command.commands if isinstance(command, app_commands.Group) else []:
            walk(child)

    for name in ("balance", "bets", "ask", "daily", "register", "core_commands"):
        module = importlib.import_module(f"buteco_bot.extensions.{name}")
        for cog in vars(module).values():
            if isinstance(cog, type) and issubclass(cog, commands.Cog) and cog is not commands.Cog:
                for command in cog.__cog_app_commands__:
                    walk(command)
    return found


def test_every_command_and_option_has_a_portuguese_name_and_description() -> None:
    missing = []
    for command in slash_commands():
        entry = catalog("pt-BR")["commands"]
        for part in command.qualified_name.split():
            entry = entry.get(part, {})
        missing += [f"{command.qualified_name}.{k}" for k in ("name", "description") if k not in entry]
        for option in command.parameters if isinstance(command, app_commands.Command) else []:
            texts = entry.get("params", {}).get(option.name, {})
            missing += [
                f"{command.qualified_name}.{option.name}.{k}" for k in ("name", "description") if k not in texts
            ]
    assert len(slash_commands()) >= 20 and not missing, f"pt-BR.toml [commands] lacks {missing}"


def test_every_portuguese_reply_is_translated() -> None:
    untranslated = sorted(k for k in EN if EN[k] == PT[k] and k not in SAME_IN_BOTH)
    assert not untranslated, f"pt-BR replies still in English: {untranslated}"


def result(
    status: str, *, critical: bool = False, version: str | None = "1.0.0", why: Why | None = None
) -> ServiceHealth:
    return ServiceHealth("genai", critical, status, 3.4, version, why)  # type: ignore[arg-type]


WHYS = [Why(key) for key in EN_REASONS if key not in ("timed_out_after", "os_error", "http")] + [
    Why("timed_out_after", (("seconds", "2"),)),
    Why("os_error", (("error", "no route"),)),
]


@pytest.fixture(scope="module")
def genai() -> Plugin:
    return Plugin("genai", "test", load_manifest_file(REPO_PLUGINS / "genai.toml"), url="http://genai")


def pt_renderings(genai: Plugin) -> list[str]:
    """Every status word, kind and state as a pt-BR member reads it."""
    statuses = ("up", "degraded", "unconfigured", "down")
    texts = [health_value(result(s), genai, "pt-BR") for s in statuses]
    texts += [health_value(result("down", why=why), genai, "pt-BR") for why in WHYS]
    texts += [t("pt-BR", f"health.overall.{state}") for state in ("UP", "DEGRADED", "DOWN")]
    texts += [t("pt-BR", f"plugins.states.{state}") for state in ("loaded", "failed", "needs-config", "disabled")]
    texts += [status_of("pt-BR", s) for s in ("open", "locked", "settling", "settled", "cancelling", "cancelled")]
    item = {"amount": -5, "balance_after": 95, "created_at": "2026-11-29T12:00:00+00:00", "counterparty": None}
    texts += [
        statement_line({**item, "kind": kind, "reason": "stake on bet event #1"}, "pt-BR")
        for kind in ("daily", "bet_stake", "bet_settle", "bet_refund", "ai_usage", "ai_refund", "hold")
    ]
    ids = {"claim_number": 3, "streak": 3, "event_id": 7, "outcome_id": 12}
    texts += [t("pt-BR", f"moves.{kind}", **ids) for kind in catalog("pt-BR")["replies"]["moves"]]
    texts.append(
        statement_line({**item, "kind": "transfer", "reason": None, "counterparty": {"user_id": "7"}}, "pt-BR")
    )
    return texts


def test_no_english_word_in_portuguese_renderings(genai: Plugin) -> None:
    leaks = {text: ENGLISH.findall(text.replace("genai_api", "")) for text in pt_renderings(genai)}
    assert not {text: words for text, words in leaks.items() if words}


def test_an_unconfigured_optional_plugin_is_not_set_up_not_degraded(genai: Plugin) -> None:
    assert only_unconfigured({"status": "degraded", "checks": {"provider": "unconfigured"}})
    assert not only_unconfigured({"status": "degraded", "checks": {"provider": "unconfigured", "cache": "degraded"}})
    assert not only_unconfigured({"status": "degraded"})
    assert overall([result("up", critical=True), result("unconfigured")]) == "UP"
    assert overall([result("unconfigured", critical=True)]) == "DEGRADED"
    english = health_value(result("unconfigured"), genai, "en-US")
    assert english.startswith("not set up · 3 ms · v1.0.0 · set GENAI_PROVIDER"), english
    assert "defina GENAI_PROVIDER" in health_value(result("unconfigured"), genai, "pt-BR")
    assert health_value(result("degraded"), genai, "pt-BR") == "degradado · 3 ms · v1.0.0"
    down = result("down", why=Why("refused"))
    assert down.detail == "not answering (connection refused)", "the log's words stay English"
    assert health_value(down, genai, "pt-BR") == "fora do ar · 3 ms · v1.0.0 · não responde (conexão recusada)"


def test_one_formatter_for_numbers_signs_and_times() -> None:
    assert [number(0), number(1058), number(-1100), number(10**12)] == ["0", "1 058", "-1 100", "1 000 000 000 000"]
    assert [signed(1058), signed(-1100), signed(0)] == ["+1 058", "-1 100", "0"]
    assert [decimal(1.75, "en-US"), decimal(1.75, "pt-BR"), decimal(1234.5, "pt-BR", 1)] == ["1.75", "1,75", "1 234,5"]
    assert milliseconds(41251.2) == "41 251 ms"
    assert when("2026-11-29T12:00:00Z", "f") == when("2026-11-29T12:00:00+00:00", "f") == "<t:1795953600:f>"


def test_a_statement_names_the_other_member_and_shows_only_member_reasons() -> None:
    item = {"amount": 1058, "balance_after": 2000, "created_at": "2026-11-29T12:00:00+00:00"}
    received = statement_line(
        {**item, "kind": "transfer", "reason": "*pizza*", "counterparty": {"user_id": "42"}}, "en-US"
    )
    assert received.startswith("`+1 058` transfer from <@42> — \\*pizza\\* · balance 2 000 · <t:")
    sent = statement_line(
        {**item, "amount": -1100, "kind": "transfer", "reason": None, "counterparty": {"user_id": "42"}}, "pt-BR"
    )
    assert sent.startswith("`-1 100` transferência para <@42> · saldo 2 000")
    gone = statement_line(
        {**item, "kind": "transfer", "reason": None, "counterparty": {"user_id": None, "system": None}}, "en-US"
    )
    assert "from a former member" in gone
    daily = statement_line(
        {**item, "kind": "daily", "reason": "daily reward #1 (streak 1)", "counterparty": {"system": "mint"}}, "pt-BR"
    )
    assert daily.startswith("`+1 058` diário · saldo") and "reward" not in daily


def untranslated_texts(value: Any, path: str = "") -> list[str]:
    """Where a manifest's localized text ({en-US: ...}) has no pt-BR."""
    if isinstance(value, dict) and isinstance(value.get("en-US"), str):
        return [] if "pt-BR" in value else [path]
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    return [found for key, item in items for found in untranslated_texts(item, f"{path}.{key}")]


@pytest.mark.parametrize("manifest", sorted(REPO_PLUGINS.glob("*.toml")), ids=lambda p: p.stem)
def test_every_repository_manifest_text_has_portuguese(manifest) -> None:
    assert not untranslated_texts(load_manifest_file(manifest).model_dump())
