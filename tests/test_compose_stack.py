"""(d) of tests/test_run_config.py: with a Docker engine, compose parses the file, and `docker compose up --build`
then `docker compose ps -a` show what the README says: postgres healthy, the migrator exited 0, every API healthy,
and the bot up (never restarting) with its healthcheck saying why it is not connected to Discord. Everything the
test starts goes down with its volumes, networks and images (the build cache stays, so a rerun builds quickly)."""

from __future__ import annotations

import importlib.util
import json
import secrets
import shutil
import subprocess
import time
from pathlib import Path
from types import ModuleType

import pytest

from buteco_dev import REPO_ROOT
from buteco_dev.catalogue import COMPOSE_FILE, api_services, compose, source_pending

APIS = [name for name, service in api_services(compose()).items() if source_pending(service) is None]
# The bot's Discord in the stack test is port 9 of its own container, where nothing listens: the unreachable-Discord
# case, and no test sends anything to the real Discord.
NO_DISCORD = "DISCORD_API_BASE=http://127.0.0.1:9/api/v10\nDISCORD_GATEWAY_URL=ws://127.0.0.1:9/\n"
SETTLE_S = 180  # after `up` returns: the optional APIs' healthchecks, the bot's first probe (10 s)


def _compose_cli() -> list[str] | None:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], check=False, capture_output=True).returncode == 0:
        return [docker, "compose"]
    return None


def _engine_answers() -> bool:
    docker = shutil.which("docker")
    try:
        done = subprocess.run([docker, "info"], check=False, capture_output=True, timeout=5) if docker else None
        return done is not None and done.returncode == 0
    except subprocess.TimeoutExpired:
        return False


def _docker(*args: str, timeout: float = 60) -> str:
    return subprocess.run(["docker", *args], check=True, capture_output=True, text=True, timeout=timeout).stdout


@pytest.fixture
def env_file(tmp_path) -> Path:
    """What `make env` writes, plus the one value it cannot invent."""
    path = tmp_path / "test.env"
    subprocess.run([str(REPO_ROOT / "scripts" / "new-env"), "--output", str(path)], check=True, capture_output=True)
    path.write_text(path.read_text().replace("\nDISCORD_TOKEN=\n", "\nDISCORD_TOKEN=not-a-real-token\n"))
    return path


def healthcheck_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bot_healthcheck", REPO_ROOT / "docker" / "bot_healthcheck.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_bot_healthcheck_says_ready_only_while_the_bot_does(tmp_path, monkeypatch, capsys) -> None:
    check = healthcheck_module()
    assert check.verdict("ready: connected to Discord (discord.com) as Buteco#1", 3) == (
        0,
        "ready: connected to Discord (discord.com) as Buteco#1",
    )
    refused = "down: Discord (discord.com) refused DISCORD_TOKEN (HTTP 401): check DISCORD_TOKEN in .env"
    assert check.verdict(refused, 3) == (1, refused)
    code, said = check.verdict("ready: connected", 125)
    assert code == 1 and said.startswith("stuck: the bot has not updated its status for 125 s")
    monkeypatch.setenv("BOT_STATUS_FILE", str(tmp_path / "status"))
    assert check.main() == 1 and "has not reported its state yet" in capsys.readouterr().out
    (tmp_path / "status").write_text("ready: connected\n")
    assert check.main() == 0 and capsys.readouterr().out == "ready: connected\n"


def test_docker_compose_config_accepts_the_file(env_file):
    cli = _compose_cli()
    if cli is None:
        pytest.skip("no `docker compose` plugin on this machine (the schema test covers the file)")
    done = subprocess.run(
        [*cli, "-f", str(COMPOSE_FILE), "--env-file", str(env_file), "config", "--quiet"],
        check=False,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    assert done.returncode == 0, done.stderr


def _states(stack) -> dict[str, dict]:
    """`docker compose ps -a --format json`: one object per container, by service."""
    out = stack("ps", "--all", "--format", "json").stdout
    return {row["Service"]: row for row in map(json.loads, filter(None, out.splitlines()))}


def _settled(states: dict[str, dict], bot: dict | None) -> bool:
    apis = all(states.get(name, {}).get("Health") == "healthy" for name in APIS)
    probes = (((bot or {}).get("State") or {}).get("Health") or {}).get("Log") or []
    return apis and any("Discord" in probe["Output"] for probe in probes)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_stack_comes_up_as_the_readme_says(env_file):
    if not _engine_answers() or (cli := _compose_cli()) is None:
        pytest.skip("no Docker engine answers here (docker info fails) or no compose plugin: skipped")
    env_file.write_text(env_file.read_text() + NO_DISCORD)
    project = f"buteco-test-{secrets.token_hex(3)}"  # never the real stack

    def stack(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        command = [*cli, "-p", project, "-f", str(COMPOSE_FILE), "--env-file", str(env_file), *args]
        return subprocess.run(command, check=False, capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT)

    try:
        up = stack("up", "--build", "--detach", timeout=600)  # what the README runs
        assert up.returncode == 0, up.stderr[-4000:]
        deadline, bot = time.monotonic() + SETTLE_S, None
        while True:
            states = _states(stack)
            bot = json.loads(_docker("inspect", states["bot"]["ID"]))[0]
            if _settled(states, bot) or time.monotonic() > deadline:
                break
            time.sleep(2)
        bot_log = stack("logs", "--no-color", "bot").stdout
    finally:  # the whole project: every container, the volume, the networks and the images built
        down = stack("down", "--volumes", "--remove-orphans", "--rmi", "local", timeout=300)
    assert down.returncode == 0, down.stderr
    label = f"label=com.docker.compose.project={project}"
    left = {kind: _docker(kind, "ls", "--all", "--quiet", "--filter", label) for kind in ("container", "image")}
    left |= {kind: _docker(kind, "ls", "--quiet", "--filter", label) for kind in ("volume", "network")}
    assert not any(left.values()), f"`down` left these behind: {left}"

    assert (states["postgres"]["State"], states["postgres"]["Health"]) == ("running", "healthy")
    migrator = states["db-migration-service"]
    assert (migrator["State"], migrator["ExitCode"]) == ("exited", 0), migrator["Status"]
    for name in APIS:
        assert (states[name]["State"], states[name]["Health"]) == ("running", "healthy"), states[name]["Status"]
    assert bot["State"]["Status"] == "running" and bot["RestartCount"] == 0, "no crash loop"
    assert bot["State"]["Health"]["Status"] in ("starting", "unhealthy"), bot["State"]["Health"]
    said = [probe["Output"].strip() for probe in bot["State"]["Health"]["Log"]]
    why = "down: cannot reach Discord (127.0.0.1:9): not answering (connection refused)"
    assert any(line.startswith(why) for line in said), said
    assert "cannot reach Discord (127.0.0.1:9)" in bot_log and "Traceback" not in bot_log, bot_log[-3000:]
    assert "\x1b[" not in bot_log, "no colour codes in the container's log"
