"""client_api's wire format: names and ids are validated here, so nothing malformed reaches the database."""

from datetime import datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from client_api.models import DISPLAY_NAME_MAX
from service_kit.types import DIGITS_ONLY, ID_IN_PATH, SNOWFLAKE_MAX, TRIMMED_LINE, Snowflake, Strict

DisplayName = Annotated[str, StringConstraints(max_length=DISPLAY_NAME_MAX), TRIMMED_LINE]
"""A member's name as shown in embeds and leaderboards: up to 100 characters, one clean line, stored trimmed."""

UserIdPath = Annotated[int, Path(ge=1, le=SNOWFLAKE_MAX, description="an internal user id"), DIGITS_ONLY, ID_IN_PATH]
PageLimit = Annotated[int, Query(ge=1, le=200, description="how many users per page"), DIGITS_ONLY]
AfterId = Annotated[
    int | None, Query(ge=0, le=SNOWFLAKE_MAX, description="next_after_id of the previous page"), DIGITS_ONLY
]


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
