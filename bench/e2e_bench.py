"""End to end, as a member feels it (issue 13): the real bot on the local Discord emulator, with client_api,
balance_api and coin_api as real processes on one PostgreSQL. /transfer (small, and large with its Confirm
pressed), /daily and /balance are invoked at a fixed offered rate (open loop); a command's latency runs from its
SCHEDULED invoke to its final message, and every request the bot makes is traced with the service's Server-Timing.

Run alone: .venv/bin/python bench/e2e_bench.py [--seconds 10] [--rates 1,20] [--out e2e.json] (its own PostgreSQL);
bench/money_core.py (make bench) runs measure() on its own server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import random
import sys
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cpu import CpuWindow, step, wait_for_quiet  # noqa: E402 - bench/ is on sys.path as the script's dir
from e2e_timing import ANSWER_S, Trace, open_loop, shape_of  # noqa: E402

from buteco_bot.bot import ButecoBot  # noqa: E402
from buteco_bot.settings import BotSettings  # noqa: E402
from buteco_dev import migrations, seed  # noqa: E402
from buteco_dev.credentials import TEST_TOKENS, caller_env  # noqa: E402
from buteco_dev.postgres import Postgres, create_database  # noqa: E402
from buteco_dev.processes import ServiceProcess, python_service  # noqa: E402
from discord_emulator import Emulator, Member, component_choices  # noqa: E402

MEMBERS = 400  # /daily needs a member who has not claimed yet for every command of the phase
FUNDS = 10**7
CONFIRM_AMOUNT = 5_000  # above the bot's TRANSFER_CONFIRM_ABOVE (1,000): asks to confirm with a click
KINDS = ("transfer", "transfer_confirm", "daily", "balance")
BOT_CREDENTIALS = {k: v for k, v in caller_env().items() if k in ("BOT_API_TOKEN", "JOKE_API_TOKEN")}


class Driver:
    """Invokes one kind of command as a given member and waits for the final message (pressing Confirm)."""

    def __init__(self, emulator: Emulator, members: list[Member]) -> None:
        self.emulator, self.members, self.rng = emulator, members, random.Random(13)
        self.daily_next = 0

    async def transfer(self, amount: int) -> str:
        sender, receiver = self.rng.sample(self.members, 2)
        record = await self.emulator.invoke("transfer", {"member": receiver.id, "amount": amount}, user=sender)
        answer = await record.wait_for_original(ANSWER_S)
        confirm = next((c for c in component_choices(answer) if c.label.lower().startswith("confirm")), None)
        if amount < CONFIRM_AMOUNT or confirm is None:
            return shape_of(answer)
        click = await self.emulator.click(answer, confirm.custom_id, user=sender)
        done = lambda r: r.original if r.original and not r.original.loading and not r.original.components else None  # noqa: E731
        return shape_of(await click.wait_until(done, ANSWER_S))

    async def fire(self, kind: str) -> str:
        if kind == "transfer":
            return await self.transfer(self.rng.randint(1, 100))
        if kind == "transfer_confirm":
            return await self.transfer(CONFIRM_AMOUNT)
        if kind == "daily":
            member, self.daily_next = self.members[self.daily_next % len(self.members)], self.daily_next + 1
            record = await self.emulator.invoke("daily", user=member)
        else:
            record = await self.emulator.invoke("balance", user=self.rng.choice(self.members))
        return shape_of(await record.wait_for_original(ANSWER_S))


async def run_phases(services: dict[str, ServiceProcess], db_url: str, rates: list[float], seconds: float) -> dict:
    emulator = Emulator()
    await emulator.start()
    restore = emulator.configure_discord_py()
    guild = emulator.add_guild("Buteco bench")
    members = [emulator.add_member(guild, name=f"member {i}") for i in range(MEMBERS)]
    register(db_url, [m.id for m in members])
    seed.fund_members(
        services["balance_api"].url, guild.id, {m.id: FUNDS for m in members}, key="e2e-bench-funds"
    ).raise_for_status()
    trace = Trace({s.port: name for name, s in services.items()})
    results: dict = {"members": MEMBERS, "seconds_per_phase": seconds, "phases": {}}
    with tempfile.TemporaryDirectory() as plugins:
        for name in ("client", "balance", "coin"):
            (Path(plugins) / f"{name}.toml").write_text((REPO / "plugins" / f"{name}.toml").read_text())
        env = {
            **BOT_CREDENTIALS,
            "CLIENT_API_URL": services["client_api"].url,
            "BALANCE_API_URL": services["balance_api"].url,
            "COIN_API_URL": services["coin_api"].url,
        }
        settings = BotSettings(
            discord_token=emulator.token,
            bot_api_token=TEST_TOKENS["bot"],
            plugins_dir=Path(plugins),
            dev_guild_id=guild.id,
            guild_ready_timeout=0.05,
        )
        bot = ButecoBot(settings, env=env)
        await bot.login(emulator.token)
        bot.session._trace_configs.append(trace.config())  # the bot's own session, now traced
        connected = asyncio.create_task(bot.connect())
        try:
            await emulator.wait_until_ready(timeout=10)
            await asyncio.wait_for(bot.wait_until_ready(), timeout=10)
            driver = Driver(emulator, members)
            for kind in KINDS:
                for _ in range(5):  # warm-up: connections, the bot's caches, each service's first request
                    await driver.fire(kind)
            roots = {name: s.pid for name, s in services.items()} | {"bot+emulator": os.getpid()}
            for kind in KINDS:
                for rate in rates:
                    await asyncio.to_thread(wait_for_quiet, 60)  # never block the bot's loop
                    trace.requests.clear()
                    window = CpuWindow(roots)
                    window.start()
                    run = await open_loop(rate, seconds, lambda kind=kind: driver.fire(kind))
                    run["cpu_pct_of_one_core"] = window.stop()
                    run["where_ms_per_command"] = trace.split(run["commands"])
                    run["services_waited_ms"] = trace.waited(run.pop("spans"))
                    results["phases"][f"{kind}@{rate:g}"] = run
                    step(
                        f"  e2e {kind} at {rate:g}/s: p50 {run['p50_ms']} ms, p99 {run['p99_ms']} ms, "
                        f"failed {run['failed']}, answers {list(run['answers'])[:3]}"
                    )
            results["violations"] = [f"{v.kind}: {v.detail}" for v in emulator.state.violations][:20]
        finally:
            await bot.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connected, timeout=10)
            await emulator.stop()
            restore()
    return results


def register(db_url: str, discord_ids: list[int]) -> None:
    """Members registered as client_api would (by SQL, for speed), so that the ledger can fund them."""
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg2://", 1))
    with engine.begin() as db:
        db.execute(
            text("INSERT INTO users (discord_id, display_name) SELECT d, 'e2e ' || d FROM unnest(:ids) AS d"),
            {"ids": discord_ids},
        )
    engine.dispose()


def measure(db_url: str, log_dir: Path, rates: list[float], seconds: float, workers: int | None = None) -> dict:
    """The three services on db_url (LOG_LEVEL INFO and their own pool defaults, as deployed), then the phases."""
    logging.getLogger("discord").setLevel(logging.WARNING)
    base = {"LOG_LEVEL": "INFO"}
    step(f"end to end: bot + emulator, client_api, balance_api, coin_api; rates {rates}/s, {seconds:g} s each")
    with (
        python_service("client_api.main", database_url=db_url, env=base, log_dir=log_dir, workers=workers) as client,
        python_service("balance_api.main", database_url=db_url, env=base, log_dir=log_dir, workers=workers) as ledger,
        python_service(
            "coin_api.main",
            database_url=db_url,
            env={**base, "BALANCE_API_URL": ledger.url},
            log_dir=log_dir,
            workers=workers,
        ) as coin,
    ):
        services = {"client_api": client, "balance_api": ledger, "coin_api": coin}
        return {"workers": workers or 1, **asyncio.run(run_phases(services, db_url, rates, seconds))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rates", default="1,20")
    parser.add_argument("--workers", type=int, default=None, help="uvicorn workers per service (default: 1)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with Postgres.throwaway(fast=False, max_connections=200) as pg:
        migrations.ensure_built()
        db_url = create_database(pg.url, "buteco")
        migrations.run_migrations(db_url)
        CpuWindow.roots_always = {"postgres": pg.process.pid}
        with tempfile.TemporaryDirectory() as logs:
            found = measure(db_url, Path(logs), [float(r) for r in args.rates.split(",")], args.seconds, args.workers)
    print(json.dumps(found, indent=2))
    if args.out:
        args.out.write_text(json.dumps(found, indent=2))


if __name__ == "__main__":
    main()
