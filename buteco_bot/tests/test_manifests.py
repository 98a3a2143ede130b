"""Manifest lint (every file in plugins/, like hassfest), discovery, and the core's pure pieces."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import discord
import pytest

from buteco_bot.core.declarative import render_template, service_language
from buteco_bot.core.discovery import ENTRY_POINT_GROUP, discover
from buteco_bot.core.embeds import (
    MAX_DESCRIPTION,
    MAX_FIELDS,
    MAX_TOTAL,
    group_embeds,
    paginate,
    split_text,
    within_limits,
)
from buteco_bot.core.health import ServiceHealth, overall
from buteco_bot.core.i18n import catalog, t
from buteco_bot.core.manifest import ManifestError, load_manifest_file
from buteco_bot.settings import BotSettings

from .conftest import REPO_PLUGINS

MANIFESTS = sorted(REPO_PLUGINS.glob("*.toml"))
SERVICE = '[service]\nurl_env = "X_URL"\ndefault_url = "http://x:5000"\n'


@pytest.mark.parametrize("path", MANIFESTS, ids=[p.stem for p in MANIFESTS])
def test_every_manifest_in_plugins_is_valid(path: Path) -> None:
    manifest = load_manifest_file(path)
    assert manifest.id == path.stem
    if manifest.command_module:
        module = importlib.import_module(manifest.command_module)
        assert callable(getattr(module, "setup", None)), f"{manifest.command_module} has no setup(bot)"
    for entry in manifest.help:
        assert set(entry.description) == {"en-US", "pt-BR"}, f"{path.name}: /{entry.command} needs both locales"


def test_the_manifests_exist() -> None:
    assert {p.stem for p in MANIFESTS} >= {"client", "balance", "coin", "genai", "joke"}


def test_each_service_is_sent_only_its_own_credential(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first-party services know the bot by BOT_API_TOKEN; joke_api (and any other plugin) only its own."""
    monkeypatch.setattr(sys, "path", [*sys.path])  # discover() appends the plugins directory
    first_party = BotSettings.model_fields["first_party_plugins"].default
    assert first_party == {"balance", "bet", "client", "coin", "genai"}
    tokens = {p.stem: load_manifest_file(p).service.token_env for p in MANIFESTS}
    others = {plugin_id: token for plugin_id, token in tokens.items() if plugin_id not in first_party}
    assert tokens == {**dict.fromkeys(first_party, "BOT_API_TOKEN"), **others} and others["joke"] == "JOKE_API_TOKEN"
    assert all(token and token != "BOT_API_TOKEN" for token in others.values()), others
    assert len(set(others.values())) == len(others), f"each plugin its own credential: {others}"
    env = {"BOT_API_TOKEN": "b" * 16, **{token: token.lower() * 2 for token in others.values()}}
    assert {p.state for p in discover(REPO_PLUGINS, env, first_party).values()} == {"loaded"}


def test_the_bots_own_credential_is_long_and_first_party_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "d")
    monkeypatch.setenv("BOT_API_TOKEN", "too-short")
    with pytest.raises(ValueError, match="at least 16 characters") as refused:
        BotSettings()  # type: ignore[call-arg]
    assert "too-short" not in str(refused.value)
    monkeypatch.setenv("BOT_API_TOKEN", "b" * 16)
    monkeypatch.setenv("FIRST_PARTY_PLUGINS", "balance, client")
    assert BotSettings().first_party_plugins == {"balance", "client"}  # type: ignore[call-arg]


