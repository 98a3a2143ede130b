"""The one way the bot writes numbers, signed amounts and times, so every reply in a locale reads the same.

Thousands are grouped by a space in every locale: `1 058` cannot be misread in either language, where `1,058` is
about a thousand in en-US and about one in pt-BR. The decimal mark follows the locale (`1.75` / `1,75`), and
times are Discord timestamps, which each reader's client shows in their own language and timezone.
"""

from __future__ import annotations

from datetime import datetime

import discord

from .i18n import locale_of

GROUP = " "
DECIMAL_MARK = {"en-US": ".", "pt-BR": ","}
MINUS = "-"


def number(value: int) -> str:
    """A whole number with its thousands grouped: 1 000 000."""
    return f"{value:,}".replace(",", GROUP)


def signed(value: int) -> str:
    """A money move as a statement shows it: +1 058, -1 100 (0 has no sign)."""
    sign = "+" if value > 0 else MINUS if value < 0 else ""
    return sign + number(abs(value))


def decimal(value: float, locale: discord.Locale | str | None, places: int = 2) -> str:
    """A fraction with the locale's decimal mark: 1.75 in en-US, 1,75 in pt-BR (thousands grouped as above)."""
    whole, _, fraction = f"{value:,.{places}f}".partition(".")
    mark = DECIMAL_MARK.get(locale_of(locale), ".")
    return whole.replace(",", GROUP) + (mark + fraction if fraction else "")


def milliseconds(value: float) -> str:
    """A latency: 12 ms, 1 204 ms."""
    return f"{number(round(value))} ms"


def when(value: str | datetime, style: str = "R") -> str:
    """A time from a service as a Discord timestamp, which each reader sees in their own language and timezone."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value.replace("Z", "+00:00"))
    return f"<t:{int(moment.timestamp())}:{style}>"
