"""The pure pieces of /bet: parsing what members type, and embeds within Discord's limits (bet_api prices the
payout preview: bet_api/tests/test_quote.py)."""

from __future__ import annotations

import pytest

from buteco_bot.core.embeds import within_limits
from buteco_bot.core.errors import UserFacingError
from buteco_bot.extensions.bet_embeds import choice_name, closed_embed, event_pages
from buteco_bot.extensions.bet_views import parse_stake
from buteco_bot.extensions.bets import parse_outcomes

BIG = 10**12


def huge_event(status: str) -> dict:
    outcomes = [
        {"id": n, "position": n, "label": f"{n}" + "L" * 98, "pool": BIG // 25, "bettors": 760, "odds": 25.0}
        for n in range(1, 26)
    ]
    return {
        "id": 7,
        "title": "T" * 200,
        "description": "D" * 1000,
        "status": status,
        "closes_at": None,
        "winning_outcome_id": 1,
        "total_pool": BIG,
        "bettors": 19_000,
        "outcomes": outcomes,
    }


def test_what_members_type_is_checked_before_any_http_call() -> None:
    assert parse_outcomes(" Red | Blue |  | Draw ") == ["Red", "Blue", "Draw"]
    for bad in ("Only", "A | a", " | ".join(str(n) for n in range(26)), "x" * 101 + " | y"):
        with pytest.raises(UserFacingError):
            parse_outcomes(bad)
    assert parse_stake("1 000") == parse_stake("1.000") == parse_stake("1,000") == 1000
    for bad in ("0", "-5", "abc", "1e3", str(BIG + 1)):
        with pytest.raises(UserFacingError):
            parse_stake(bad)


def test_the_largest_event_fits_discord() -> None:
    event = huge_event("open")
    assert all(within_limits(page) for page in event_pages(event, "pt-BR"))
    choice = choice_name(event, "en-US")
    assert len(choice) <= 100 and choice.endswith("· open · 1 000 000 000 000")
    winners = [{"user_id": str(10**17 + n), "amount": 10**10 + n} for n in range(30)]
    settled = {**huge_event("settled"), "title": "Derby"}
    embed = closed_embed(
        {"event": settled, "outcome": "paid", "paid_out": BIG, "recipients": 30, "top_payouts": winners}, "en-US"
    )
    assert within_limits(embed) and embed.description.count("<@") == 20 and "and 10 more" in embed.description
    assert embed.description.index(str(10**17 + 29)) < embed.description.index(str(10**17 + 28)), "largest first"