def test_joke_is_declarative_and_offers_the_services_categories() -> None:
    """joke_api joins by its manifest alone; its choices are exactly the categories the Go service knows."""
    manifest = load_manifest_file(REPO_PLUGINS / "joke.toml")
    data = json.loads((REPO_PLUGINS.parent / "joke_api" / "data" / "jokes.json").read_text(encoding="utf-8"))
    (command,) = manifest.commands
    assert manifest.command_module is None and command.path == "/joke?lang={lang}"
    (category,) = command.options
    assert {c.value for c in category.choices} == set(data["categories"])
    for choice in category.choices:
        labels = data["categories"][choice.value]
        assert (choice.name["en-US"], choice.name["pt-BR"]) == (labels["en"], labels["pt-BR"])
    assert {service_language(manifest.service.languages, loc) for loc in ("pt-BR", "en-US", "en-GB", "es-ES")} == {
        "pt-BR",
        "en",
    }


def test_optional_plugins_never_take_the_bot_down() -> None:
    for plugin_id in ("genai", "joke"):
        assert load_manifest_file(REPO_PLUGINS / f"{plugin_id}.toml").health.critical is False


def test_service_languages(tmp_path: Path) -> None:
    assert service_language({}, discord.Locale.brazil_portuguese) == "pt-BR"
    assert service_language({}, "fr") == "en-US"
    assert service_language({"en-US": "en"}, discord.Locale.american_english) == "en"
    path = tmp_path / "lang.toml"
    path.write_text(
        'name = "L"\nversion = "1.0"\n[service]\nurl_env = "X_URL"\ndefault_url = "http://x:5000"\n'
        'languages = { es-ES = "es" }\n'
    )
    with pytest.raises(ManifestError, match=r"service\.languages.*es-ES"):
        load_manifest_file(path)


def test_errors_name_the_file_and_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('name = "Bad"\nversion = "one"\n' + SERVICE + "[health]\ntimeout = -1\n")
    with pytest.raises(ManifestError) as caught:
        load_manifest_file(path)
    message = str(caught.value)
    assert str(path) in message and "version" in message and "health.timeout" in message
    path.write_text("name = [unclosed")
    with pytest.raises(ManifestError, match="bad.toml"):
        load_manifest_file(path)
    path.write_text('id = "other"\nname = "x"\nversion = "1.0"\n' + SERVICE)
    with pytest.raises(ManifestError, match="must equal the file name"):
        load_manifest_file(path)


def test_declarative_command_validation(tmp_path: Path) -> None:
    path = tmp_path / "j.toml"
    path.write_text(
        'name = "J"\nversion = "1.0"\n' + SERVICE + '[[commands]]\nname = "j"\ndescription = "d"\n'
        'path = "/x/{nope}"\nresponse = "{a}"\n'
    )
    with pytest.raises(ManifestError, match=r"commands\.0.*unknown placeholder"):
        load_manifest_file(path)


def test_states_disabled_and_needs_config(tmp_path: Path) -> None:
    (tmp_path / "off.toml").write_text('name = "Off"\nversion = "1.0"\nenabled = false\n' + SERVICE)
    (tmp_path / "key.toml").write_text('name = "Key"\nversion = "1.0"\nrequired_env = ["KEY"]\n' + SERVICE)
    found = discover(tmp_path, {})
    assert (found["off"].state, found["key"].state) == ("disabled", "needs-config")
    configured = discover(tmp_path, {"KEY": "s3cret", "X_URL": "http://elsewhere:1"})
    assert configured["key"].state == "loaded" and configured["key"].url == "http://elsewhere:1"


