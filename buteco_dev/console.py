"""The console of `make run`: type slash commands as a member of the local Discord and read the bot's replies.

Input is read one line at a time from a stream (stdin), so a test can script a whole session through a pipe.
Replies are rendered as text: embeds as boxes, buttons and selects as numbered choices (`1` presses the first
one of the last reply, `2 red` picks "red" in a select), modals asked field by field.
"""

from __future__ import annotations

import asyncio
import re
import sys
import time
from typing import Any, TextIO

from discord_emulator import (
    CommandUnavailable,
    ComponentUnavailable,
    EmulatorError,
    InteractionRecord,
    Member,
    Message,
    component_choices,
    render_message,
)

from .markup import humanize
from .parse import CHANNEL, USER, ParseError, parse
from .reader import LineReader
from .world import World

BOT = "Buteco"
QUIET_S = 0.3  # a reply is complete once nothing changed for this long...
THINKING_NOTICE_S = 3.0
REPLY_TIMEOUT_S = 90.0  # ...or after this (an AI answer may take a while)
NAME = re.compile(r"^[^\W\d_]\w{1,31}$")  # a letter, then letters, digits or _ (joão too)
PERMISSIONS = re.compile(r"needs permissions (\d+)")
PERMISSION_NAMES = {1 << 3: "Administrator", 1 << 5: "Manage Server", 1 << 28: "Manage Roles"}
HELP = """Console commands (everything else starting with / goes to the bot; /help lists the bot's commands):
  /as <member>        act as another member (a new name joins the server)
  /locale [pt-BR]     your Discord language (each member has their own); /locale server pt-BR: the server's
  /commands           every command the bot registered, with its options
  1, 2 ...            press button N of your last reply; `N value...` picks values in select N
  /on <member> [N]    show <member>'s latest public reply, or press its button N as you (a non-admin's settle)
  /on #general [N]    the same with the bot's latest message in a channel (e.g. an announcement)
  /quit               stop everything (Ctrl-D and Ctrl-C too)
Options go by position or as name:value; @name is a member; a text option takes the remaining words."""


