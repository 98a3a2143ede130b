"""Hostile manifests: every file, variable, URL, module or Discord limit a plugin author can get wrong (or abuse)
becomes that plugin's own failure, naming the file and the field, and never a hang, a crash or a leaked secret."""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from buteco_bot.core.boundary import dot_segments, url_problem
from buteco_bot.core.clients import ServiceClient, ServiceUnavailable
from buteco_bot.core.declarative import fill_path
from buteco_bot.core.discovery import discover
from buteco_bot.core.errors import UserFacingError
from buteco_bot.core.manifest import ManifestError, load_manifest_file
from buteco_bot.core.manifest_file import MAX_BYTES, nesting_depth
from buteco_dev.processes import free_port

GOOD = 'name = "Good"\nversion = "1.0"\n[service]\nurl_env = "GOOD_URL"\ndefault_url = "http://good:5000"\n'
SECRET = "s3cret-value-that-must-not-leak"


def manifest(
    name: str, *, url_env: str | None = None, extra_service: str = "", rest: str = "", url: str = "http://x:5000"
) -> str:
    """A valid manifest for plugin `name`, with one thing changed by the caller."""
    return (
        f'name = "{name}"\nversion = "1.0"\n{rest}[service]\nurl_env = "{url_env or name.upper() + "_URL"}"\n'
        f'default_url = "{url}"\n{extra_service}'
    )


def command(option: str, path: str = "/x") -> str:
    return (
        f'[[commands]]\nname = "c"\ndescription = "d"\npath = "{path}"\nresponse = "r"\n'
        f"[[commands.options]]\n{option}\n"
    )


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A plugins directory with one good manifest; sys.path is restored afterwards (discover appends to it)."""
    monkeypatch.setattr(sys, "path", [*sys.path])
    (tmp_path / "good.toml").write_text(GOOD)
    return tmp_path


def failures(found: dict) -> dict[str, str]:
    """The failed plugins' reasons, after checking the good one still loaded."""
    assert found["good"].state == "loaded", found["good"].reason
    return {pid: p.reason for pid, p in found.items() if p.state == "failed"}


def test_hostile_files_fail_alone_and_fast(plugins: Path) -> None:
    (plugins / "bomb.toml").write_text("junk = " + "[" * 600 + "]" * 600)
    os.mkfifo(plugins / "x.toml")
    (plugins / "zero.toml").symlink_to("/dev/zero")
    (plugins / "dir.toml").mkdir()
    with open(plugins / "big.toml", "wb") as big:
        big.truncate(60 * 1024 * 1024)
    (plugins / "over.toml").write_text(GOOD + "#" * MAX_BYTES)
    (plugins / "latin.toml").write_bytes(b'name = "caf\xe9"\n')
    (plugins / "nul.toml").write_text("name = \x00")
    (plugins / "elsewhere").mkdir()
    (plugins / "elsewhere" / "target.toml").write_text(manifest("link"))
    (plugins / "link.toml").symlink_to(plugins / "elsewhere" / "target.toml")
    started = time.perf_counter()
    found = discover(plugins, {})
    assert time.perf_counter() - started < 2
    failed = failures(found)
    assert set(failed) == {"bomb", "x", "zero", "dir", "big", "over", "latin", "nul"}
    assert found["link"].state == "loaded", "a symlink to a regular file is fine"
    for plugin_id, reason in failed.items():
        assert reason.startswith(f"{plugins / plugin_id}.toml: (file): "), reason
    assert "nested more than 32" in failed["bomb"] and "FIFO" in failed["x"] and "device" in failed["zero"]
    assert "directory" in failed["dir"] and "KiB limit" in failed["big"] and "KiB limit" in failed["over"]
    assert "UTF-8" in failed["latin"] and "invalid TOML" in failed["nul"]


def test_brackets_inside_strings_and_comments_do_not_count_as_nesting(plugins: Path) -> None:
    text = GOOD + "# " + "[" * 40 + '\n[health]\npath = "/' + "[" * 40 + '"\n'
    assert nesting_depth(text) == 1
    (plugins / "brackets.toml").write_text(text)
    assert load_manifest_file(plugins / "brackets.toml").health.path == "/" + "[" * 40
    assert nesting_depth("a = [[1], {b = [2]}]\n[[t]]\n") == 3


