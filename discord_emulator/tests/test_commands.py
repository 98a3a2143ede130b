"""Slash commands end to end: the real discord.py client answering through the emulator."""

from __future__ import annotations

import aiohttp
import pytest

from discord_emulator import MANAGE_GUILD, CommandUnavailable, EmulatorError, render_interaction, render_message

from .conftest import World

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_login_and_sync_register_commands(world: World) -> None:
    emulator = world.emulator
    names = {c.name for c in emulator.commands}
    assert names == {
        "hello",
        "slow",
        "report",
        "secret",
        "vote",
        "feedback",
        "coin",
        "pay",
        "bank",
        "settings",
        "late",
        "announce",
        "overflow",
        "count",
        "pick",
        "receipt",
        "Show balance",
        "dm",
    }
    assert {c.id for c in world.synced} == {c.id for c in emulator.commands}
    assert world.bot.application_id == emulator.application_id
    bank = next(c for c in emulator.commands if c.name == "bank")
    assert bank.options[0]["type"] == 1 and bank.options[0]["name"] == "balance"
    settings = next(c for c in emulator.commands if c.name == "settings")
    assert settings.default_member_permissions == MANAGE_GUILD
    versions = {c.id: c.payload["version"] for c in emulator.commands}
    await world.bot.tree.sync()
    assert {c.id: c.payload["version"] for c in emulator.commands} == versions


async def test_immediate_response_with_embed_and_locale(world: World) -> None:
    record = await world.emulator.invoke("hello", user=world.alice)
    response = await record.wait_for_response()
    assert response.type == 4 and not response.ephemeral
    assert record.latency is not None and record.latency < world.emulator.ack_timeout == 3.0
    message = record.original
    assert message is not None and message.type == 20 and message.interaction_id == record.id
    assert message.content == "hello alice"
    assert message.embeds[0]["title"] == "Hello"
    assert message.embeds[0]["fields"] == [{"name": "Locale", "value": "pt-BR", "inline": True}]
    assert render_message(message, "Buteco").splitlines()[:3] == ["[Buteco]", "hello alice", "+" + "-" * 40]


async def test_ephemeral_flag_is_recorded(world: World) -> None:
    record = await world.emulator.invoke("secret", user=world.bob)
    response = await record.wait_for_response()
    assert response.ephemeral and record.original is not None and record.original.ephemeral
    assert record.original.flags == 64 and record.original.visible_to == world.bob.id
    assert "(ephemeral)" in render_interaction(record)


async def test_defer_then_first_followup_fills_the_placeholder(world: World) -> None:
    record = await world.emulator.invoke("slow", user=world.alice)
    assert (await record.wait_for_response()).type == 5
    [followup] = await record.wait_for_followups(1)
    assert followup.id == record.original_message_id and followup.content == "finished"
    assert not followup.loading and followup.revisions[0]["flags"] == 128


async def test_defer_ephemeral_then_edit_original(world: World) -> None:
    record = await world.emulator.invoke("report", user=world.alice)
    response = await record.wait_for_response()
    assert response.type == 5 and response.ephemeral
    original = await record.wait_for_original()
    assert original.content == "report ready" and original.ephemeral and original.edited_timestamp is None


async def test_autocomplete_choices(world: World) -> None:
    emulator = world.emulator
    record = await emulator.autocomplete("coin", {"name": "bit"}, focused="name", user=world.bob)
    assert (await record.wait_for_response()).type == 8
    assert record.choices == [
        {"name": "Bitcoin", "value": "Bitcoin"},
        {"name": "Bitcoin Cash", "value": "Bitcoin Cash"},
    ]
    assert render_interaction(record) == "1. Bitcoin = 'Bitcoin'\n2. Bitcoin Cash = 'Bitcoin Cash'"
    chosen = await emulator.invoke("coin", {"name": "Bitcoin"}, user=world.bob)
    await chosen.wait_for_response()
    assert chosen.original is not None and chosen.original.content == "coin Bitcoin"


