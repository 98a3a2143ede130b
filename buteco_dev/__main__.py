"""`python -m buteco_dev run`: the whole stack on this machine, no Docker, no Discord token needed.

Without DISCORD_TOKEN (in the environment or .env) the bot connects to a local Discord emulator and this
terminal becomes a console where you type slash commands as a member. With it, the bot joins real Discord.
Ctrl-C (or /quit, or end of input) stops every process it started. While it runs, a manifest added to,
changed in or removed from plugins/ starts, restarts or stops its service and reloads the bot's plugins (watch.py).

`new-service NAME LANG` writes a new service (scaffold.py); `service-tests` runs each manifest's [run] test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path

from . import REPO_ROOT
from .catalogue import DEFAULT_PORT_BASE
from .stack import Stack, shown

BOT_READY_TIMEOUT_S = 60.0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


async def _wait_bot_ready(world, bot, timeout: float = BOT_READY_TIMEOUT_S) -> None:
    """Until the bot has connected to the emulator and synced its commands (or died trying)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (world.emulator.gateway.is_ready() and world.commands()):
        if not bot.running:
            raise RuntimeError(f"the bot exited with {bot.exit_code}; see {shown(bot.log_path)}")
        if loop.time() > deadline:
            raise RuntimeError(f"the bot did not connect in {timeout:.0f} s; see {shown(bot.log_path)}")
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.6)  # discord.py's guild_ready_timeout (0.5 s) before it dispatches on_ready


async def _until_stopped(*waits) -> None:
    """Run until the first of waits ends, or a stop signal; then cancel the rest."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, stop.set)
    tasks = [asyncio.ensure_future(w) for w in (*waits, stop.wait())]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()
    finally:
        for task in tasks:
            task.cancel()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.remove_signal_handler(sig)


async def _watch(child) -> None:
    """Ends the run (as a failure) when the child dies on its own."""
    while child.running:
        await asyncio.sleep(0.5)
    where = f"; see {shown(child.log_path)}" if child.log_path else ""
    raise RuntimeError(f"the {child.name} exited with {child.exit_code}{where}")


async def run_local(stack) -> None:
    from .console import Console
    from .reader import LineReader
    from .watch import PluginWatcher, emulator_reload
    from .world import World

    world = await World.create()
    reader = None
    try:
        bot = stack.start_bot(world.bot_env())
        await _wait_bot_ready(world, bot)
        print(f"  bot          connected to the local Discord emulator ({len(world.commands())} commands)", flush=True)
        reader = LineReader(sys.stdin)
        console = Console(world, reader)
        watcher = PluginWatcher(stack, emulator_reload(world, console), console.say)
        await _until_stopped(console.run(), _watch(bot), watcher.run())
    finally:
        if reader is not None:
            reader.restore()
        await world.emulator.stop()


async def run_discord(stack) -> None:
    from .watch import PluginWatcher, discord_reload

    bot = stack.start_bot({}, log=False)
    print("  bot          connecting to Discord (its log follows); Ctrl-C stops everything", flush=True)
    watcher = PluginWatcher(stack, discord_reload, lambda text: print(text, flush=True))
    await _until_stopped(_watch(bot), watcher.run())


def run(args: argparse.Namespace) -> int:
    env_file = Path(args.env_file) if args.env_file else None
    stack = Stack(Path(args.data_dir), env_file=env_file, free_ports=args.free_ports, port_base=args.port_base)
    discord_token = stack.env.get("DISCORD_TOKEN")
    try:
        print("Starting Buteco locally (logs in " + shown(stack.logs) + "):", flush=True)
        if stack.reaped:
            print(f"  (stopped {stack.reaped} process(es) an earlier, killed run had left running)", flush=True)
        stack.start_backend(lambda text: print(text, flush=True))
        asyncio.run(run_discord(stack) if discord_token else run_local(stack))
        return 0
    except KeyboardInterrupt:
        return 130
    except RuntimeError as exc:
        print(f"\n! {exc}", flush=True)
        return 1
    finally:
        with contextlib.suppress(KeyboardInterrupt):
            print("\nStopping...", flush=True)
            stack.stop()
            print("Stopped: no process left behind.", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m buteco_dev", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_cmd = commands.add_parser("run", help="start PostgreSQL, migrations, every service and the bot")
    run_cmd.add_argument(
        "--data-dir", default=str(REPO_ROOT / ".run"), help="database, logs and pids of the local stack (default: .run)"
    )
    run_cmd.add_argument(
        "--env-file",
        default=str(REPO_ROOT / ".env"),
        help="settings to read if the file exists (default: .env; '' reads none)",
    )
    run_cmd.add_argument(
        "--free-ports", action="store_true", help="any free ports instead of 5001-5006 (e.g. beside another run)"
    )
    run_cmd.add_argument(
        "--port-base",
        type=int,
        default=DEFAULT_PORT_BASE,
        help="ports from here: client-api on BASE+1 ... joke-api on BASE+6, new services from BASE+7 (default 5000)",
    )
    new = commands.add_parser("new-service", help="write a new service, its manifest, compose entry and settings")
    new.add_argument("name", help="lower-case letters, digits and _: dice -> dice_api/, plugins/dice.toml")
    new.add_argument("lang", help="python, go or node")
    new.add_argument("--command", dest="slash_command", help="its example slash command (default: the name)")
    commands.add_parser("service-tests", help="run the [run] test of every manifest (Go, Node.js, ...)")
    args = parser.parse_args(argv)
    if args.command == "new-service":
        from .scaffold import ScaffoldError, scaffold

        try:
            written = scaffold(args.name, args.lang, command=args.slash_command)
        except ScaffoldError as exc:
            print(f"new-service: {exc}", file=sys.stderr)
            return 2
        print("\n".join(written), flush=True)
        return 0
    if args.command == "service-tests":
        from .launch import run_service_tests

        return 1 if run_service_tests(say=lambda text: print(text, flush=True)) else 0
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
