"""What a member reads for a refusal: its numbers, a title that does not call their mistake our fault."""

from __future__ import annotations

import discord
from discord import app_commands

from buteco_bot.core.clients import ServiceRefused, ServiceUnavailable
from buteco_bot.core.errors import UserFacingError, describe, error_embed, is_refusal
from buteco_bot.core.help import needs_permissions, required_permissions, usable


def refused(code: str, status: int = 409, **body: object) -> ServiceRefused:
    return ServiceRefused("balance", status, code, "English detail", {"code": code, "detail": "English detail", **body})


def test_a_refusal_names_its_numbers_in_the_members_language() -> None:
    funds = refused("insufficient_funds", balance=1500, needed=2000)
    assert "your balance is **1 500** and this needs **2 000**" in describe(funds, "en-US")
    assert "seu saldo é **1 500** e isto precisa de **2 000**" in describe(funds, "pt-BR")
    limit = refused("amount_over_limit", 422, max_amount=1_000_000)
    assert describe(limit, "en-US") == "A transfer can move at most **1 000 000** coins."


def test_a_refusal_missing_a_number_falls_back_to_the_services_words() -> None:
    text = describe(refused("insufficient_funds"), "en-US")
    assert "English detail" in text and "{balance}" not in text


def test_only_our_faults_are_something_went_wrong() -> None:
    for mistake in (
        UserFacingError("errors.self_transfer"),
        refused("insufficient_funds", balance=1, needed=2),
        refused("not_admin", 403),
        app_commands.MissingPermissions(["manage_guild"]),
    ):
        assert is_refusal(mistake) and error_embed(mistake, "en-US").title == "That did not work", mistake
    for fault in (
        ServiceUnavailable("balance", "timeout"),
        refused("unauthorized", 401),
        refused("ledger_rejected", 502),
        app_commands.BotMissingPermissions(["send_messages"]),
        RuntimeError("bug"),
    ):
        assert not is_refusal(fault) and error_embed(fault, "en-US").title == "Something went wrong", fault
    assert error_embed(refused("event_locked"), "pt-BR").title == "Não deu certo"


def test_help_knows_who_may_use_a_command() -> None:
    @app_commands.command(name="settle", description="admins only")
    @needs_permissions(manage_guild=True)
    async def settle(interaction: discord.Interaction) -> None: ...

    @app_commands.command(name="list", description="everyone")
    async def listing(interaction: discord.Interaction) -> None: ...

    member, admin = discord.Permissions(send_messages=True), discord.Permissions(manage_guild=True)
    assert required_permissions(settle) == discord.Permissions(manage_guild=True) and settle.checks
    assert not usable(settle, member) and usable(settle, admin) and usable(settle, discord.Permissions.all())
    assert usable(listing, member) and usable(settle, None)
