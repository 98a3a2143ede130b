"""Validated wire types shared by every service, so bad input is refused at the edge with a clear 422."""

import re
import unicodedata
from typing import Annotated, Any

from fastapi import Header, Path
from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer

SNOWFLAKE_MAX = 2**63 - 1
MAX_AMOUNT = 10**12
_DIGITS = re.compile(r"^[0-9]{1,19}$")


def _parse_snowflake(value: Any) -> int:
    """Discord sends ids as strings; accept those or plain integers, never floats or booleans."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError("must be a Discord id (a string of digits)")
    if isinstance(value, str):
        if not _DIGITS.match(value):
            raise ValueError("must be a Discord id (a string of digits)")
        value = int(value)
    if not 1 <= value <= SNOWFLAKE_MAX:
        raise ValueError("must be a Discord id between 1 and 2^63-1")
    return value


Snowflake = Annotated[int, BeforeValidator(_parse_snowflake), PlainSerializer(str, return_type=str)]
"""A Discord id in a body: validated as an int, sent back as a string as Discord does."""

SnowflakePath = Annotated[int, Path(ge=1, le=SNOWFLAKE_MAX, description="a Discord id")]

Amount = Annotated[int, Field(strict=True, ge=1, le=MAX_AMOUNT, description="a whole number of coins")]

IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9:_.\-]{1,200}$"

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="a key unique to this mutation; a replay returns the first result and moves nothing",
    ),
]

# Refused in every text a member or a service writes: C0/C1 controls (NUL breaks PostgreSQL, escapes corrupt logs and
# terminals), lone surrogates (not encodable as UTF-8), bidirectional overrides and isolates (U+202A-U+202E,
# U+2066-U+2069: "Trojan Source" text that reads differently than it is stored) and the BOM / zero-width no-break
# U+FEFF. A single line also refuses tab, newline and the Unicode line and paragraph separators.
_BIDI_AND_BOM = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")
_ALWAYS_REFUSED = frozenset({"Cc", "Cs"})
_LINE_BREAKS = frozenset({"Zl", "Zp"})


def _refuse_unclean(value: str, *, multiline: bool) -> str:
    """Name the first offending character and where it is, so the caller can find an invisible one."""
    for position, char in enumerate(value):
        if multiline and char in "\n\t":
            continue
        category = unicodedata.category(char)
        if char in _BIDI_AND_BOM or category in _ALWAYS_REFUSED or (not multiline and category in _LINE_BREAKS):
            breaks = not multiline and (category in _LINE_BREAKS or char in "\n\r")
            kind = "line break" if breaks else "control or bidi character"
            raise ValueError(f"must not contain a {kind} (U+{ord(char):04X} at position {position})")
    return value


def _clean_line(value: str) -> str:
    """Names, titles, labels, reasons: one line, shown as typed, never re-ordered by hidden characters."""
    return _refuse_unclean(value, multiline=False)


def _clean_text(value: str) -> str:
    """Descriptions and prompts: newlines and tabs allowed, nothing else invisible that controls rendering."""
    return _refuse_unclean(value, multiline=True)


CLEAN_LINE = AfterValidator(_clean_line)
"""Put after a field's length constraints: `Annotated[str, StringConstraints(max_length=100), CLEAN_LINE]`."""
CLEAN_TEXT = AfterValidator(_clean_text)

CleanLine = Annotated[str, CLEAN_LINE]
"""User text on one line; a control, bidi override or line break → 422 invalid_request naming the field."""

CleanText = Annotated[str, CLEAN_TEXT]
"""User text that may span lines (newline and tab); other controls and bidi overrides → 422."""

Reason = Annotated[Annotated[str, Field(max_length=200), CLEAN_LINE] | None, Field(default=None)]
