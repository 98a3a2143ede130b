"""Bot benchmark (issue 3): first-response latency, start-up with 50 manifests, /health with a hanging plugin.

Run: .venv/bin/python bench/bot_bench.py [--interactions 500] [--out results.json]
Self-contained: the local Discord emulator and a stub of the services' HTTP API (aiohttp, in-process), so it
measures the bot itself; the money path against real services is covered by the end-to-end tests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import web

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from buteco_bot.bot import ButecoBot  # noqa: E402
from buteco_bot.settings import BotSettings  # noqa: E402
from discord_emulator import Emulator  # noqa: E402

HEALTH_TIMEOUT_S = 1.0


async def stub_services() -> tuple[web.AppRunner, str]:
    """client_api/balance_api shapes enough for /balance, /health everywhere, and /hang that never answers."""

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "service": "stub", "version": "1.0.0"})

    async def hang(request: web.Request) -> web.Response:
        await asyncio.sleep(3600)
        return web.Response()

    async def register(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response({"id": 1, "discord_id": body["discord_id"], "display_name": body.get("display_name")})

    async def balance(request: web.Request) -> web.Response:
        return web.json_response(
            {"guild_id": request.match_info["g"], "user_id": request.match_info["u"], "balance": 0, "updated_at": None}
        )

    async def echo(request: web.Request) -> web.Response:
        return web.json_response({"text": "hi"})

    app = web.Application()
    app.router.add_get("/health", health)
    app.router.add_get("/hang", hang)
    app.router.add_post("/users", register)
    app.router.add_get("/guilds/{g}/members/{u}/balance", balance)
    app.router.add_get("/echo", echo)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


def write_manifests(target: Path, url: str, count: int, *, hanging: int = 0) -> None:
    """The three economy manifests plus declarative ones, `hanging` of which never answer /health."""
    for name in ("client", "balance", "coin"):
        (target / f"{name}.toml").write_text((REPO / "plugins" / f"{name}.toml").read_text())
    for i in range(count - 3):
        path = "/hang" if i < hanging else "/health"
        (target / f"svc{i:02d}.toml").write_text(
            f'name = "Service {i}"\nversion = "1.0.{i}"\n[service]\nurl_env = "SVC{i}_URL"\ndefault_url = "{url}"\n'
            f'[health]\npath = "{path}"\ntimeout = {HEALTH_TIMEOUT_S}\ncritical = false\n'
            f'[[commands]]\nname = "svc{i:02d}"\ndescription = "Service {i}"\npath = "/echo"\nresponse = "{{text}}"\n'
        )


async def start_bot(
    emulator: Emulator, plugins: Path, url: str, guild_ready_timeout: float | None = None
) -> tuple[ButecoBot, asyncio.Task, dict[str, float]]:
    """Log in (setup_hook: manifests, extensions, command sync) then connect until READY; both timed."""
    guild = next(iter(emulator.state.guilds.values()))
    started = time.perf_counter()
    overrides = {} if guild_ready_timeout is None else {"guild_ready_timeout": guild_ready_timeout}
    settings = BotSettings(
        discord_token=emulator.token,
        bot_api_token="bench-token-0123456789",
        plugins_dir=plugins,
        dev_guild_id=guild.id,
        **overrides,
    )
    bot = ButecoBot(settings, env={"CLIENT_API_URL": url, "BALANCE_API_URL": url, "COIN_API_URL": url})
    await bot.login(emulator.token)
    setup_done = time.perf_counter()
    task = asyncio.create_task(bot.connect())
    await bot.wait_until_ready()
    ready = time.perf_counter()
    return (
        bot,
        task,
        {
            "setup_hook_s": round(setup_done - started, 3),
            "ready_s": round(ready - started, 3),
            "guild_ready_timeout_s": settings.guild_ready_timeout,
        },
    )


async def stop_bot(bot: ButecoBot, task: asyncio.Task) -> None:
    await bot.close()
    await task


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def main(args: argparse.Namespace) -> dict:
    logging.basicConfig(level=logging.WARNING)
    runner, url = await stub_services()
    emulator = Emulator()
    await emulator.start()
    restore = emulator.configure_discord_py()
    guild = emulator.add_guild("Bench")
    member = emulator.add_member(guild, name="bench")
    results: dict = {"python": platform.python_version(), "machine": platform.machine()}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            plugins = Path(tmp)
            write_manifests(plugins, url, 50)
            bot, task, timing = await start_bot(emulator, plugins, url)
            results["start_50_manifests_default"] = timing
            await stop_bot(bot, task)
            bot, task, timing = await start_bot(emulator, plugins, url, guild_ready_timeout=2.0)
            results["start_50_manifests_discord_py_default_2s"] = timing
            results["commands_registered"] = len(emulator.guild_commands(guild))
            latencies = []
            for i in range(args.warmup + args.interactions):
                record = await emulator.invoke("balance", user=member)
                await record.wait_for_original(5)
                if i >= args.warmup:
                    latencies.append(record.latency * 1000)
            results["first_response_ms"] = {
                "n": len(latencies),
                "p50": round(statistics.median(latencies), 2),
                "p95": round(percentile(latencies, 0.95), 2),
                "p99": round(percentile(latencies, 0.99), 2),
                "max": round(max(latencies), 2),
            }
            await stop_bot(bot, task)
        with tempfile.TemporaryDirectory() as tmp:
            plugins = Path(tmp)
            write_manifests(plugins, url, 10, hanging=1)
            bot, task, _ = await start_bot(emulator, plugins, url, guild_ready_timeout=0.1)
            durations = []
            for _ in range(args.health_runs):
                started = time.perf_counter()
                record = await emulator.invoke("health", user=member)
                message = await record.wait_for_original(5)
                durations.append(time.perf_counter() - started)
                assert "DEGRADED" in message.embeds[0]["title"], message.embeds[0]["title"]
            results["health_10_plugins_1_hanging_s"] = {
                "timeout_s": HEALTH_TIMEOUT_S,
                "median": round(statistics.median(durations), 3),
                "max": round(max(durations), 3),
            }
            await stop_bot(bot, task)
        results["violations"] = [v.kind for v in emulator.violations]
    finally:
        await emulator.stop()
        restore()
        await runner.cleanup()
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--health-runs", type=int, default=5)
    parser.add_argument("--out", type=Path)
    parsed = parser.parse_args()
    figures = asyncio.run(main(parsed))
    print(json.dumps(figures, indent=2))
    if parsed.out:
        parsed.out.write_text(json.dumps(figures, indent=2))