class Console:
    def __init__(self, world: World, reader: LineReader, out: TextIO = sys.stdout, member: str = "alice") -> None:
        self.world, self.reader, self.out = world, reader, out
        self.member: Member = world.members[member]
        self.last: dict[int, Message] = {}  # each member's last reply, for `1` to press its first button
        self.seen: set[int] = set()

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    async def run(self) -> None:
        names = ", ".join(self.world.describe(n) for n in self.world.members)
        self.say(
            f"\nYou are in the server {self.world.guild.name!r} as {self.member.user.username}. "
            f"Members: {names}.\nTry /daily, /transfer @bob 50, /balance, /health, /help; /? for the console."
        )
        self.seen = {m.id for m in self.world.emulator.messages()}
        reporter = asyncio.ensure_future(self.world.report_violations(self.say))
        try:
            while (line := await self.reader.read(prompt := f"{self.member.user.username}> ")) is not None:
                if not self.reader.tty:
                    self.say(f"{prompt}{line}")
                if line.strip().lower() in ("/quit", "/exit", "quit", "exit"):
                    return
                await self.handle(line.strip())
        finally:
            reporter.cancel()

    async def handle(self, line: str) -> None:
        word = line.split(maxsplit=1)[0].lower() if line else ""
        try:
            if not line:
                return
            if word in ("/?", "?", "/console"):
                self.say(HELP)
            elif word == "/as":
                self.switch(line.split()[1:])
            elif word == "/locale":
                self.locale(line.split()[1:])
            elif word == "/on":
                await self.on_other(line.split()[1:])
            elif word == "/commands":
                self.say(self.world.command_forms())
            elif word.isdigit():
                await self.press(int(word), line.split()[1:])
            elif line.startswith("/"):
                parsed = parse(line, self.world.commands(), self.world.resolve)
                record = await self.world.emulator.invoke(parsed.path, parsed.options, user=self.member)
                await self.show(record)
            else:
                self.say("Commands start with / (try /help, or /? for the console).")
        except CommandUnavailable as exc:
            reason = PERMISSIONS.sub(
                lambda m: f"needs {PERMISSION_NAMES.get(int(m[1]), 'permissions ' + m[1])}", str(exc)
            ).split(" that user")[0]
            self.say(f"! Discord does not offer that to {self.member.user.username}: {reason}")
        except (ParseError, ComponentUnavailable, EmulatorError) as exc:
            self.say(f"! {exc}")

    def switch(self, args: list[str]) -> None:
        if not args:
            self.say("Members: " + ", ".join(self.world.describe(n) for n in self.world.members))
            return
        name = args[0].lstrip("@").lower()
        if name not in self.world.members:
            if not NAME.match(name):
                raise ParseError(f"{name!r} is not a member name (lower-case letters, digits, _)")
            self.world.join(name)
            self.say(f"{name} joined {self.world.guild.name!r}.")
        self.member = self.world.members[name]
        self.say(f"You are now {self.world.describe(name)}.")

    def locale(self, args: list[str]) -> None:
        """Discord sends each member's client language as ``locale`` and the server's as ``guild_locale``."""
        server = bool(args) and args[0].lower() == "server"
        wanted = (args[1:] if server else args)[:1]
        current = self.world.set_locale(None if server else self.member, wanted[0] if wanted else None)
        self.say(f"{repr(self.world.guild.name) if server else self.member.user.username} uses {current}.")

    async def on_other(self, args: list[str]) -> None:
        """Act on another member's latest public reply (with buttons if any): what the whole channel sees."""
        if not args:
            raise ParseError("whose reply? e.g. /on alice 1")
        if args[0].startswith("#"):
            where = self.world.resolve(CHANNEL, args[0])
            message, whose = self.world.latest_public_reply(None, where.id), f"{args[0]} has no bot message"
        else:
            owner = self.world.resolve(USER, args[0])
            message, whose = self.world.latest_public_reply(owner.id), f"{owner.user.username} has no public reply"
        if message is None:
            raise ParseError(f"{whose} here yet")
        if len(args) == 1:
            names = {uid: self.world.display_name(uid) for uid in self.world.emulator.state.users}
            self.say(humanize(render_message(message, BOT), names))
            return
        if not args[1].isdigit():
            raise ParseError("press a button by its number, e.g. /on alice 1")
        await self.press(int(args[1]), args[2:], message)

    async def press(self, number: int, values: list[str], message: Message | None = None) -> None:
        message = message or self.last.get(self.member.id)
        choices = component_choices(message) if message is not None else []
        choice = next((c for c in choices if c.number == number), None)
        if choice is None:
            raise ParseError(f"the last reply has no choice [{number}]" if choices else "the last reply has no buttons")
        emulator = self.world.emulator
        before = len(message.revisions)
        if choice.kind == "button":
            record = await emulator.click(message, choice.custom_id, user=self.member)
        else:
            picked = [
                next((v for v, label in choice.options if x.lower() in (v.lower(), label.lower())), x) for x in values
            ]
            record = await emulator.select(message, choice.custom_id, picked, user=self.member)
        await self.show(record, edits=(message, before))

    async def show(self, record: InteractionRecord, edits: tuple[Message, int] | None = None) -> None:
        """Wait until the reply is complete, print it, then ask a modal's fields and submit it."""
        if not await self.settle(record, edits):
            self.say("! The application did not respond (Discord would say so after 3 s).")
            return
        names = {uid: self.world.display_name(uid) for uid in self.world.emulator.state.users}
        original = record.original
        if (
            edits is not None
            and original is not None
            and original.id == edits[0].id
            and len(original.revisions) == edits[1]
        ):
            original = None  # a click that left its message as it was: show only what is new
        parts = [f"[{BOT}] form: {record.modal.get('title', '')} (* = required)"] if record.modal is not None else []
        if original is not None and not original.deleted and record.modal is None:
            parts.append(render_message(original, BOT))
        parts += [
            render_message(m, BOT) for m in record.followups if m.id != record.original_message_id and not m.deleted
        ]
        self.say(humanize("\n\n".join(parts) or "(nothing changed)", names))
        own = [m for m in [record.original, *record.followups] if m is not None and not m.deleted]
        if own:
            self.last[self.member.id] = own[-1]
        self.seen |= {m.id for m in own}
        for message in self.world.emulator.messages():  # what others' actions posted meanwhile
            if message.id not in self.seen and message.visible_to in (None, self.member.id):
                self.seen.add(message.id)
                channel = self.world.emulator.state.channels.get(message.channel_id)
                self.say(humanize(render_message(message, f"#{channel.name if channel else '?'}"), names))
        if record.modal is not None:
            await self.fill_modal(record)

    async def settle(self, record: InteractionRecord, edits: tuple[Message, int] | None) -> bool:
        """False when nothing acknowledged it; else wait for the final state (no thinking, no change for a bit)."""
        try:
            await record.wait_for_response()
        except TimeoutError:
            return False
        if record.response.type in (8, 9):
            return True
        started = last_change = time.monotonic()
        last, noticed = None, False
        while time.monotonic() - started < REPLY_TIMEOUT_S:
            messages = [m for m in [record.original, *record.followups] if m is not None]
            state = [(m.id, len(m.revisions), m.flags, m.deleted) for m in messages]
            pending = any(m.loading for m in messages) or (
                record.response.type == 6
                and edits is not None
                and len(edits[0].revisions) == edits[1]
                and not record.followup_ids
            )
            if state != last:
                last, last_change = state, time.monotonic()
            elif not pending and time.monotonic() - last_change >= QUIET_S:
                return True
            if pending and not noticed and time.monotonic() - started > THINKING_NOTICE_S:
                self.say(f"({BOT} is thinking...)")
                noticed = True
            await asyncio.sleep(0.05)
        return True

    async def fill_modal(self, record: InteractionRecord) -> None:
        """Ask each input of the modal in turn (empty keeps the default), then submit it."""
        values: dict[str, Any] = {}
        for component in record.modal.get("components") or []:
            inner = [component["component"]] if component.get("type") == 18 else component.get("components") or []
            for item in inner:
                if item.get("custom_id") is None:
                    continue
                label = component.get("label") or item.get("label") or item["custom_id"]
                options = [o["value"] for o in item.get("options") or []]
                hint = f" ({'/'.join(options)})" if options else (f" [{item['value']}]" if item.get("value") else "")
                prompt = f"  {label}{' *' if item.get('required', True) else ''}{hint}: "
                answer = await self.reader.read(prompt)
                if answer is None:
                    self.say("! input ended before the form was complete; not submitted")
                    return
                if not self.reader.tty:
                    self.say(prompt + answer)
                if answer.strip():
                    values[item["custom_id"]] = answer.split() if options else answer
        submitted = await self.world.emulator.submit_modal(record, values)
        await self.show(submitted)
