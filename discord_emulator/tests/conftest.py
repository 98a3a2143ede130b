"""A real discord.py bot with one command per interaction style, logged into a running emulator."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import discord
import pytest_asyncio
from discord import app_commands
from discord.ext import commands

from discord_emulator import MANAGE_GUILD, Emulator, Guild, Member

COINS = ["Bitcoin", "Bitcoin Cash", "Ethereum", "Dogecoin", "Litecoin"]
LATE_DELAY = 0.4


class VoteView(discord.ui.View):
    """Yes edits the message in place (type 7); No defers (type 6) then edits ``@original``."""

    def __init__(self) -> None:
        super().__init__(timeout=60)

    @discord.ui.button(label="Yes", style=discord.ButtonStyle.success, custom_id="vote:yes")
    async def yes(self, interaction: discord.Interaction, button: discord.ui.Button[VoteView]) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        await interaction.response.edit_message(content=f"{interaction.user.display_name} voted yes", view=self)

    @discord.ui.button(label="No", style=discord.ButtonStyle.danger, custom_id="vote:no")
    async def no(self, interaction: discord.Interaction, button: discord.ui.Button[VoteView]) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content="someone voted no", view=None)


class CoinPicker(discord.ui.View):
    """A string select whose callback answers with the picked values."""

    @discord.ui.select(
        custom_id="pick:coin",
        placeholder="Choose coins",
        min_values=1,
        max_values=2,
        options=[discord.SelectOption(label=c, value=c.lower()) for c in COINS[:3]],
    )
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select[CoinPicker]) -> None:
        await interaction.response.send_message(f"picked {', '.join(select.values)}", ephemeral=True)


class Feedback(discord.ui.Modal, title="Feedback"):
    """A legacy row input plus a Label-wrapped paragraph, the two layouts discord.py emits."""

    name: discord.ui.TextInput[Feedback] = discord.ui.TextInput(label="Name", max_length=20)
    body: discord.ui.Label[Feedback] = discord.ui.Label(
        text="Body", component=discord.ui.TextInput(style=discord.TextStyle.paragraph, required=False)
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        assert isinstance(self.body.component, discord.ui.TextInput)
        await interaction.response.send_message(
            f"thanks {self.name.value}: {self.body.component.value}", ephemeral=True
        )


class ButecoTestBot(commands.Bot):
    """Collects command errors so tests can assert on what discord.py raised."""

    def __init__(self) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned, intents=discord.Intents.default(), guild_ready_timeout=0.05
        )
        self.errors: list[BaseException] = []

    async def setup_hook(self) -> None:
        install_commands(self)

        async def on_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
            self.errors.append(error.original if isinstance(error, app_commands.CommandInvokeError) else error)

        self.tree.on_error = on_error  # type: ignore[method-assign]


def install_commands(bot: commands.Bot) -> None:
    """Register the test commands on the bot's tree."""
    tree = bot.tree

    @tree.command(description="Say hello")
    async def hello(interaction: discord.Interaction) -> None:
        embed = discord.Embed(title="Hello", description=f"Hi {interaction.user.display_name}")
        embed.add_field(name="Locale", value=interaction.locale.value)
        await interaction.response.send_message(f"hello {interaction.user.display_name}", embed=embed)

    @tree.command(description="Defer, work, then follow up")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await asyncio.sleep(0.05)
        await interaction.followup.send("finished")

    @tree.command(description="Defer ephemerally, then edit the original")
    async def report(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        await interaction.edit_original_response(content="report ready")

    @tree.command(description="Only you can see this")
    async def secret(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("psst", ephemeral=True)

    @tree.command(description="Start a vote")
    async def vote(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Vote now", view=VoteView())

    @tree.command(description="Send feedback")
    async def feedback(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Feedback())

    @tree.command(description="Look up a coin")
    @app_commands.describe(name="Coin name")
    async def coin(interaction: discord.Interaction, name: str) -> None:
        await interaction.response.send_message(f"coin {name}")

    @coin.autocomplete("name")
    async def coin_names(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=c, value=c) for c in COINS if current.lower() in c.lower()]

    @tree.command(description="Pay someone")
    async def pay(
        interaction: discord.Interaction, member: discord.Member, amount: app_commands.Range[int, 1, 1000]
    ) -> None:
        await interaction.response.send_message(f"paid {amount} to {member.display_name} ({member.id})")

    bank = app_commands.Group(name="bank", description="Bank commands")

    @bank.command(description="Show your balance")
    async def balance(interaction: discord.Interaction, public: bool = False) -> None:
        await interaction.response.send_message("balance 0", ephemeral=not public)

    tree.add_command(bank)

    @tree.command(description="Guild settings")
    @app_commands.default_permissions(manage_guild=True)
    async def settings(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"admin ok {interaction.permissions.manage_guild}")

    @tree.command(description="Answers after the acknowledgement window")
    async def late(interaction: discord.Interaction) -> None:
        await asyncio.sleep(LATE_DELAY)
        await interaction.response.send_message("too late")

    @tree.command(description="Announce in the channel")
    async def announce(interaction: discord.Interaction, text: str) -> None:
        assert isinstance(interaction.channel, discord.TextChannel)
        await interaction.channel.send(f"ANNOUNCEMENT: {text}")
        await interaction.response.send_message("announced", ephemeral=True)

    @tree.command(description="An embed over the field limit")
    async def overflow(interaction: discord.Interaction) -> None:
        embed = discord.Embed(title="too many")
        for i in range(26):
            embed.add_field(name=f"f{i}", value="v")
        try:
            await interaction.response.send_message(embed=embed)
        except discord.HTTPException as error:
            await interaction.response.send_message(f"rejected {error.code}", ephemeral=True)

    @tree.command(description="Pick coins")
    async def pick(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Pick", view=CoinPicker())

    @tree.command(description="Upload a receipt")
    async def receipt(interaction: discord.Interaction) -> None:
        file = discord.File(io.BytesIO(b"total: 42"), filename="receipt.txt", description="Your receipt")
        await interaction.response.send_message("here it is", file=file)

    @tree.context_menu(name="Show balance")
    async def show_balance(interaction: discord.Interaction, member: discord.Member) -> None:
        await interaction.response.send_message(f"{member.display_name} has 0", ephemeral=True)

    @tree.command(description="Get a direct message")
    async def dm(interaction: discord.Interaction) -> None:
        await interaction.user.send("a private hello")
        await interaction.response.send_message("check your DMs", ephemeral=True)

    @tree.command(description="Followups, edits and fetching the original")
    async def count(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("counting")
        message = await interaction.followup.send("1", wait=True)
        await message.edit(content="2")
        original = await interaction.original_response()
        await interaction.followup.send(f"original was {original.content}", ephemeral=True)


@dataclass
class World:
    """The running emulator, the logged-in bot and the people in the guild."""

    emulator: Emulator
    bot: ButecoTestBot
    guild: Guild
    alice: Member
    bob: Member
    carol: Member
    synced: list[app_commands.AppCommand]


async def eventually(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    """Poll a bot-side condition the emulator cannot signal."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


def kinds(world: World, start: int = 0) -> list[str]:
    """Violation kinds recorded since ``start``."""
    return [v.kind for v in world.emulator.violations[start:]]


async def start_bot(emulator: Emulator, bot: commands.Bot | commands.AutoShardedBot) -> asyncio.Task[None]:
    """Log in for real and connect in the background, returning once both sides are ready."""
    await bot.login(emulator.token)
    task = asyncio.create_task(bot.connect())
    try:
        await emulator.wait_until_ready(timeout=5)
        await asyncio.wait_for(bot.wait_until_ready(), timeout=5)
    except BaseException:
        await stop_bot(bot, task)
        raise
    return task


async def stop_bot(bot: commands.Bot | commands.AutoShardedBot, task: asyncio.Task[None]) -> None:
    """Close the bot and make sure its HTTP session really closed."""
    await bot.close()
    await asyncio.wait_for(task, timeout=5)
    assert bot.http._HTTPClient__session.closed  # type: ignore[attr-defined]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def world() -> AsyncIterator[World]:
    """One emulator and one bot shared by a test module (keeps the suite fast)."""
    emulator = Emulator()
    await emulator.start()
    restore = emulator.configure_discord_py()
    guild = emulator.add_guild("Buteco Test")
    alice = emulator.add_member(guild, name="alice", locale="pt-BR")
    bob = emulator.add_member(guild, name="bob")
    carol = emulator.add_member(guild, name="carol", permissions=MANAGE_GUILD)
    bot = ButecoTestBot()
    task = await start_bot(emulator, bot)
    synced = await bot.tree.sync()
    try:
        yield World(emulator, bot, guild, alice, bob, carol, synced)
    finally:
        await stop_bot(bot, task)
        await emulator.stop()
        restore()
