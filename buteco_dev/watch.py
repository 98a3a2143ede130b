"""Live add: while `make run` runs, plugins/ is polled; a manifest that appears, changes or goes away starts,
restarts or stops its service, then the bot reloads its plugins. The rest of the stack keeps running.

A change is acted on once the files have stood still for one poll (an editor's half-written file waits). Every few
polls the catalogue is also re-read as it is, so code that lands after its manifest still gets started. The bot
learns the new URL and credential from the stack's PLUGINS_ENV_FILE, then `/plugins reload` runs: on the local
emulator the watcher sends it as a member with Manage Server; on real Discord it asks you to.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable
from collections.abc import Set as AbstractSet
from pathlib import Path

from discord_emulator import MANAGE_GUILD

from . import REPO_ROOT
from .catalogue import ServiceSpec
from .stack import Stack

POLL_S = 1.0
RESCAN_EVERY = 5  # polls between two full re-reads while nothing changed
RELOAD_TIMEOUT_S = 60.0

Reload = Callable[[list[str]], Awaitable[str]]


def fingerprint(root: Path = REPO_ROOT) -> tuple:
    """Name, size and modification time of every manifest, and of docker-compose.yml."""
    found = []
    for path in [*sorted((root / "plugins").glob("*.toml")), root / "docker-compose.yml"]:
        try:
            stat = path.stat()
        except OSError:
            continue
        found.append((path.name, stat.st_size, stat.st_mtime_ns))
    return tuple(found)


def saved(before: tuple, after: tuple) -> set[str]:
    """The plugin ids whose manifest appeared or was written between two fingerprints."""
    return {entry[0].removesuffix(".toml") for entry in set(after) - set(before) if entry[0].endswith(".toml")}


def changes(
    running: list[ServiceSpec], fresh: list[ServiceSpec], written: AbstractSet[str] = frozenset()
) -> tuple[list, list, list]:
    """(added specs, changed specs, names gone) between what runs and what plugins/ says now (its manifests only:
    an API compose lists without one is nothing to run). A manifest written again counts as changed: saving it
    restarts its service (after a fix to its code, say)."""
    now = {spec.name: spec for spec in running if spec.plugin_id}
    wanted = {spec.name: spec for spec in fresh if spec.plugin_id}
    added = [spec for name, spec in wanted.items() if name not in now]
    changed = [
        spec
        for name, spec in wanted.items()
        if name in now and (now[name].signature != spec.signature or spec.plugin_id in written)
    ]
    return added, changed, [name for name in now if name not in wanted]


async def in_daemon_thread(work: Callable[[], list[str]]) -> list[str]:
    """work() on a daemon thread: quitting never waits for a build or a start still in progress."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    def run() -> None:
        try:
            outcome, failure = work(), None
        except Exception as exc:
            outcome, failure = [], exc

        def settle() -> None:
            if future.done():  # cancelled: the run is ending
                return
            if failure is not None:
                future.set_exception(failure)
            else:
                future.set_result(outcome)

        with contextlib.suppress(RuntimeError):  # the loop is closed: the run is over
            loop.call_soon_threadsafe(settle)

    threading.Thread(target=run, name="plugin-watcher", daemon=True).start()
    return await future


class PluginWatcher:
    def __init__(self, stack: Stack, reload: Reload, say: Callable[[str], None], root: Path = REPO_ROOT) -> None:
        self.stack, self.reload, self.say, self.root = stack, reload, say, root

    async def run(self, interval: float = POLL_S) -> None:
        """Forever (until cancelled): poll, and bring the services and the bot in line with plugins/."""
        applied = seen = fingerprint(self.root)
        polls = 0
        while True:
            await asyncio.sleep(interval)
            polls += 1
            current = fingerprint(self.root)
            if current != seen:  # still being written: act once it stands still
                seen = current
                continue
            if current == applied and polls % RESCAN_EVERY:
                continue
            written = saved(applied, current)
            try:
                touched = await in_daemon_thread(lambda written=written: self.apply(written))
                if current != applied or touched:
                    self.say(await self.reload(touched))
            except Exception as exc:  # one bad change is said, and the run goes on
                self.say(f"  ! could not apply the change in plugins/: {type(exc).__name__}: {exc}")
            applied = current

    def apply(self, written: AbstractSet[str] = frozenset()) -> list[str]:
        """Start, restart and stop services to match plugins/; returns the plugin ids it touched."""
        added, changed, gone = changes(self.stack.specs, self.stack.discover(), written)
        removed = [self.stack.remove(name) for name in gone]
        for spec in filter(None, removed):
            self.say(f"  {spec.name:<12} stopped: plugins/{spec.plugin_id}.toml is gone")
        for spec in changed:
            self.say(f"  {spec.name:<12} plugins/{spec.plugin_id}.toml changed: restarting")
            self.stack.replace(spec, self.say)
        for spec in added:
            self.stack.add(spec, self.say)
        self.stack.write_bot_env()
        return [spec.plugin_id for spec in [*added, *changed, *filter(None, removed)]]


def emulator_reload(world, console) -> Reload:
    """`/plugins reload` sent to the local emulator as its first member with Manage Server."""

    async def reload(touched: list[str]) -> str:
        admin = next(m for m in world.members.values() if world.guild.permissions_for(m.id) & MANAGE_GUILD)
        before = set(world.commands())
        record = await world.emulator.invoke("plugins reload", user=admin)
        replies = await record.wait_for_followups(1, timeout=RELOAD_TIMEOUT_S)
        console.seen |= {m.id for m in [record.original, *replies] if m is not None}  # not shown as a stray reply
        after = set(world.commands())
        report = "\n".join(
            line for m in replies for e in m.embeds for f in e.get("fields") or [] for line in f["value"].splitlines()
        )
        states = [line for line in report.splitlines() if any(line.startswith(f"`{p}`") for p in touched)]
        parts = [f"new /{', /'.join(sorted(after - before))}"] if after - before else []
        parts += [f"gone /{', /'.join(sorted(before - after))}"] if before - after else []
        parts += [line.replace("`", "").replace("**", "") for line in states]
        return "  bot          plugins reloaded" + "".join(f"\n               {part}" for part in parts)

    return reload


async def discord_reload(touched: list[str]) -> str:
    """Real Discord: the runner is no member there; a person with Manage Server reloads."""
    return "  bot          type /plugins reload in Discord (Manage Server) to load " + ", ".join(touched or ["it"])
