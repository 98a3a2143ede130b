"""allowed_mentions as the real discord.py client sends it: recorded on every message, with who it would ping."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import discord
import pytest
import pytest_asyncio

from discord_emulator import Pings
from discord_emulator.mentions import allowed_mentions_issues, pings

from .conftest import World, kinds

pytestmark = pytest.mark.asyncio(loop_scope="module")

ROLE = 4242


def install_mention_commands(tree: discord.app_commands.CommandTree) -> None:
    """Commands that say `text` through each way a bot answers, with or without allowed_mentions."""
    nobody = discord.AllowedMentions.none()

    @tree.command(description="Say it with discord.py's defaults (no allowed_mentions)")
    async def shout(interaction: discord.Interaction, text: str) -> None:
        await interaction.response.send_message(text)

    @tree.command(description="Say it pinging nobody")
    async def quiet(interaction: discord.Interaction, text: str) -> None:
        await interaction.response.send_message(text, allowed_mentions=nobody)

    @tree.command(description="Say it pinging only the given member")
    async def nudge(interaction: discord.Interaction, text: str, member: discord.Member) -> None:
        only = discord.AllowedMentions(everyone=False, roles=False, users=[member])
        await interaction.response.send_message(text, allowed_mentions=only)

    @tree.command(description="Defer, then fill the placeholder with a followup")
    async def later(interaction: discord.Interaction, text: str, ping: bool) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send(text, **({} if ping else {"allowed_mentions": nobody}))

    @tree.command(description="Answer quietly, then edit the answer with discord.py's defaults")
    async def sneak(interaction: discord.Interaction, text: str) -> None:
        await interaction.response.send_message("nothing here", allowed_mentions=nobody)
        await interaction.edit_original_response(content=text)

    @tree.command(description="Post in the channel through REST")
    async def post(interaction: discord.Interaction, text: str) -> None:
        assert isinstance(interaction.channel, discord.TextChannel)
        await interaction.channel.send(text, allowed_mentions=nobody)
        await interaction.response.send_message("posted", ephemeral=True)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def mentions_world(world: World) -> AsyncIterator[World]:
    install_mention_commands(world.bot.tree)
    await world.bot.tree.sync()
    yield world


async def said(world: World, command: str, text: str, **options: object) -> discord.Message:
    record = await world.emulator.invoke(command, {"text": text, **options}, user=world.carol)
    return await record.wait_for_original()


async def test_without_allowed_mentions_everything_in_the_content_pings(mentions_world: World) -> None:
    world = mentions_world
    message = await said(world, "shout", f"@everyone <@&{ROLE}> <@{world.bob.id}> <@!{world.alice.id}>")
    assert message.allowed_mentions is None
    assert message.pings == Pings(
        everyone=True, users=frozenset({world.bob.id, world.alice.id}), roles=frozenset({ROLE})
    )


async def test_none_pings_nobody_and_is_recorded_as_sent(mentions_world: World) -> None:
    world = mentions_world
    message = await said(world, "quiet", f"@here <@&{ROLE}> <@{world.bob.id}>")
    assert message.allowed_mentions == {"parse": []} and not message.pings
    assert message.content.startswith("@here")


async def test_an_explicit_user_is_the_only_ping(mentions_world: World) -> None:
    world = mentions_world
    text = f"@everyone <@{world.alice.id}> <@{world.bob.id}> <@&{ROLE}>"
    message = await said(world, "nudge", text, member=world.bob)
    assert message.allowed_mentions == {"parse": [], "users": [world.bob.id], "replied_user": True}
    assert message.pings == Pings(users=frozenset({world.bob.id}))


async def test_a_followup_filling_the_placeholder_pings_by_its_own_field(mentions_world: World) -> None:
    world = mentions_world
    loud = await said(world, "later", "@everyone", ping=True)
    assert loud.pings == Pings(everyone=True)
    hushed = await said(world, "later", "@everyone", ping=False)
    assert hushed.allowed_mentions == {"parse": []} and not hushed.pings


async def test_an_edit_that_lets_a_mention_through_is_counted(mentions_world: World) -> None:
    world = mentions_world
    record = await world.emulator.invoke("sneak", {"text": "@everyone"}, user=world.carol)
    edited = await record.wait_until(lambda r: r.original if r.original and r.original.revisions else None, 5)
    assert edited.revisions[-1]["allowed_mentions"] == {"parse": []}
    assert edited.allowed_mentions is None and edited.pings == Pings(everyone=True)


async def test_a_channel_message_records_its_field_too(mentions_world: World) -> None:
    world = mentions_world
    record = await world.emulator.invoke("post", {"text": f"hey <@{world.bob.id}>"}, user=world.carol)
    await record.wait_for_response()
    posted = await world.emulator.wait_for_message(lambda m: m.content == f"hey <@{world.bob.id}>")
    assert posted.interaction_id is None and posted.allowed_mentions == {"parse": []} and not posted.pings


async def test_discord_refuses_a_malformed_allowed_mentions(mentions_world: World) -> None:
    world = mentions_world
    start = len(world.emulator.violations)
    channel = world.guild.first_text_channel()
    url = f"{world.emulator.base_url}/channels/{channel.id}/messages"
    headers = {"Authorization": f"Bot {world.emulator.token}"}
    body = {"content": "hi", "allowed_mentions": {"parse": ["users"], "users": [str(world.bob.id)]}}
    async with aiohttp.ClientSession() as session, session.post(url, json=body, headers=headers) as reply:
        assert reply.status == 400
        error = await reply.json()
    assert error["code"] == 50035
    assert error["errors"]["allowed_mentions"]["_errors"][0]["code"] == "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE"
    assert kinds(world, start) == ["invalid_message"]
    assert not [m for m in world.emulator.messages(channel) if m.content == "hi"]


async def test_shape_checks() -> None:
    def codes(value: object) -> set[tuple[str, str]]:
        return {(i.path, i.code) for i in allowed_mentions_issues(value, "allowed_mentions")}

    assert codes(None) == set() and codes({"parse": []}) == set()
    assert codes({"parse": ["roles", "users", "everyone"], "replied_user": True}) == set()
    assert codes("everyone") == {("allowed_mentions", "DICT_TYPE_CONVERT")}
    assert codes({"parse": ["admins"]}) == {("allowed_mentions.parse.0", "BASE_TYPE_CHOICES")}
    assert codes({"parse": ["roles"], "roles": ["1"]}) == {
        ("allowed_mentions", "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE")
    }
    assert codes({"users": [str(n) for n in range(1, 102)]}) == {("allowed_mentions.users", "BASE_TYPE_MAX_LENGTH")}
    assert codes({"users": ["bob"], "replied_user": "yes"}) == {
        ("allowed_mentions.users.0", "NUMBER_TYPE_COERCE"),
        ("allowed_mentions.replied_user", "BASE_TYPE_BOOLEAN"),
    }


async def test_who_pings_by_the_rules() -> None:
    text = "@here <@1> <@&2> \\<@3> @\u200beveryone"
    assert pings(text, None) == Pings(True, frozenset({1, 3}), frozenset({2})), "escapes do not count as safe"
    assert not pings("@\u200beveryone @\u200bhere", None), "a zero-width space breaks the mention"
    assert pings(text, {"parse": ["everyone"]}) == Pings(everyone=True)
    assert pings(text, {"parse": ["users", "roles"]}) == Pings(False, frozenset({1, 3}), frozenset({2}))
    assert pings(text, {"users": ["3", "9"], "roles": ["5"]}) == Pings(users=frozenset({3}))
    assert pings("thanks", None, replied_user=7) == Pings(users=frozenset({7})), "a reply pings its author by default"
    assert not pings("thanks", {"parse": []}, replied_user=7)
    assert pings("thanks", {"replied_user": True}, replied_user=7) == Pings(users=frozenset({7}))
