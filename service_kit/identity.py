"""Read-only lookups of the users table, which client_api owns, for services that receive Discord ids."""

from sqlalchemy import text
from sqlalchemy.orm import Session

from service_kit.errors import NotFoundError

_USER_BY_DISCORD_ID = text("SELECT id FROM users WHERE discord_id = :discord_id")
_USERS_BY_DISCORD_IDS = text("SELECT discord_id, id FROM users WHERE discord_id = ANY(:discord_ids)")
_DISCORD_ID_BY_USER_ID = text("SELECT discord_id FROM users WHERE id = :user_id")


def find_user_id(session: Session, discord_id: int) -> int | None:
    """The internal id of a registered member, or None."""
    return session.execute(_USER_BY_DISCORD_ID, {"discord_id": discord_id}).scalar_one_or_none()


def find_discord_id(session: Session, user_id: int) -> int | None:
    """The Discord id behind an internal id, for work resumed later; None if unknown or forgotten."""
    return session.execute(_DISCORD_ID_BY_USER_ID, {"user_id": user_id}).scalar_one_or_none()


def unknown_user(discord_id: int) -> NotFoundError:
    """The 404 the bot turns into "that member has not registered yet"."""
    return NotFoundError(f"user {discord_id} is not registered", code="user_not_found", user_id=str(discord_id))


def require_user_id(session: Session, discord_id: int) -> int:
    """The internal id of a registered member."""
    user_id = find_user_id(session, discord_id)
    if user_id is None:
        raise unknown_user(discord_id)
    return user_id


def require_user_ids(session: Session, discord_ids: list[int]) -> dict[int, int]:
    """Internal ids for several members at once, naming the first one that is unknown."""
    found = dict(session.execute(_USERS_BY_DISCORD_IDS, {"discord_ids": discord_ids}).tuples().all())
    for discord_id in discord_ids:
        if discord_id not in found:
            raise unknown_user(discord_id)
    return found
