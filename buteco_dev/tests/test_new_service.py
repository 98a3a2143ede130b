"""`make new-service` in Python, Go and Node.js, each into a copy of this repository, with no edit afterwards.

A Python and a Go service are scaffolded before `python -m buteco_dev run` (what `make run` calls) starts in the
copy; the Node.js one is scaffolded while it runs, with scripts/new-service (and its manifest removed again). Each
must then start under the runner, answer its command through the bot, show in /help and /health, pass the
repository's consistency tests and its own test in its language, and leave no process behind.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from buteco_dev.postgres import find_bin_dir
from buteco_dev.scaffold import scaffold
from buteco_dev.toolchains import go_toolchain

from .repo_copy import copy_repository
from .test_make_run import assert_nothing_left, reply_to

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(find_bin_dir() is None, reason="no PostgreSQL server binaries (make install)"),
    pytest.mark.skipif(go_toolchain() is None or shutil.which("node") is None, reason="needs Go and Node.js"),
]
SERVICES = {"tarot": ("python", "tarot"), "weather": ("go", "weather"), "dice": ("node", "roll")}


@pytest.fixture(scope="module")
def repo() -> Iterator[Path]:
    """A copy of the working tree with the Python and the Go service already scaffolded."""
    root = Path(tempfile.mkdtemp(prefix="buteco-scaffold-"))
    try:
        copy_repository(root)
        for name in ("tarot", "weather"):
            scaffold(name, SERVICES[name][0], command=SERVICES[name][1], root=root)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


class Session:
    """The runner's console on pipes: lines go in one at a time, its output is read as it comes."""

    def __init__(self, root: Path, data_dir: Path) -> None:
        env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}  # never real Discord from a test
        command = [sys.executable, "-m", "buteco_dev", "run", "--data-dir", str(data_dir), "--env-file", ""]
        self.proc = subprocess.Popen(
            [*command, "--free-ports"],
            cwd=root,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output = ""
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.output += line

    def wait_for(self, pattern: str, timeout: float) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if found := re.search(pattern, self.output):
                return found
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"no {pattern!r} after {timeout:.0f} s:\n{self.output}")

    def send(self, *lines: str) -> None:
        self.proc.stdin.write("".join(f"{line}\n" for line in lines))
        self.proc.stdin.flush()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(timeout=60)


def test_a_node_service_added_while_make_run_runs_answers_at_once(repo: Path) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="buteco-run-"))
    data_dir.chmod(0o755)  # PostgreSQL runs as its own user, who must reach it
    session = Session(repo, data_dir)
    try:
        session.wait_for(r"connected to the local Discord emulator", timeout=120)
        for name in ("tarot-api", "weather-api"):
            assert re.search(rf"{name} +http://127\.0\.0\.1:\d+ +ok", session.output), session.output
        added = subprocess.run(
            [str(repo / "scripts" / "new-service"), "dice", "node", "--command", "roll"],
            env={**os.environ, "PYTHON": sys.executable},  # the copy has no virtualenv of its own
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert added.returncode == 0, added.stdout + added.stderr
        started = time.monotonic()
        session.wait_for(r"dice-api +http://127\.0\.0\.1:\d+ +ok", timeout=20)
        session.wait_for(r"plugins reloaded\n +new /roll\n +dice 0\.1\.0 — loaded", timeout=20)
        assert time.monotonic() - started < 15, "a live add takes seconds"
        session.send("/roll max:20", "/tarot", "/weather 3", "/help", "/health")
        session.wait_for(r"Weather \(optional\)", timeout=60)
        manifest = repo / "plugins" / "dice.toml"
        kept = manifest.read_text()
        manifest.unlink()  # and gone again: the service stops, the command goes
        session.wait_for(r"dice-api +stopped: plugins/dice\.toml is gone\n.*plugins reloaded\n +gone /roll", 20)
        session.send("/roll", "/quit")
        assert session.proc.wait(timeout=90) == 0, session.output
        manifest.write_text(kept)  # for the next test
    finally:
        session.close()
        shutil.rmtree(data_dir, ignore_errors=True)
    output = session.output
    assert re.fullmatch(r"\[Buteco\]\n🎲 (\d+) \(1–20\)", reply_to(output, "/roll max:20")), output
    assert re.fullmatch(r"\[Buteco\]\n🎲 \d \(1–6\)", reply_to(output, "/tarot")), output
    assert re.fullmatch(r"\[Buteco\]\n🎲 [123] \(1–3\)", reply_to(output, "/weather 3")), output
    help_text = reply_to(output, "/help")
    assert all(f"/{command} [max]" in help_text for command in ("roll", "tarot", "weather")), help_text
    health = reply_to(output, "/health")
    for title in ("Dice", "Tarot", "Weather"):
        assert re.search(rf"🟢 {title} \(optional\): up · \d+ ms · v0\.1\.0", health), health
    assert "/roll is not a command here" in output.split("gone /roll")[1], output
    assert "Stopped: no process left behind." in output
    assert_nothing_left(data_dir, [])


def test_each_scaffolded_service_passes_the_repositorys_tests(repo: Path) -> None:
    if not (repo / "dice_api").exists():  # the test above adds it while the stack runs
        scaffold("dice", "node", command="roll", root=repo)
    python = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    checks = {
        "consistency": [
            *python,
            "tests/test_run_config.py",
            "tests/test_compose_env.py",
            "buteco_bot/tests/test_manifests.py",
            "tests/test_compose_stack.py",  # its `docker compose config` where a compose CLI exists
            "-k",
            "not stack_comes_up",
        ],
        "python": [*python, "tarot_api"],
        "go and node": [sys.executable, "-m", "buteco_dev", "service-tests"],  # [run] test of each manifest
        "lint": [sys.executable, "-m", "ruff", "check", "tarot_api"],
        "format": [sys.executable, "-m", "ruff", "format", "--check", "tarot_api"],
    }
    outputs = {}
    for what, argv in checks.items():
        done = subprocess.run(argv, cwd=repo, capture_output=True, text=True, timeout=180, check=False)
        outputs[what] = done.stdout + done.stderr
        assert done.returncode == 0, f"{what}: {' '.join(argv[2:])}:\n{outputs[what][-5000:]}"
    assert "weather: go test ./..." in outputs["go and node"], outputs["go and node"]
    assert "dice: node --test tests/" in outputs["go and node"] and "# pass 3" in outputs["go and node"]
