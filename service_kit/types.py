"""Validated wire types shared by every service, so bad input is refused at the edge with a clear 422."""

import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Header, Path
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainSerializer,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

SNOWFLAKE_MAX = 2**63 - 1
MAX_AMOUNT = 10**12


def _decimal_up_to(limit: int) -> str:
    """A regex for the decimal numbers 1..limit without a leading zero, so a schema states the range of a string."""
    digits = str(limit)
    shorter = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    same_length = []
    for position, digit in enumerate(digits):
        lowest = 1 if position == 0 else 0
        if int(digit) > lowest:
            rest = len(digits) - position - 1
            same_length.append(f"{digits[:position]}[{lowest}-{int(digit) - 1}]" + (f"[0-9]{{{rest}}}" if rest else ""))
    return "^(?:" + "|".join([*shorter, *same_length, digits]) + ")$"


SNOWFLAKE_PATTERN = _decimal_up_to(SNOWFLAKE_MAX)
"""1 to 2^63-1 in decimal digits, without a sign, a space, a leading zero or a fraction."""
_SNOWFLAKE = re.compile(SNOWFLAKE_PATTERN)
_CANONICAL_DIGITS = re.compile(r"0|[1-9][0-9]{0,18}")
# 2^63 is exact as a float (the OpenAPI model stores bounds as floats), where 2^63-1 would round up to it
_SNOWFLAKE_SCHEMA = {"type": "integer", "minimum": 1, "exclusiveMaximum": SNOWFLAKE_MAX + 1}


def _parse_snowflake(value: Any) -> int:
    """Discord sends ids as strings; accept those or plain integers, never floats or booleans."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError("must be a Discord id (a string of digits)")
    if isinstance(value, str):
        if not _SNOWFLAKE.fullmatch(value):
            raise ValueError("must be a Discord id (a string of digits between 1 and 2^63-1)")
        value = int(value)
    if not 1 <= value <= SNOWFLAKE_MAX:
        raise ValueError("must be a Discord id between 1 and 2^63-1")
    return value


def _digits_only(value: Any) -> Any:
    """An id in a URL is its digits alone: `1.0`, `+1`, ` 1` or `01` name no row, so they are refused, not read as 1."""
    if isinstance(value, str) and not _CANONICAL_DIGITS.fullmatch(value):
        raise ValueError("must be a whole number in plain digits (no sign, space, fraction or leading zero)")
    return value


Snowflake = Annotated[
    int,
    BeforeValidator(_parse_snowflake),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "pattern": SNOWFLAKE_PATTERN}, _SNOWFLAKE_SCHEMA],
            "description": "a Discord id: digits in a string (as Discord sends it) or an integer",
        },
        mode="validation",
    ),
    WithJsonSchema(
        {"type": "string", "pattern": SNOWFLAKE_PATTERN, "description": "a Discord id, in a string"},
        mode="serialization",
    ),
]
"""A Discord id in a body: validated as an int, sent back as a string as Discord does."""


DIGITS_ONLY = BeforeValidator(_digits_only)
"""Put on a number read from a path or a query: `Annotated[int, Query(ge=1, le=100), DIGITS_ONLY]`."""
ID_IN_PATH = WithJsonSchema({"type": "string", "pattern": SNOWFLAKE_PATTERN})
"""How an id travels in a path, as the schema says: the digits of 1 to 2^63-1 (so `1.0`, `+1` or `01` are not)."""

SnowflakePath = Annotated[int, Path(ge=1, le=SNOWFLAKE_MAX, description="a Discord id"), DIGITS_ONLY, ID_IN_PATH]

RowId = Annotated[int, Field(strict=True, ge=1, le=SNOWFLAKE_MAX), WithJsonSchema(_SNOWFLAKE_SCHEMA)]
"""A row's id in a body (an outcome, an event): a JSON integer, 1 to 2^63-1."""

Amount = Annotated[int, Field(strict=True, ge=1, le=MAX_AMOUNT, description="a whole number of coins")]


class Strict(BaseModel):
    """A request body whose unknown fields are refused: a typo (displayname) is a 422, never silently ignored."""

    model_config = ConfigDict(extra="forbid")


def exactly_one_of(*names: str) -> dict[str, Any]:
    """A model's `json_schema_extra` when its validator wants exactly one of these fields set (and not null)."""
    return {"oneOf": [{"required": [name], "properties": {name: {"not": {"type": "null"}}}} for name in names]}


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


def _char_class(chars: list[str]) -> str:
    """The inside of a regex character class, as ranges of \\uXXXX escapes that Python and ECMA-262 read alike."""
    codes, parts = sorted(ord(char) for char in chars), []
    start = previous = codes[0]
    for code in [*codes[1:], -1]:
        if code != previous + 1:
            parts.append(f"\\u{start:04x}" + (f"-\\u{previous:04x}" if previous > start else ""))
            start = code
        previous = code
    return "".join(parts)


# The same rules as JSON Schema patterns, so the OpenAPI refuses what the validators refuse (surrogates aside: no
# UTF-8 text carries one). _SPACE is what str.strip() removes, which ECMA's \s does not quite match.
_SPACE = _char_class([chr(code) for code in range(0x3001) if chr(code).isspace()])
_LINE_REFUSED = r"\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff"
_TEXT_REFUSED = r"\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff"


@dataclass(frozen=True)
class TextRule:
    """Clean text, trimmed and non-blank on demand, with the JSON Schema pattern that says the same."""

    multiline: bool
    strip: bool = False
    required: bool = False

    def check(self, value: str) -> str:
        value = _refuse_unclean(value.strip() if self.strip else value, multiline=self.multiline)
        if self.required and not value.strip():
            raise ValueError("must not be blank")
        return value

    @property
    def pattern(self) -> str:
        refused = _TEXT_REFUSED if self.multiline else _LINE_REFUSED
        inner, edge = f"[^{refused}]", f"[^{refused}{_SPACE}]"
        if not self.strip:
            return f"^{inner}*{edge}{inner}*$" if self.required else f"^{inner}*$"
        trimmed = f"{edge}(?:{inner}*{edge})?"
        return f"^[{_SPACE}]*{trimmed if self.required else f'(?:{trimmed})?'}[{_SPACE}]*$"

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = self.pattern
        return json_schema


CLEAN_LINE = TextRule(multiline=False)
"""Put after a field's length constraints: `Annotated[str, StringConstraints(max_length=100), CLEAN_LINE]`."""
CLEAN_TEXT = TextRule(multiline=True)
"""Descriptions and prompts: newlines and tabs allowed, nothing else invisible that controls rendering."""
TRIMMED_LINE = TextRule(multiline=False, strip=True, required=True)
"""Names, titles, labels: one clean line, stored without its outer spaces, never blank."""

CleanLine = Annotated[str, CLEAN_LINE]
"""User text on one line; a control, bidi override or line break → 422 invalid_request naming the field."""

CleanText = Annotated[str, CLEAN_TEXT]
"""User text that may span lines (newline and tab); other controls and bidi overrides → 422."""

Reason = Annotated[Annotated[str, Field(max_length=200), CLEAN_LINE] | None, Field(default=None)]
