"""The steps of /bet a member takes in the emulator, and direct reads of the services to check what moved."""

from __future__ import annotations

import re
import secrets
from typing import Any

import httpx

from buteco_dev.credentials import auth_headers
from buteco_dev.processes import ServiceProcess
from buteco_dev.seed import fund_member
from discord_emulator import InteractionRecord, Member, Message, component_choices

from .conftest import ACK_LIMIT_S, Services, World, text_of

CONFIRM = {"en-US": "Confirm", "pt-BR": "Confirmar"}


def call(method: str, url: str, body: Any = None, **headers: str) -> httpx.Response:
    return httpx.request(method, url, json=body, headers=auth_headers(**headers), trust_env=False, timeout=10)


def fund(services: Services, guild_id: int, member: Member, amount: int) -> None:
    """Register the member and credit coins to them straight through client_api and balance_api (as coin_api)."""
    call("POST", f"{services.client.url}/users", {"discord_id": str(member.id), "display_name": member.user.username})
    moved = fund_member(services.balance.url, guild_id, member.id, amount, key=f"test:{secrets.token_hex(8)}")
    assert moved.status_code == 201, moved.text


def balances(services: Services, world: World) -> dict[str, int | None]:
    return {
        m.user.username: services.balance_of(world.guild.id, m.id)
        for m in (world.admin, world.alice, world.bob, world.stranger)
    }


def escrow(services: Services, guild_id: int, event_id: int) -> int:
    found = call("GET", f"{services.balance.url}/guilds/{guild_id}/system/escrow:bet:{event_id}/balance")
    return found.json()["balance"] if found.status_code == 200 else 0


def event(bet: ServiceProcess, guild_id: int, event_id: int) -> dict[str, Any]:
    return call("GET", f"{bet.url}/guilds/{guild_id}/events/{event_id}").json()


async def answered(world: World, record: InteractionRecord) -> InteractionRecord:
    """Like World.run/click: the first response came within Discord's 3 s."""
    world.records.append(record)
    await record.wait_for_response(ACK_LIMIT_S + 0.5)
    assert record.latency is not None and record.latency < ACK_LIMIT_S, record.latency
    return record


async def create(world: World, title: str, outcomes: str, **options: Any) -> int:
    record = await world.run("bet create", {"title": title, "outcomes": outcomes, **options}, user=world.admin)
    ack = await record.wait_for_original()
    assert ack.ephemeral, text_of(ack)
    event_id = int(re.search(r"#(\d+)", ack.content).group(1))
    announcement = (await record.wait_for_followups(2))[1]
    assert not announcement.ephemeral and f"/bet place {event_id}" in announcement.content
    return event_id


async def preview(world: World, member: Member, event_id: int, label: str, stake: str) -> InteractionRecord:
    """/bet place → the outcome's button → the stake form; returns the form's submission."""
    record = await world.run("bet place", {"event": event_id}, user=member)
    picker = await record.wait_for_original()
    assert picker.ephemeral
    click = await world.click(picker, label, user=member)
    assert click.modal is not None, click.callbacks
    return await answered(world, await world.emulator.submit_modal(click, {"stake": stake}))


def confirm_prompt(record: InteractionRecord) -> Message | None:
    message = record.original
    labels = {c.label for c in component_choices(message)} if message else set()
    return message if labels & set(CONFIRM.values()) else None


def placed(record: InteractionRecord) -> Message | None:
    return record.original if "✅" in text_of(record.original) else None


async def prompt_for(world: World, member: Member, event_id: int, label: str, stake: int | str) -> Message:
    """Everything up to the payout preview with its Confirm/Cancel buttons."""
    return await (await preview(world, member, event_id, label, str(stake))).wait_until(confirm_prompt, 5)


async def place(world: World, member: Member, event_id: int, label: str, stake: int) -> Message:
    prompt = await prompt_for(world, member, event_id, label, stake)
    return await (await world.click(prompt, CONFIRM[member.user.locale], user=member)).wait_until(placed, 5)


async def press_twice(world: World, message: Message, label: str, member: Member) -> InteractionRecord:
    """A double click: both presses reach the bot before it answered the first."""
    button = next(c for c in component_choices(message) if c.label == label).custom_id
    clicks = [await world.emulator.click(message, button, user=member) for _ in range(2)]
    for clicked in clicks:
        await answered(world, clicked)
    return clicks[0]


def quiz_events(bet: ServiceProcess, world: World, count: int) -> list[int]:
    """Many events at once, straight through bet_api, to fill the autocomplete and the list."""
    actor = {"actor_id": str(world.admin.id), "actor_is_admin": True}
    return [
        call(
            "POST",
            f"{bet.url}/guilds/{world.guild.id}/events",
            {**actor, "title": f"Quiz night {n}", "outcomes": ["Yes", "No"]},
            idempotency_key=f"quiz-{n}",
        ).json()["id"]
        for n in range(count)
    ]


def admin_action(bet: ServiceProcess, world: World, event_id: int, action: str) -> None:
    actor = {"actor_id": str(world.admin.id), "actor_is_admin": True}
    assert call("POST", f"{bet.url}/guilds/{world.guild.id}/events/{event_id}/{action}", actor).status_code == 200


async def choices(world: World, command: str, typed: str, member: Member) -> list[int]:
    record = await world.emulator.autocomplete(command, {"event": typed}, focused="event", user=member)
    return [c["value"] for c in (await answered(world, record)).choices]
