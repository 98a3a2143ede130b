"""Buttons, selects and modals: the emulator acts as the user clicking on recorded messages."""

from __future__ import annotations

import pytest

from discord_emulator import ComponentUnavailable, EmulatorError, component_choices, render_message, render_modal

from .conftest import World

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_button_click_edits_message_and_disables_buttons(world: World) -> None:
    emulator = world.emulator
    record = await emulator.invoke("vote", user=world.alice)
    await record.wait_for_response()
    message = record.original
    assert message is not None
    assert [(c.number, c.custom_id, c.label) for c in component_choices(message)] == [
        (1, "vote:yes", "Yes"),
        (2, "vote:no", "No"),
    ]
    assert "[1] Yes   [2] No" in render_message(message)
    click = await emulator.click(message, "vote:yes", user=world.bob)
    assert (await click.wait_for_response()).type == 7
    assert click.original is message and message.content == "bob voted yes"
    assert all(c.disabled for c in component_choices(message))
    assert "[1] Yes (disabled)" in render_message(message)
    with pytest.raises(ComponentUnavailable):
        await emulator.click(message, "vote:no", user=world.bob)


async def test_deferred_update_then_edit_original_changes_clicked_message(world: World) -> None:
    record = await world.emulator.invoke("vote", user=world.alice)
    await record.wait_for_response()
    click = await world.emulator.click(record.original_message_id or 0, "vote:no", user=world.carol)
    assert (await click.wait_for_response()).type == 6
    message = await click.wait_until(
        lambda r: r.original if r.original and r.original.content != "Vote now" else None, timeout=5
    )
    assert message.id == record.original_message_id
    assert message.content == "someone voted no" and message.components == []


async def test_select_menu_pick(world: World) -> None:
    emulator = world.emulator
    record = await emulator.invoke("pick", user=world.alice)
    await record.wait_for_response()
    assert record.original is not None
    [choice] = component_choices(record.original)
    assert choice.kind == "select" and [v for v, _ in choice.options] == ["bitcoin", "bitcoin cash", "ethereum"]
    assert "[1] select: Choose coins (Bitcoin, Bitcoin Cash, Ethereum)" in render_message(record.original)
    picked = await emulator.select(record.original, "pick:coin", ["bitcoin", "ethereum"], user=world.bob)
    await picked.wait_for_response()
    assert picked.original is not None and picked.original.content == "picked bitcoin, ethereum"
    with pytest.raises(ComponentUnavailable):
        await emulator.select(record.original, "pick:coin", ["tether"], user=world.bob)


async def test_ephemeral_components_belong_to_their_user(world: World) -> None:
    record = await world.emulator.invoke("pick", user=world.alice)
    await record.wait_for_response()
    picked = await world.emulator.select(record.original_message_id or 0, "pick:coin", ["bitcoin"], user=world.bob)
    await picked.wait_for_response()
    assert picked.original is not None and picked.original.ephemeral
    with pytest.raises(ComponentUnavailable):
        await world.emulator.click(picked.original, "pick:coin", user=world.alice)


async def test_modal_shown_and_submitted(world: World) -> None:
    emulator = world.emulator
    record = await emulator.invoke("feedback", user=world.alice)
    response = await record.wait_for_response()
    assert response.type == 9 and record.modal is not None and record.modal["title"] == "Feedback"
    name_id = record.modal["components"][0]["components"][0]["custom_id"]
    body_id = record.modal["components"][1]["component"]["custom_id"]
    assert render_modal(record.modal).splitlines() == [
        "## Feedback",
        f"- Name * [{name_id}]",
        f"- Body (paragraph) [{body_id}]",
    ]
    with pytest.raises(EmulatorError):
        await emulator.submit_modal(record, {"Body": "no name"})
    submitted = await emulator.submit_modal(record, {"Name": "Ana", "Body": "great bot"})
    answer = await submitted.wait_for_response()
    assert answer.type == 4 and answer.ephemeral
    assert submitted.original is not None and submitted.original.content == "thanks Ana: great bot"


async def test_components_were_valid(world: World) -> None:
    assert world.emulator.violations == []
