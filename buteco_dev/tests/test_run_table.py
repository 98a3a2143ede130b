"""A manifest's [run] table, the ports and the URLs `make run` chooses, what the bot takes from PLUGINS_ENV_FILE,
and what the scaffolder refuses: the pieces, without starting anything (test_new_service.py runs them for real)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from buteco_bot.core.loader import with_env_file
from buteco_bot.core.manifest import ManifestError, parse_manifest
from buteco_dev import REPO_ROOT
from buteco_dev.catalogue import discover
from buteco_dev.launch import ToolMissing, fill
from buteco_dev.scaffold import ScaffoldError, check, compose_text, env_example_text, verify
from buteco_dev.watch import changes

SERVICE = '[service]\nurl_env = "{upper}_API_URL"\ndefault_url = "http://{name}-api:5000"\n'


def manifest(root: Path, name: str, run: str = "", **extra: str) -> None:
    text = SERVICE.format(upper=name.upper(), name=name) + "".join(f"{k} = {v}\n" for k, v in extra.items())
    (root / "plugins" / f"{name}.toml").write_text(text + (f"[run]\n{run}\n" if run else ""))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "plugins").mkdir()
    (tmp_path / "docker-compose.yml").write_text("services: {}\n")
    return tmp_path


def test_run_says_how_any_language_runs_and_env_urls_win(root: Path) -> None:
    (root / "dice_api").mkdir()
    manifest(root, "dice", 'cwd = "dice_api"\ncommand = "node server.js"\nport_env = "LISTEN_PORT"')
    manifest(root, "far", 'cwd = "../elsewhere"\ncommand = "x"')
    manifest(root, "later", 'cwd = "later_api"\ncommand = "ruby app.rb"')
    manifest(root, "remote", 'command = "x"')
    manifest(root, "compose", 'command = "x"')
    env = {"REMOTE_API_URL": "http://192.0.2.7:9000", "COMPOSE_API_URL": "http://compose-api:5000"}
    specs = {spec.plugin_id: spec for spec in discover(root, port_base=6000, env=env)}
    dice = specs["dice"]
    assert (dice.kind, dice.source, dice.run.port_env, dice.skipped) == (
        "command",
        root / "dice_api",
        "LISTEN_PORT",
        None,
    )
    assert "cwd must be a directory inside the repository" in specs["far"].skipped
    assert specs["later"].skipped == "later_api/ (its [run] cwd) does not exist yet"
    assert specs["remote"].url == "http://192.0.2.7:9000" and "REMOTE_API_URL is set" in specs["remote"].skipped
    assert specs["compose"].external_url is None, "the compose name is the default, not a choice: started here"
    assert sorted(spec.port for spec in specs.values() if spec.port) == [6007, 6008, 6009, 6010]


def test_ports_move_with_port_base_and_each_extra_gets_its_own() -> None:
    ports = {spec.name: spec.port for spec in discover(REPO_ROOT, port_base=7000)}
    assert ports["client-api"] == 7001 and ports["joke-api"] == 7006
    assert len(set(ports.values()) - {0}) == len([p for p in ports.values() if p])


def test_placeholders_and_missing_tools(tmp_path: Path) -> None:
    argv = fill("{python} -m app --port {port} --out {bin}/x", tmp_path, port=5007, bin_dir=tmp_path / "bin")
    assert argv[1:] == ["-m", "app", "--port", "5007", "--out", f"{tmp_path}/bin/x"] and argv[0].endswith("python")
    assert fill("./run.sh 'two words'", tmp_path) == [f"{tmp_path}/run.sh", "two words"]
    with pytest.raises(ToolMissing, match="`no-such-tool-here` is not installed"):
        fill("no-such-tool-here serve", tmp_path)


def test_the_bot_takes_urls_and_credentials_from_its_env_file_but_never_its_own(tmp_path: Path) -> None:
    path = tmp_path / "bot-plugins.env"
    lines = ["DICE_API_URL=http://127.0.0.1:5007", "DICE_API_TOKEN=d", "BOT_API_TOKEN=stolen", "DISCORD_TOKEN=x"]
    path.write_text("\n".join([*lines, "DATABASE_URL=postgresql://x", "POSTGRES_PASSWORD=x", "LOG_LEVEL=DEBUG", ""]))
    env = with_env_file({"BOT_API_TOKEN": "own", "DICE_API_URL": "http://dice-api:5000"}, path)
    assert env == {"BOT_API_TOKEN": "own", "DICE_API_URL": "http://127.0.0.1:5007", "DICE_API_TOKEN": "d"}
    assert with_env_file({"A_URL": "x"}, tmp_path / "missing.env") == {"A_URL": "x"}


@pytest.mark.parametrize(("cwd", "ok"), [("dice_api", True), (".", True), ("../up", False), ("/etc", False)])
def test_the_manifest_schema_accepts_run_inside_the_repository_only(cwd: str, ok: bool) -> None:
    data = {"name": "D", "version": "1.0", "service": {"url_env": "D_URL", "default_url": "http://d:5000"}}
    data["run"] = {"command": "node server.js", "cwd": cwd, "test": "node --test"}
    if ok:
        assert parse_manifest(data, "d.toml", "d").run.cwd == cwd
    else:
        with pytest.raises(ManifestError, match="run.cwd"):
            parse_manifest(data, "d.toml", "d")


@pytest.mark.parametrize(
    ("name", "language", "command", "message"),
    [
        ("joke", "go", None, "joke is taken: plugins/joke.toml, joke_api/, joke-api in docker-compose.yml"),
        ("dice", "ruby", None, "LANG must be one of python, go, node, not 'ruby'"),
        ("Dice", "node", None, "NAME must be 2-16 lower-case letters"),
        ("dice", "node", "help", "the command /help is not allowed"),
        ("dice", "node", "joke", "/joke is plugins/joke.toml's"),
    ],
)
def test_the_scaffolder_refuses_what_is_taken_or_malformed(name, language, command, message) -> None:
    with pytest.raises(ScaffoldError, match=message.replace("(", r"\(").replace("/", r"\/")):
        check(name, language, command, REPO_ROOT)


def test_compose_and_env_example_edits_on_the_real_files() -> None:
    names = check("dice", "js", "roll", REPO_ROOT)
    compose = compose_text((REPO_ROOT / "docker-compose.yml").read_text(), names)
    env_example = env_example_text((REPO_ROOT / ".env.example").read_text(), names)
    verify(compose, env_example, names)
    services = yaml.safe_load(compose)["services"]
    before = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())["services"]
    assert {k: v for k, v in services.items() if k not in ("bot", "dice-api")} == {
        k: v for k, v in before.items() if k != "bot"
    }
    assert services["dice-api"]["build"] == "./dice_api" and set(services["dice-api"]["environment"]) == {
        "DICE_API_TOKEN"
    }
    assert services["bot"]["depends_on"]["dice-api"] == {"condition": "service_started"}
    assert "\n# The dice plugin's" in env_example and "\nDICE_API_URL=http://dice-api:5000\n" in env_example


def test_the_watcher_sees_what_appeared_changed_and_went(root: Path) -> None:
    for name in ("stays", "changes", "goes"):
        manifest(root, name, 'command = "x"')
    running = discover(root)
    manifest(root, "changes", 'command = "y"')
    (root / "plugins" / "goes.toml").unlink()
    manifest(root, "comes", 'command = "x"')
    added, changed, gone = changes(running, discover(root))
    assert ([s.plugin_id for s in added], [s.plugin_id for s in changed], gone) == (
        ["comes"],
        ["changes"],
        ["goes-api"],
    )
    _, changed, _ = changes(running, discover(root), written={"stays"})  # saved again: restarted (after a fix)
    assert sorted(s.plugin_id for s in changed) == ["changes", "stays"]
