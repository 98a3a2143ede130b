"""Members' and services' text through the real bot: shown as typed, never as markdown, links or pings."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from aiohttp import web

from buteco_dev.credentials import auth_headers
from buteco_dev.processes import ServiceProcess
from discord_emulator import component_choices

from .bet_flows import answered, call, fund
from .conftest import Services, World, start_world, stop_world, text_of

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

ZWSP = "\u200b"
REASON = "[claim your prize](https://evil.example) @everyone ||spoiler||"
REASON_SHOWN = f"\\[claim your prize\\](https\\://evil.example) @{ZWSP}everyone \\|\\|spoiler\\|\\|"
SAID = "[x](https://evil.example) <@&1>"


def echo_manifest(url: str) -> str:
    """A declarative command whose template mixes its own markdown with a member's and a service's text."""
    return f'''name = "Echo"
version = "0.1.0"
[service]
url_env = "ECHO_URL"
default_url = "{url}"
[[commands]]
name = "echo"
description = "Say something in the channel"
path = "/echo"
response = "**{{user}}** says: {{options.msg}} · the service adds: {{said}}"
ephemeral = false
[[commands.options]]
name = "msg"
type = "string"
description = "What to say"
'''


@pytest.fixture(scope="module")
def env(services: Services, bet: ServiceProcess) -> dict[str, str]:
    return {**services.env(), "BET_API_URL": bet.url}


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def echo_service() -> AsyncIterator[str]:
    """A plugin service whose answer carries a masked link and a role mention."""

    async def echo(request: web.Request) -> web.Response:
        return web.json_response({"said": SAID})

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "service": "echo", "version": "0.1.0"})

    app = web.Application()
    app.router.add_get("/echo", echo)
    app.router.add_get("/health", health)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def world(env: dict[str, str], plugins_dir: Path, echo_service: str) -> AsyncIterator[World]:
    (plugins_dir / "echo.toml").write_text(echo_manifest(echo_service))
    running = await start_world(plugins_dir, env)
    try:
        yield running
    finally:
        await stop_world(running)


async def test_a_declarative_reply_with_everyone_posts_but_pings_nobody(world: World) -> None:
    message = await world.reply("echo", {"msg": "@everyone <@&1> **loud**"}, user=world.bob)
    assert not message.ephemeral, "posted in the channel, where a ping would reach everyone"
    assert message.content == (
        f"**bob** says: @{ZWSP}everyone \\<@&1\\> \\*\\*loud\\*\\* · "
        "the service adds: \\[x\\](https\\://evil.example) \\<@&1\\>"
    )
    assert message.allowed_mentions == {"parse": []} and not message.pings


async def test_a_transfer_reason_shows_escaped_in_the_recipients_statement(world: World, services: Services) -> None:
    services.grant(world.guild.id, world.alice.id, 100)
    await world.reply("register", user=world.bob)
    sent = await world.reply("transfer", {"member": world.bob.id, "amount": 5, "reason": REASON}, user=world.alice)
    assert "bob" in sent.content, text_of(sent)
    statement = text_of(await world.reply("statement", user=world.bob))
    assert REASON_SHOWN in statement and REASON not in statement
    stored = services.ledger(f"/guilds/{world.guild.id}/members/{world.bob.id}/statement")
    assert stored["items"][0]["reason"] == REASON, "the ledger keeps what was typed; only the display escapes it"


async def test_a_hidden_override_in_a_reason_is_dropped_and_the_transfer_goes_through(
    world: World, services: Services
) -> None:
    services.grant(world.guild.id, world.alice.id, 100)
    await world.reply("register", user=world.bob)
    sent = await world.reply(
        "transfer", {"member": world.bob.id, "amount": 3, "reason": "rent\u202e gnp"}, user=world.alice
    )
    assert "bob" in sent.content, text_of(sent)
    stored = services.ledger(f"/guilds/{world.guild.id}/members/{world.bob.id}/statement")
    assert stored["items"][0]["reason"] == "rent gnp", "the bot drops what the API would refuse"


async def test_display_names_are_escaped_and_cleaned_of_bidi_overrides(world: World, services: Services) -> None:
    star = world.emulator.add_member(world.guild, name="*star* @here")
    services.grant(world.guild.id, star.id, 10**6)
    board = text_of(await world.reply("leaderboard", user=star))
    assert f"**1.** \\*star\\* @{ZWSP}here — 1 000 000" in board
    trojan = world.emulator.add_member(world.guild, name="evil\u202egnp.exe")
    welcome = await world.reply("register", user=trojan)
    assert "Welcome" in welcome.content, text_of(welcome)
    stored = httpx.get(
        f"{services.client.url}/users/by-discord/{trojan.id}", headers=auth_headers(), trust_env=False, timeout=10
    ).json()
    assert stored["display_name"] == "evilgnp.exe", "the override is dropped, not sent to be refused"


async def test_a_bet_with_markdown_is_escaped_in_bet_info_and_plain_on_buttons(
    world: World, services: Services, bet: ServiceProcess
) -> None:
    guild_id, admin = world.guild.id, world.admin
    fund(services, guild_id, admin, 1)
    created = call(
        "POST",
        f"{bet.url}/guilds/{guild_id}/events",
        {
            "actor_id": str(admin.id),
            "actor_is_admin": True,
            "title": "**Derby** ~~night~~ [win](https://evil.example)",
            "description": "# Big\n- list <@&1>",
            "outcomes": ["*Red*", "_Blue_ @everyone"],
        },
        idempotency_key=f"mentions-{secrets.token_hex(6)}",
    )
    assert created.status_code == 201, created.text
    event_id = created.json()["id"]

    info = await world.reply("bet info", {"event": event_id}, user=world.bob)
    [embed] = info.embeds
    assert embed["title"] == f"#{event_id} · \\*\\*Derby\\*\\* \\~\\~night\\~\\~ \\[win\\](https\\://evil.example)"
    assert embed["description"].startswith("\\# Big\n\\- list \\<@&1\\>")
    assert [f["name"] for f in embed["fields"]] == ["1. \\*Red\\*", f"2. \\_Blue\\_ @{ZWSP}everyone"]

    record = await world.emulator.autocomplete("bet info", {"event": f"#{event_id}"}, focused="event", user=world.bob)
    choice = (await answered(world, record)).choices[0]
    assert "**Derby** ~~night~~" in choice["name"], "autocomplete shows plain text: nothing to escape"
    picker = await world.reply("bet place", {"event": event_id}, user=world.bob)
    assert [c.label for c in component_choices(picker)] == ["1. *Red*", "2. _Blue_ @everyone"], "buttons are plain"


async def test_nothing_the_bot_sent_pinged_anyone(world: World) -> None:
    sent = [m for m in world.emulator.messages() if m.author_id == world.emulator.bot_user.id]
    assert sent and all(m.allowed_mentions == {"parse": []} for m in sent if not m.loading)
    assert not [m.content for m in sent if m.pings]
    assert not world.emulator.violations