@pytest.mark.parametrize(
    ("field", "line", "message"),
    [
        ("url_env", 'url_env = "BOT_API_TOKEN"', "BOT_API_TOKEN is a variable the bot uses for itself"),
        ("url_env", 'url_env = "DISCORD_TOKEN"', "DISCORD_TOKEN is a variable the bot uses for itself"),
        ("url_env", 'url_env = "DATABASE_URL"', "DATABASE_URL is a variable the bot uses for itself"),
        ("url_env", 'url_env = "POSTGRES_URL"', "POSTGRES_URL is a variable the bot uses for itself"),
        ("url_env", 'url_env = "DISCORD_GATEWAY_URL"', "the bot uses for itself"),
        ("url_env", 'url_env = "JOKE_API_HOST"', "must end in _URL"),
        ("token_env", 'token_env = "DISCORD_TOKEN"', "the bot uses for itself"),
        ("token_env", 'token_env = "COIN_API_TOKEN"', "the bot uses for itself"),
        ("token_env", 'token_env = "BET_API_TOKEN"', "the bot uses for itself"),
        ("token_env", 'token_env = "JOKE_API_KEY"', "must end in _TOKEN"),
    ],
)
def test_variables_the_bot_uses_for_itself_are_refused(plugins: Path, field: str, line: str, message: str) -> None:
    path = plugins / "evil.toml"
    path.write_text(
        f'name = "E"\nversion = "1.0"\n[service]\ndefault_url = "http://x:1"\n{line}\n'
        + ('url_env = "EVIL_URL"\n' if field == "token_env" else "")
    )
    failed = failures(discover(plugins, {"BOT_API_TOKEN": SECRET, "DISCORD_TOKEN": SECRET}))
    assert f"{path}: service.{field}: " in failed["evil"] and message in failed["evil"]
    assert SECRET not in failed["evil"]


def test_only_first_party_plugins_receive_the_bots_credential(plugins: Path) -> None:
    own = manifest("bank", extra_service='token_env = "BOT_API_TOKEN"\n')
    (plugins / "bank.toml").write_text(own)
    (plugins / "evil.toml").write_text(own.replace("BANK_URL", "EVIL_URL"))
    found = discover(plugins, {"BOT_API_TOKEN": SECRET}, first_party={"bank", "good"})
    assert found["bank"].state == "loaded"
    evil = found["evil"]
    assert (
        evil.state == "failed"
        and f"{plugins / 'evil.toml'}: service.token_env: BOT_API_TOKEN is the bot's" in evil.reason
    )
    assert discover(plugins, {"BOT_API_TOKEN": SECRET})["bank"].state == "failed", "first party is the setting's say"


def test_a_variable_claimed_by_two_plugins_refuses_both(plugins: Path) -> None:
    (plugins / "joke.toml").write_text(manifest("joke", extra_service='token_env = "JOKE_API_TOKEN"\n'))
    (plugins / "thief.toml").write_text(manifest("thief", extra_service='token_env = "JOKE_API_TOKEN"\n'))
    (plugins / "copycat.toml").write_text(manifest("copycat", url_env="GOOD_URL"))
    found = discover(plugins, {"JOKE_API_TOKEN": "j" * 16})
    reasons = {pid: p.reason for pid, p in found.items() if p.state == "failed"}
    assert set(reasons) == {"joke", "thief", "good", "copycat"}
    assert (
        reasons["joke"] == f"{plugins / 'joke.toml'}: service.token_env: JOKE_API_TOKEN is also claimed by "
        f"{plugins / 'thief.toml'}"
    )
    assert f"service.url_env: GOOD_URL is also claimed by {plugins / 'copycat.toml'}" in reasons["good"]
    (plugins / "thief.toml").unlink()
    assert discover(plugins, {"JOKE_API_TOKEN": "j" * 16})["joke"].state == "loaded"


def test_a_missing_or_short_credential_needs_config(plugins: Path) -> None:
    (plugins / "joke.toml").write_text(manifest("joke", extra_service='token_env = "JOKE_API_TOKEN"\n'))
    for env in ({}, {"JOKE_API_TOKEN": "short"}):
        plugin = discover(plugins, env)["joke"]
        assert plugin.state == "needs-config" and "service.token_env: JOKE_API_TOKEN" in plugin.reason
        assert "short" not in plugin.reason.replace("shorter", "")
    assert discover(plugins, {"JOKE_API_TOKEN": "j" * 16})["joke"].state == "loaded"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://user:pw@good:5000", "user name or password"),
        ("http://token@good:5000", "user name or password"),
        ("http://169.254.169.254/latest", "link-local"),
        ("http://[fe80::1]:5000", "link-local"),
        ("http://[::ffff:169.254.169.254]/", "link-local"),
        ("http://2852039166/", "link-local"),
        ("http://0xa9fea9fe/", "link-local"),
        ("http://good:notaport", "not a valid URL"),
        ("http://:5000/x", "no host"),
        ("ftp://good/", "http:// or https://"),
    ],
)
def test_unsafe_default_urls_are_refused(plugins: Path, url: str, problem: str) -> None:
    assert problem in (url_problem(url) or "")
    (plugins / "evil.toml").write_text(manifest("evil", url=url))
    with pytest.raises(ManifestError, match=rf"evil\.toml: service\.default_url: .*{problem}"):
        load_manifest_file(plugins / "evil.toml")
    assert url_problem("https://joke-api:5000/v1") is None and url_problem("http://127.0.0.1:8080") is None


def test_an_unsafe_url_from_the_environment_is_refused_without_quoting_it(plugins: Path) -> None:
    plugin = discover(plugins, {"GOOD_URL": f"http://{SECRET}@good:5000"})["good"]
    assert plugin.state == "failed" and plugin.url is None
    assert "service.url_env: the value of GOOD_URL cannot be used" in plugin.reason and SECRET not in plugin.reason


