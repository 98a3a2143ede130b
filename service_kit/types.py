"""Validated wire types shared by every service, so bad input is refused at the edge with a clear 422."""

import re
from typing import Annotated, Any

from fastapi import Header, Path
from pydantic import BeforeValidator, Field, PlainSerializer

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

Reason = Annotated[str | None, Field(default=None, max_length=200)]
