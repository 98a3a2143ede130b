"""`python -m buteco_bot` as the container runs it: a refused token or an unreachable Discord is one clear line and a
pause (never a crash loop), and the status file the HEALTHCHECK prints says why; connected, it says ready."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from buteco_dev import REPO_ROOT
from buteco_dev.credentials import TEST_TOKENS
from discord_emulator import Emulator

pytestmark = pytest.mark.slow

HEALTHCHECK = REPO_ROOT / "docker" / "bot_healthcheck.py"
ERROR_LINE = re.compile(r"^\[[^]]+\] \[ERROR +\] buteco_bot: (.*)$", re.MULTILINE)


@dataclass
class BotProcess:
    process: asyncio.subprocess.Process
    status_file: Path
    log_file: Path

    @property
    def log(self) -> str:
        return self.log_file.read_text(encoding="utf-8")

    async def status(self, prefix: str, timeout: float = 15.0) -> str:
        """The status line, once it starts with prefix (the bot rewrites it as its state changes)."""
        deadline, line = time.monotonic() + timeout, ""
        while time.monotonic() < deadline:
            line = self.status_file.read_text(encoding="utf-8").strip() if self.status_file.exists() else ""
            if line.startswith(prefix):
                return line
            assert self.process.returncode is None, f"the bot exited ({self.process.returncode}):\n{self.log}"
            await asyncio.sleep(0.1)
        raise AssertionError(f"status never became {prefix!r}; last {line!r}; log:\n{self.log}")

    async def healthcheck(self) -> tuple[int, str]:
        """The image's HEALTHCHECK command, reading this bot's status file: (exit code, what it printed)."""
        probe = await asyncio.create_subprocess_exec(
            sys.executable,
            str(HEALTHCHECK),
            env={"BOT_STATUS_FILE": str(self.status_file), "PATH": os.environ["PATH"]},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(probe.communicate(), timeout=10)
        return probe.returncode or 0, output.decode().strip()


@pytest.fixture
async def start_bot(tmp_path: Path) -> AsyncIterator:
    """Start `python -m buteco_bot` against a Discord base URL and token; every process started is stopped."""
    started: list[asyncio.subprocess.Process] = []
    plugins = tmp_path / "plugins"
    plugins.mkdir()

    async def start(api_base: str, gateway: str, token: str) -> BotProcess:
        status_file, log_file = tmp_path / f"status-{len(started)}", tmp_path / f"bot-{len(started)}.log"
        env = {
            "PATH": os.environ["PATH"],
            "DISCORD_TOKEN": token,
            "BOT_API_TOKEN": TEST_TOKENS["bot"],
            "PLUGINS_DIR": str(plugins),  # no plugins: this is about Discord alone
            "DISCORD_API_BASE": api_base,
            "DISCORD_GATEWAY_URL": gateway,
            "GUILD_READY_TIMEOUT": "0.05",
            "BOT_STATUS_FILE": str(status_file),
        }
        with log_file.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "buteco_bot", cwd=REPO_ROOT, env=env, stdout=log, stderr=log
            )
        started.append(process)
        return BotProcess(process, status_file, log_file)

    yield start
    for process in started:
        if process.returncode is None:
            process.terminate()
            await asyncio.wait_for(process.wait(), timeout=10)


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_an_unreachable_discord_is_one_line_then_a_pause(start_bot) -> None:
    port = closed_port()
    bot = await start_bot(f"http://127.0.0.1:{port}/api/v10", f"ws://127.0.0.1:{port}/", "any-token")
    line = await bot.status("down:")
    assert line.startswith(f"down: cannot reach Discord (127.0.0.1:{port}): not answering (connection refused)"), line
    assert "internet access, DNS" in line and re.search(r"; next try at \d\d:\d\d:\d\d UTC$", line), line
    await asyncio.sleep(0.5)
    assert bot.process.returncode is None, "it waits and tries again instead of exiting (no crash loop)"
    errors = ERROR_LINE.findall(bot.log)
    assert len(errors) == 1 and "not answering" in errors[0] and errors[0].endswith("next try in 5 s"), bot.log
    assert "Traceback" not in bot.log and "\x1b[" not in bot.log, "no traceback, no colour codes in a log file"
    assert "voice will NOT be supported" not in bot.log
    assert await bot.healthcheck() == (1, line)


async def test_a_refused_token_names_the_variable_and_where_to_fix_it(start_bot) -> None:
    async with Emulator() as emulator:
        bot = await start_bot(emulator.base_url, emulator.gateway_url, "not-the-token")
        line = await bot.status("down:")
        assert line.startswith(f"down: Discord (127.0.0.1:{emulator.port}) refused DISCORD_TOKEN (HTTP 401)"), line
        assert "check DISCORD_TOKEN in .env" in line and "Reset Token" in line, line
        assert bot.process.returncode is None
        assert [e for e in ERROR_LINE.findall(bot.log) if "refused DISCORD_TOKEN" in e], bot.log
        assert "Traceback" not in bot.log
        code, output = await bot.healthcheck()
        assert code == 1 and "refused DISCORD_TOKEN" in output


async def test_a_connected_bot_is_healthy_and_a_lost_gateway_says_so(start_bot) -> None:
    emulator = Emulator()
    await emulator.start()
    emulator.add_guild("Buteco (status)")
    try:
        bot = await start_bot(emulator.base_url, emulator.gateway_url, emulator.token)
        line = await bot.status("ready:")
        assert f"connected to Discord (127.0.0.1:{emulator.port})" in line and "1 server(s)" in line, line
        assert await bot.healthcheck() == (0, line)
    finally:
        await emulator.stop()
    line = await bot.status("reconnecting: cannot reach Discord")  # discord.py retries by itself; the bot stays
    assert "not answering (connection refused)" in line and line.endswith("discord.py keeps retrying"), line
    code, output = await bot.healthcheck()
    assert code == 1 and output == line
    assert bot.process.returncode is None and "Traceback" not in bot.log, bot.log
    assert "Attempting a reconnect" in bot.log  # discord.py's own line, its traceback replaced by the reason