async def test_user_option_is_resolved_to_member(world: World) -> None:
    emulator = world.emulator
    record = await emulator.invoke("pay", {"member": world.bob, "amount": 5}, user=world.alice)
    await record.wait_for_response()
    assert record.original is not None and record.original.content == f"paid 5 to bob ({world.bob.id})"
    assert str(world.bob.id) in record.payload["data"]["resolved"]["members"]
    with pytest.raises(EmulatorError):
        await emulator.invoke("pay", {"member": world.bob, "amount": 0}, user=world.alice)


async def test_subcommand_options(world: World) -> None:
    private = await world.emulator.invoke("bank balance", user=world.alice)
    public = await world.emulator.invoke("bank balance", {"public": True}, user=world.alice)
    assert (await private.wait_for_response()).ephemeral
    assert not (await public.wait_for_response()).ephemeral
    assert public.payload["data"]["options"] == [
        {"type": 1, "name": "balance", "options": [{"type": 5, "name": "public", "value": True}]}
    ]


async def test_default_member_permissions_hide_admin_commands(world: World) -> None:
    emulator = world.emulator
    with pytest.raises(CommandUnavailable):
        await emulator.invoke("settings", user=world.bob)
    record = await emulator.invoke("settings", user=world.carol)
    await record.wait_for_response()
    assert record.original is not None and record.original.content == "admin ok True"
    assert int(record.payload["member"]["permissions"]) & MANAGE_GUILD


async def test_user_context_menu(world: World) -> None:
    record = await world.emulator.invoke("Show balance", user=world.alice, target=world.bob)
    await record.wait_for_response()
    assert record.payload["data"]["target_id"] == str(world.bob.id)
    assert record.original is not None and record.original.content == "bob has 0" and record.original.type == 23


async def test_command_in_direct_messages(world: World) -> None:
    record = await world.emulator.invoke("secret", user=world.alice.user)
    await record.wait_for_response()
    assert record.guild_id is None and record.payload["context"] == 1 and "user" in record.payload
    assert record.original is not None and record.original.content == "psst"


async def test_channel_send_is_recorded(world: World) -> None:
    emulator = world.emulator
    record = await emulator.invoke("announce", {"text": "pix is live"}, user=world.carol)
    message = await emulator.wait_for_message(lambda m: m.content.startswith("ANNOUNCEMENT"))
    assert message.content == "ANNOUNCEMENT: pix is live" and message.interaction_id is None and message.type == 0
    assert message.channel_id == world.guild.first_text_channel().id
    assert (await record.wait_for_response()).ephemeral


async def test_direct_message_from_the_bot(world: World) -> None:
    emulator = world.emulator
    record = await emulator.invoke("dm", user=world.bob)
    message = await emulator.wait_for_message(lambda m: m.guild_id is None and m.content == "a private hello")
    assert emulator.state.channels[message.channel_id].recipient_id == world.bob.id
    assert (await record.wait_for_response()).ephemeral


async def test_followup_edit_and_original_fetch(world: World) -> None:
    record = await world.emulator.invoke("count", user=world.alice)
    first, last = await record.wait_for_followups(2)
    assert first.content == "2" and first.revisions[0]["content"] == "1" and first.edited_timestamp is not None
    assert last.content == "original was counting" and last.ephemeral
    assert render_interaction(record).split("\n\n") == ["counting", "(edited)\n2", "(ephemeral)\noriginal was counting"]


async def test_file_upload_is_stored_and_served(world: World) -> None:
    record = await world.emulator.invoke("receipt", user=world.alice)
    await record.wait_for_response()
    assert record.original is not None
    [attachment] = record.original.attachments
    assert (attachment.filename, attachment.description, attachment.size) == ("receipt.txt", "Your receipt", 9)
    async with aiohttp.ClientSession() as session, session.get(attachment.url) as reply:
        assert await reply.read() == b"total: 42"
    assert render_message(record.original).splitlines() == ["here it is", "[file: receipt.txt (9 bytes)]"]


async def test_everything_so_far_was_valid(world: World) -> None:
    assert world.emulator.violations == []
