"""What bets look like in Discord: pools and odds, the payout preview and the settlement announcement."""

# Titles, descriptions and outcome labels are members' text: escaped where Discord renders markdown (messages,
# embeds), raw where it shows plain text (autocomplete choices, buttons, modal titles).

from __future__ import annotations

from typing import Any

import discord

from ..core.embeds import COLOR, MAX_DESCRIPTION, clip, paginate
from ..core.format import decimal
from ..core.format import when as format_when
from ..core.i18n import t
from ..core.text import escape
from .common import coins

MAX_WINNERS_LISTED = 20
ACTIVE = ("open", "locked")


def when(value: str | None, style: str = "R") -> str:
    """An ISO timestamp as a Discord timestamp, rendered in each reader's own timezone."""
    return format_when(value, style) if value else "—"


def status_of(locale: str, status: str) -> str:
    return t(locale, f"bets.status.{status}", default=status)


def choice_name(event: dict[str, Any], locale: str) -> str:
    """An autocomplete entry: Discord allows 100 characters, so the title is what gets clipped."""
    suffix = f" · {status_of(locale, event['status'])} · {coins(event['total_pool'])}"
    return clip(f"#{event['id']} · {event['title']}", 100 - len(suffix)) + suffix


def _odds(locale: str, outcome: dict[str, Any], total: int) -> str:
    if not outcome.get("odds"):
        return t(locale, "bets.no_odds")
    return t(locale, "bets.odds", odds=decimal(outcome["odds"], locale), chance=round(100 * outcome["pool"] / total))


def event_pages(event: dict[str, Any], locale: str) -> list[discord.Embed]:
    """The event with every outcome's pool, bettors and implied odds, split within Discord's embed limits."""
    lines = [
        escape(event["description"] or ""),
        t(
            locale,
            "bets.status_line",
            status=status_of(locale, event["status"]),
            pool=coins(event["total_pool"]),
            bettors=event["bettors"],
        ),
    ]
    if event.get("closes_at") and event["status"] == "open":
        lines.append(t(locale, "bets.closes", when=when(event["closes_at"])))
    winner = next((o for o in event["outcomes"] if o["id"] == event.get("winning_outcome_id")), None)
    if winner is not None:
        lines.append(t(locale, "bets.winner", label=escape(winner["label"])))
    fields = [
        (
            f"{o['position']}. {escape(o['label'])}",
            t(
                locale,
                "bets.outcome_value",
                pool=coins(o["pool"]),
                bettors=o["bettors"],
                odds=_odds(locale, o, event["total_pool"]),
            ),
        )
        for o in event["outcomes"]
    ]
    return paginate(f"#{event['id']} · {escape(event['title'])}", fields, description="\n".join(filter(None, lines)))


def list_embed(events: list[dict[str, Any]], locale: str) -> discord.Embed:
    """One page of open events, one field each (a page is small enough for a single embed)."""
    fields = [
        (
            f"#{e['id']} · {escape(e['title'])}",
            t(locale, "bets.list_value", pool=coins(e["total_pool"]), bettors=e["bettors"], outcomes=len(e["outcomes"]))
            + (" · " + t(locale, "bets.closes", when=when(e["closes_at"])) if e.get("closes_at") else ""),
        )
        for e in events
    ]
    description = t(locale, "bets.list_hint") if events else t(locale, "bets.list_empty")
    return paginate(t(locale, "bets.list_title"), fields, description=description)[0]


def mine_embed(bets: list[dict[str, Any]], locale: str) -> discord.Embed:
    """One page of the member's bets with their results."""
    lines = [bet_line(bet, locale) for bet in bets]
    return discord.Embed(
        title=t(locale, "bets.mine_title"),
        colour=discord.Colour.blurple(),
        description=clip("\n".join(lines), MAX_DESCRIPTION) or t(locale, "bets.mine_empty"),
    )


def preview_embed(
    event: dict[str, Any], outcome: dict[str, Any], quote: dict[str, Any], balance: int, locale: str
) -> discord.Embed:
    """The stake, the payout bet_api priced as settlement pays (a raise counts the whole stake) and the balance."""
    values = {
        "amount": coins(quote["amount"]),
        "label": escape(outcome["label"]),
        "payout": coins(quote["payout"]),
        "before": coins(quote["stake_before"]),
        "after": coins(quote["stake_after"]),
        "balance": coins(balance - quote["amount"]),
    }
    text = t(locale, "bets.preview_raise" if quote["stake_before"] else "bets.preview", **values)
    return discord.Embed(title=clip(f"#{event['id']} · {escape(event['title'])}", 256), description=text, colour=COLOR)


def placed_embed(bet: dict[str, Any], amount: int, replayed: bool, locale: str) -> discord.Embed:
    key = "bets.placed_replayed" if replayed else "bets.placed"
    text = t(locale, key, amount=coins(amount), label=escape(bet["outcome_label"]), total=coins(bet["amount"]))
    return discord.Embed(
        title=clip(f"#{bet['event_id']} · {escape(bet['event_title'])}", 256),
        description=text,
        colour=discord.Colour.green(),
    )


def _recipients(settlement: dict[str, Any], locale: str) -> list[str]:
    """Members who received coins, largest first, then "and K more" for the other recipients bet_api counted."""
    paid = sorted(
        (p for p in settlement.get("top_payouts") or [] if p.get("user_id") and p["amount"] > 0),
        key=lambda p: -p["amount"],
    )[:MAX_WINNERS_LISTED]
    lines = [t(locale, "bets.payout_line", member=f"<@{p['user_id']}>", amount=coins(p["amount"])) for p in paid]
    if settlement["recipients"] > len(paid) and paid:
        lines.append(t(locale, "bets.more", count=settlement["recipients"] - len(paid)))
    return lines


def closed_embed(settlement: dict[str, Any], locale: str) -> discord.Embed:
    """The public announcement of a settlement or cancellation: what happened and who got how much."""
    event = settlement["event"]
    cancelled = event["status"] == "cancelled"
    winner = next((o for o in event["outcomes"] if o["id"] == event.get("winning_outcome_id")), None)
    values = {
        "label": escape(winner["label"]) if winner else "",
        "pool": coins(event["total_pool"]),
        "paid": coins(settlement["paid_out"]),
        "recipients": settlement["recipients"],
    }
    if settlement["outcome"] == "no_bets":
        key = "cancelled_no_bets" if cancelled else "no_bets"
    else:
        key = "cancelled" if cancelled else settlement["outcome"]
    lines = [t(locale, f"bets.closed.{key}", **values), *_recipients(settlement, locale)]
    title = t(
        locale,
        "bets.cancelled_title" if cancelled else "bets.settled_title",
        id=event["id"],
        title=escape(event["title"]),
    )
    colour = discord.Colour.light_grey() if cancelled else discord.Colour.gold()
    return discord.Embed(title=clip(title, 256), description=clip("\n".join(lines), MAX_DESCRIPTION), colour=colour)


def bet_line(bet: dict[str, Any], locale: str) -> str:
    """One of the member's bets, with its result (or that it is still open)."""
    result = t(
        locale,
        f"bets.result.{bet['result']}",
        payout=coins(bet.get("payout") or 0),
        status=status_of(locale, bet["event_status"]),
    )
    pending = t(locale, "bets.pending_stake", amount=coins(bet["pending_amount"])) if bet["pending_amount"] else ""
    return (
        t(
            locale,
            "bets.mine_line",
            event=bet["event_id"],
            title=clip(escape(bet["event_title"]), 80),
            label=escape(bet["outcome_label"]),
            amount=coins(bet["amount"]),
            result=result,
        )
        + pending
    )
