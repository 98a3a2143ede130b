"""client_api's wire format: names and ids are validated here, so nothing malformed reaches the database."""

import unicodedata
from datetime import datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from client_api.models import DISPLAY_NAME_MAX
from service_kit.types import SNOWFLAKE_MAX, Snowflake

# Cc: C0/C1 controls (NUL would make PostgreSQL fail); Cs: lone surrogates, which cannot be encoded as UTF-8;
# Zl/Zp: line and paragraph separators, which would break a name onto several lines in Discord embeds.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


def _printable(value: str) -> str:
    """Refuse characters a Discord name never holds and that would corrupt logs, embeds or the database."""
    if any(unicodedata.category(char) in _FORBIDDEN_CATEGORIES for char in value):
        raise ValueError("must not contain control characters")
    return value


DisplayName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=DISPLAY_NAME_MAX),
    AfterValidator(_printable),
]
"""A member's name as shown in embeds and leaderboards: 1-100 characters once trimmed, printable."""

UserIdPath = Annotated[int, Path(ge=1, le=SNOWFLAKE_MAX, description="an internal user id")]
PageLimit = Annotated[int, Query(ge=1, le=200, description="how many users per page")]
AfterId = Annotated[int | None, Query(ge=0, le=SNOWFLAKE_MAX, description="next_after_id of the previous page")]


class Strict(BaseModel):
    """Unknown fields are refused, so a typo (displayname) is a 422 rather than a silently ignored name."""

    model_config = ConfigDict(extra="forbid")


class RegisterIn(Strict):
    discord_id: Snowflake
    display_name: DisplayName | None = None


class RenameIn(Strict):
    display_name: DisplayName


class User(BaseModel):
    """A registered member as every caller sees it; discord_id is a string, as Discord sends it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    discord_id: Snowflake
    display_name: str | None
    created_at: datetime
    updated_at: datetime


class UserPage(BaseModel):
    """One page of members in id order; pass next_after_id back as after_id, null means the last page."""

    items: list[User]
    next_after_id: int | None = Field(description="after_id for the next page, or null at the end")


class Forgotten(BaseModel):
    """What remains of a member after forget-me: the internal id the ledger still points at."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    forgotten_at: datetime
