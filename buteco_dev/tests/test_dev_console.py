"""The `make run` console without the services: typed-line parsing, and a tiny bot with a select and a modal."""

from __future__ import annotations

import asyncio
import io

import discord
import pytest
from discord.ext import commands

from buteco_dev.console import Console, humanize
from buteco_dev.parse import ParseError, parse
from buteco_dev.reader import LineReader
from buteco_dev.world import World

USER, STRING, INTEGER, BOOLEAN = 6, 3, 4, 5
COMMANDS = {
    "transfer": {
        "name": "transfer",
        "options": [
            {"name": "member", "type": USER, "required": True},
            {"name": "amount", "type": INTEGER, "required": True},
            {"name": "reason", "type": STRING, "required": False},
        ],
    },
    "bet": {
        "name": "bet",
        "options": [
            {"name": "list", "type": 1},
            {
                "name": "place",
                "type": 1,
                "options": [
                    {"name": "event", "type": INTEGER, "required": True},
                    {
                        "name": "outcome",
                        "type": STRING,
                        "required": True,
                        "choices": [{"name": "Yes", "value": "yes"}, {"name": "No", "value": "no"}],
                    },
                    {"name": "public", "type": BOOLEAN, "required": False},
                ],
            },
        ],
    },
}


def resolve(kind: int, text: str) -> str:
    if text.lstrip("@") not in ("bob", "alice"):
        raise ParseError(f"no member called {text!r} here")
    return text.lstrip("@")


def test_parse_positions_names_members_and_trailing_text():
    parsed = parse('/transfer @bob 1,000 for the "first" round', COMMANDS, resolve)
    assert (parsed.path, parsed.options) == (
        "transfer",
        {"member": "bob", "amount": 1000, "reason": "for the first round"},
    )
    parsed = parse('/transfer amount:5 reason:"two words" alice', COMMANDS, resolve)
    assert parsed.options == {"member": "alice", "amount": 5, "reason": "two words"}
    ask = {
        "ask": {
            "name": "ask",
            "options": [
                {"name": "prompt", "type": STRING, "required": True},
                {"name": "private", "type": BOOLEAN, "required": False},
            ],
        }
    }
    assert parse("/ask what is a buteco? private:yes", ask, resolve).options == {
        "prompt": "what is a buteco?",
        "private": True,
    }


def test_parse_subcommands_choices_and_booleans():
    assert parse("/bet list", COMMANDS, resolve).path == "bet list"
    parsed = parse("/bet place 7 YES public:yes", COMMANDS, resolve)
    assert (parsed.path, parsed.options) == ("bet place", {"event": 7, "outcome": "yes", "public": True})


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/bet", "usage: /bet <list|place> ..."),
        ("/bet place 7", "missing outcome"),
        ("/bet place 7 maybe", "outcome must be one of: yes, no"),
        ("/transfer @bob lots", "amount must be integer, not 'lots'"),
        ("/transfer @zed 5", "no member called '@zed' here"),
        ("/transfer @bob 5 x y", None),
        ("/bet place 7 yes true extra", "too many values"),
        ("/nope", "/nope is not a command here"),
        ('/transfer "@bob', "cannot read that line"),
    ],
)
def test_parse_explains_mistakes(line, message):
    if message is None:
        assert parse(line, COMMANDS, resolve).options["reason"] == "x y"
        return
    with pytest.raises(ParseError, match=message.replace("|", r"\|").replace("(", r"\(")):
        parse(line, COMMANDS, resolve)


def test_humanize_markup():
    text = humanize("**5** coins to <@42>, at <t:0:f>, <t:99999999999:R>", {42: "bob"})
    assert text.startswith("5 coins to @bob, at 19") and text.endswith("min") and "in " in text


def test_humanize_reads_the_bots_escapes_as_typed():
    shown = humanize("beer\\_night \\[prize\\](https\\://evil.example) @\u200beveryone a\\\\b", {})
    assert shown == "beer_night [prize](https://evil.example) @everyone a\\b"


class Form(discord.ui.Modal, title="Your order"):
    drink = discord.ui.TextInput(label="Drink")
    note = discord.ui.TextInput(label="Note", required=False, style=discord.TextStyle.paragraph)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"{self.drink.value} ({self.note.value or 'no note'})")