def test_entry_point_plugins_are_discovered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real (tiny) installed distribution on sys.path; importlib.metadata finds its entry point."""
    dist = tmp_path / "buteco_hello-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: buteco-hello\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\nhello = buteco_hello_plugin:manifest\noops = buteco_hello_plugin:missing\n"
    )
    (tmp_path / "buteco_hello_plugin.py").write_text(
        "def manifest():\n    return {'name': 'Hello', 'version': '1.2.3', 'service': "
        "{'url_env': 'HELLO_URL', 'default_url': 'http://hello:5000'}}\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        found = discover(None, {})
    finally:
        sys.modules.pop("buteco_hello_plugin", None)
    assert found["hello"].state == "loaded" and found["hello"].manifest.version == "1.2.3"
    assert found["oops"].state == "failed" and "AttributeError" in found["oops"].reason


def test_templates_never_reach_attributes_or_format_specs() -> None:
    data = {"a": {"b": [10, {"c": "deep"}]}, "n": None, "ok": True}
    assert render_template("{a.b.1.c} {a.b.0} {n}|{ok} {{x}}", data) == "deep 10 |yes {x}"
    assert render_template("{a.__class__} {a!r} {a:>30} {0} {a.b.9}", data) == " {a!r} {a:>30} {0} "
    assert render_template("{a.b}", data) == '\\[10, {"c": "deep"}\\]'  # values are escaped: no masked links


def test_pagination_respects_discord_limits() -> None:
    fields = [(f"field {i}", "x" * 1000) for i in range(40)]
    pages = paginate("title", fields, description="d" * 100)
    assert sum(len(p.fields) for p in pages) == 40 and len(pages) >= 7
    assert all(within_limits(p) and len(p.fields) <= MAX_FIELDS and len(p) <= MAX_TOTAL for p in pages)
    small = paginate("t", [(str(i), "v") for i in range(60)])
    assert [len(p.fields) for p in small] == [25, 25, 10] and small[0].footer.text == "1/3"


def test_split_text_cuts_at_paragraphs_then_lines_then_words() -> None:
    paragraphs = "\n\n".join(f"paragraph {n} " + "word " * 150 for n in range(12))
    chunks = split_text(paragraphs)
    assert len(chunks) == 3 and all(len(c) <= MAX_DESCRIPTION for c in chunks)
    assert all(c.startswith("paragraph ") for c in chunks), "every chunk starts at a paragraph"
    assert "".join("".join(chunks).split()) == "".join(paragraphs.split())
    lines = "\n".join(f"line {n} " + "x" * 50 for n in range(10))
    assert all(c.startswith("line ") for c in split_text(lines, 200))
    assert split_text("y" * 250, 100) == ["y" * 96, "y" * 96, "y" * 58]
    assert split_text("  short  ") == ["short"] and split_text("") == []


def test_split_text_closes_and_reopens_code_blocks() -> None:
    code = "Intro\n```python\n" + "\n".join(f"print({n})" for n in range(40)) + "\n```\nOutro"
    chunks = split_text(code, 120)
    assert all(len(c) <= 120 and c.count("```") % 2 == 0 for c in chunks)
    assert all(c.startswith("```python") for c in chunks[1:-1])


def test_group_embeds_respects_the_message_limits() -> None:
    pages = [discord.Embed(description="d" * n) for n in (4000, 4000, 1000, 900, 101)]
    assert [len(g) for g in group_embeds(pages)] == [1, 3, 1]
    assert all(sum(map(len, g)) <= MAX_TOTAL for g in group_embeds(pages))
    assert [len(g) for g in group_embeds([discord.Embed(description="x")] * 12)] == [10, 2]


def test_overall_health() -> None:
    def result(status: str, critical: bool) -> ServiceHealth:
        return ServiceHealth("p", critical, status, 1.0)  # type: ignore[arg-type]

    assert overall([result("up", True), result("up", False)]) == "UP"
    assert overall([result("up", True), result("down", False)]) == "DEGRADED"
    assert overall([result("degraded", True)]) == "DEGRADED"
    assert overall([result("down", True), result("up", False)]) == "DOWN"


def test_catalogs_have_the_same_replies() -> None:
    def keys(table: dict, prefix: str = "") -> set[str]:
        return {
            k
            for key, value in table.items()
            for k in (keys(value, f"{prefix}{key}.") if isinstance(value, dict) else {prefix + key})
        }

    assert keys(catalog("en-US")["replies"]) == keys(catalog("pt-BR")["replies"])
    assert t(discord.Locale.brazil_portuguese, "balance.own", balance=5) == "Seu saldo: **5** moedas."
    assert t(discord.Locale.british_english, "balance.own", balance=5) == "Your balance: **5** coins."