@pytest.mark.parametrize(
    ("module", "allowed"),
    [
        ("this", False),
        ("os", False),
        ("json", False),
        ("buteco_bot.extensions.core_commands", False),
        ("buteco_bot.tests.conftest", False),
        ("buteco_bot.extensions.daily", True),
        ("weather_cmds", True),
    ],
)
def test_command_modules_come_from_the_bot_or_the_plugins_directory(plugins: Path, module: str, allowed: bool) -> None:
    (plugins / "weather_cmds.py").write_text("async def setup(bot):\n    pass\n")
    (plugins / "json.py").write_text("raise SystemExit('a plugins file must never shadow the standard library')\n")
    (plugins / "mod.toml").write_text(manifest("mod", rest=f'command_module = "{module}"\n'))
    was_imported = "this" in sys.modules
    plugin = discover(plugins, {})["mod"]
    assert (plugin.state == "loaded") is allowed, plugin.reason
    if not allowed:
        assert plugin.reason.startswith(f"{plugins / 'mod.toml'}: command_module: {module} ")
    assert ("this" in sys.modules) is was_imported, "checked before any import"


@pytest.mark.parametrize(
    ("option", "field"),
    [
        (
            'name = "o"\ntype = "string"\ndescription = "d"\nchoices = [{ name = "n", value = "' + "v" * 101 + '" }]',
            "choices.0.value",
        ),
        (
            'name = "o"\ntype = "string"\ndescription = "d"\nchoices = [{ name = "' + "n" * 101 + '", value = "v" }]',
            "choices.0.name",
        ),
        (
            f'name = "o"\ntype = "integer"\ndescription = "d"\nchoices = [{{ name = "n", value = {2**53 + 1} }}]',
            "choices.0.value",
        ),
        (f'name = "o"\ntype = "integer"\ndescription = "d"\nmin_value = {-(2**53) - 1}', "min_value"),
        ('name = "o"\ntype = "integer"\ndescription = "d"\nmin_value = 5\nmax_value = 1', "min_value must not"),
        ('name = "Loud"\ntype = "string"\ndescription = "d"', "name"),
        ('name = "o"\ntype = "string"\ndescription = "' + "d" * 101 + '"', "description"),
    ],
)
def test_what_discord_would_refuse_at_sync_is_refused_here(plugins: Path, option: str, field: str) -> None:
    (plugins / "c.toml").write_text(manifest("c") + command(option))
    with pytest.raises(ManifestError, match=rf"c\.toml: commands\.0\..*{field}"):
        load_manifest_file(plugins / "c.toml")


def test_discords_limits_themselves_are_accepted_and_the_total_is_checked(plugins: Path) -> None:
    edge = (
        f'name = "o"\ntype = "integer"\ndescription = "{"d" * 100}"\nmin_value = {-(2**53)}\n'
        f'choices = [{{ name = "{"n" * 100}", value = {2**53} }}]'
    )
    (plugins / "c.toml").write_text(manifest("c") + command(edge))
    assert load_manifest_file(plugins / "c.toml").commands[0].options[0].choices[0].value == 2**53
    choices = ", ".join(f'{{ name = "{"n" * 90}{i:02}", value = "{"v" * 90}{i:02}" }}' for i in range(25))
    (plugins / "c.toml").write_text(
        manifest("c") + command(f'name = "o"\ntype = "string"\ndescription = "d"\nchoices = [{choices}]')
    )
    with pytest.raises(ManifestError, match=r"commands\.0: .*add up to 4\d\d\d characters"):
        load_manifest_file(plugins / "c.toml")


def test_paths_never_leave_the_services_base_path(plugins: Path) -> None:
    (plugins / "c.toml").write_text(
        manifest("c") + command('name = "o"\ntype = "string"\ndescription = "d"', path="/users/../admin")
    )
    with pytest.raises(ManifestError, match=r"commands\.0: .*\. or \.\. segments"):
        load_manifest_file(plugins / "c.toml")
    for value in ("..", ".", "%2e%2e", "%2E.", "%252e%252e", "%25252E%25252e"):
        with pytest.raises(UserFacingError) as refused:
            fill_path("/users/{who}/profile", {"who": value})
        assert refused.value.key == "errors.unsafe_path"
    assert fill_path("/users/{who}/profile?x={who}", {"who": "a..b/c"}) == "/users/a..b%2Fc/profile?x=a..b%2Fc"
    assert not dot_segments("/x?path=../..") and dot_segments("/a/./b")


async def test_a_retry_logs_the_plugin_and_path_never_the_url_or_a_token(caplog: pytest.LogCaptureFixture) -> None:
    async with aiohttp.ClientSession() as session:
        client = ServiceClient(session, "joke", f"http://127.0.0.1:{free_port()}", SECRET, timeout=2)
        with caplog.at_level(logging.INFO, logger="buteco_bot.core.clients"), pytest.raises(ServiceUnavailable):
            await client.get("/jokes/1", token=SECRET)
    retries = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert retries and all(line.startswith("retrying plugin joke: GET /jokes/1 after ") for line in retries)
    assert not any(SECRET in line or "127.0.0.1" in line for line in retries)
    assert SECRET not in repr(client)