class Pick(discord.ui.View):
    @discord.ui.select(
        placeholder="Size",
        options=[discord.SelectOption(label="Small", value="s"), discord.SelectOption(label="Large", value="l")],
    )
    async def size(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        await interaction.response.edit_message(content=f"size {select.values[0]}", view=None)

    @discord.ui.button(label="Order")
    async def order(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.send_modal(Form())


async def test_console_buttons_selects_and_modals():
    world = await World.create()
    restore = world.emulator.configure_discord_py()
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05)

    @bot.tree.command(name="menu", description="What to drink")
    async def menu(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pick one", view=Pick())

    await bot.login(world.emulator.token)
    task = asyncio.create_task(bot.connect())
    try:
        await world.emulator.wait_until_ready()
        bot.tree.copy_global_to(guild=world.guild)
        await bot.tree.sync(guild=world.guild)
        script = io.StringIO("/menu\n2\nbeer\n\n/menu\n1 large\n3\n/as bob\n/commands\n")
        out = io.StringIO()
        await Console(world, LineReader(script), out).run()
        text = out.getvalue()
    finally:
        await bot.close()
        await task
        await world.emulator.stop()
        restore()
    assert "pick one\n[1] select: Size (Small, Large)\n[2] Order" in text, text
    assert "[Buteco] form: Your order (* = required)" in text, text
    assert "  Drink *: beer" in text and "  Note: " in text and "beer (no note)" in text, text
    assert "size l" in text and "the last reply has no choice [3]" not in text, text
    assert "the last reply has no buttons" in text, text
    assert "You are now bob." in text and "/menu — What to drink" in text, text


class Settle(discord.ui.View):
    @discord.ui.button(label="Settle")
    async def settle(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        member = interaction.user
        allowed = isinstance(member, discord.Member) and member.guild_permissions.manage_guild
        text = "settled" if allowed else f"{member.name} may not settle"
        await interaction.response.send_message(text, ephemeral=not allowed)


async def test_console_locales_and_pressing_another_members_public_message():
    world = await World.create()
    restore = world.emulator.configure_discord_py()
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05)

    @bot.tree.command(name="where", description="Languages Discord sent")
    async def where(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"member {interaction.locale} · server {interaction.guild_locale}")

    @bot.tree.command(name="bet", description="A public prompt only admins may settle")
    async def bet(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("bet #1", view=Settle())
        await interaction.channel.send("📣 bet #1 is open", view=Settle())

    await bot.login(world.emulator.token)
    task = asyncio.create_task(bot.connect())
    try:
        await world.emulator.wait_until_ready()
        bot.tree.copy_global_to(guild=world.guild)
        await bot.tree.sync(guild=world.guild)
        lines = "/locale pt-br\n/where\n/locale server es-ES\n/locale xx\n/as joão\n/where\n/as alice\n/bet\n"
        lines += "/as bob\n/on alice\n/on alice 1\n/on carol 1\n/on #general 1\n/as alice\n1\n"
        out = io.StringIO()
        await Console(world, LineReader(io.StringIO(lines)), out).run()
        text = out.getvalue()
        guild_locale = bot.get_guild(world.guild.id).preferred_locale
    finally:
        await bot.close()
        await task
        await world.emulator.stop()
        restore()
    assert "alice uses pt-BR." in text and "member pt-BR · server en-US" in text, text
    assert "'Buteco (local)' uses es-ES." in text and str(guild_locale) == "es-ES", text
    assert "'xx' is not a Discord locale" in text, text
    assert "joão joined" in text and "member en-US · server es-ES" in text, text
    assert "bob> /on alice\n[Buteco]\nbet #1\n[1] Settle" in text, text
    assert "bob may not settle" in text and "carol has no public reply here yet" in text, text
    assert "bob> /on #general 1\n[Buteco] (ephemeral)\nbob may not settle" in text, text
    assert "alice> 1\n[Buteco]\nsettled" in text, text


async def test_console_prints_what_the_emulator_refused_as_it_happens():
    world = await World.create()
    out = io.StringIO()
    reporter = asyncio.ensure_future(world.report_violations(lambda line: print(line, file=out), every=0.05))
    try:
        await asyncio.sleep(0.01)  # the reporter starts counting from what is already there
        world.emulator.state.violate("heartbeat_late", "heartbeat 2.0 s late: the bot's event loop was blocked")
        await asyncio.sleep(0.2)
    finally:
        reporter.cancel()
        await world.emulator.stop()
    assert (
        out.getvalue() == "! Discord emulator: heartbeat_late: heartbeat 2.0 s late: the bot's event loop was blocked\n"
    )
