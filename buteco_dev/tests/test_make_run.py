"""`python -m buteco_dev run` (what `make run` calls) as a person would use it: a console session through a pipe.

Two runs on one data directory: the first registers, claims /daily, transfers, opens a bet and backs it through
the buttons and the stake form, reads the balance and /health;
the second finds the same balance (the database survived), makes the usual mistakes and ends at end of input.
After each, no process the run started is left.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from buteco_dev import REPO_ROOT
from buteco_dev.catalogue import go_toolchain
from buteco_dev.postgres import find_bin_dir

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(find_bin_dir() is None, reason="no PostgreSQL server binaries (make install)"),
]


@pytest.fixture
def data_dir():
    """Outside pytest's tmp dir: PostgreSQL runs as the postgres user, who must be able to reach it."""
    path = Path(tempfile.mkdtemp(prefix="buteco-run-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def session(data_dir: Path, *lines: str) -> tuple[str, list[dict]]:
    """Run the console with these lines on stdin; return its output and the pids it started."""
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}  # never real Discord from a test
    done = subprocess.run(
        [sys.executable, "-m", "buteco_dev", "run", "--data-dir", str(data_dir), "--env-file", "", "--free-ports"],
        input="".join(f"{line}\n" for line in lines),
        check=False,
        capture_output=True,
        text=True,
        timeout=90,
        cwd=REPO_ROOT,
        env=env,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    pids = json.loads((data_dir / "pids.json").read_text())
    assert_nothing_left(data_dir, pids)
    return output, pids


def assert_nothing_left(data_dir: Path, pids: list[dict]) -> None:
    for entry in pids:
        with pytest.raises(ProcessLookupError):
            os.killpg(entry["pid"], 0)  # the child and everything in its process group are gone
    marker = f"BUTECO_DEV_RUN={data_dir}".encode()  # every child's environment carries it, grandchildren too
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                environ = (proc / "environ").read_bytes().split(b"\0")
            except OSError:
                continue
            assert str(data_dir) not in cmdline and marker not in environ, f"left behind: {proc.name}: {cmdline}"


def reply_to(output: str, command: str) -> str:
    """The console's output between the prompt line of `command` and the next prompt."""
    after = output.split(f"> {command}\n", 1)[1]
    lines = []
    for line in after.splitlines():
        if line.split("> ", 1)[0] in ("alice", "bob", "carol") or line == "Stopping...":
            break
        lines.append(line)
    return "\n".join(lines)


def test_console_session_survives_a_restart_and_leaves_nothing_behind(data_dir):
    joke = (REPO_ROOT / "plugins" / "joke.toml").exists() and go_toolchain() is not None  # the Go service
    first, pids = session(
        data_dir,
        "/daily",
        "/as bob",
        "/register",
        "/as alice",
        "/transfer @bob 50",
        "/balance",
        '/bet create "Who wins?" "Red | Blue"',
        "/bet list",
        "/as bob",
        "/bet place 1",
        "1",
        "20",
        "1",
        "/bet mine",
        "/as alice",
        *(["/joke"] if joke else []),
        "/health",
        "/quit",
    )
    assert "connected to the local Discord emulator" in first, first
    assert {p["name"] for p in pids} >= {"postgres", "client-api", "balance-api", "coin-api", "bot"}
    assert "You claimed 100 coins" in reply_to(first, "/daily"), first
    assert "Welcome to the economy, bob" in reply_to(first, "/register"), first
    assert "Sent 50 coins to bob. Your balance: 50." in reply_to(first, "/transfer @bob 50"), first
    assert "Your balance: 50 coins." in reply_to(first, "/balance"), first
    assert "Bet #1 created and announced in the channel." in reply_to(first, '/bet create "Who wins?" "Red | Blue"')
    assert "#1 · Who wins?: pool 0 coins" in reply_to(first, "/bet list"), first
    assert "[1] 1. Red   [2] 2. Blue" in reply_to(first, "/bet place 1"), first
    assert "Bet 20 coins on Red?" in first and "✅ 20 coins on Red. Your stake on it: 20 coins." in first, first
    assert "#1 Who wins? — Red: 20 coins · open" in reply_to(first, "/bet mine"), first
    if joke:
        answer = reply_to(first, "/joke")
        assert answer.startswith("[Buteco]\n") and len(answer) > len("[Buteco]\n") + 10, first
    health = reply_to(first, "/health")
    assert "Health: UP" in health or "Health: DEGRADED" in health, first
    assert "Bank (critical): up" in health and "Members (critical): up" in health, first
    assert "Stopped: no process left behind." in first

    mistakes = ["/transfer @nobody 5", "/transfer @bob", "/nosuch", "hello", "1", "/as bob", "/plugins status"]
    second, _ = session(data_dir, "/balance", "/daily", *mistakes)  # ends at end of input, without /quit
    assert "migrations   up to date" in second and "data in" in second, second
    assert "Your balance: 50 coins." in reply_to(second, "/balance"), second
    assert "Already claimed." in reply_to(second, "/daily"), second
    assert "no member called '@nobody' here" in second
    assert "missing amount; usage: /transfer <member:@member> <amount:integer> [reason:text]" in second
    assert "/nosuch is not a command here" in second
    assert "Commands start with /" in second
    assert "the last reply has no buttons" in second
    assert "Discord does not offer that to bob: /plugins needs Manage Server" in second, second
