"""Read-only lookups of the users table, which client_api owns, for services that receive Discord ids."""

from sqlalchemy import text
from sqlalchemy.orm import Session

from service_kit.errors import NotFoundError

_USER_BY_DISCORD_ID = text("SELECT id FROM users WHERE discord_id = :discord_id")
_DISCORD_ID_BY_USER_ID = text("SELECT discord_id FROM users WHERE id = :user_id")


def find_user_id(session: Session, discord_id: int) -> int | None:
    """The internal id of a registered member, or None."""
    return session.execute(_USER_BY_DISCORD_ID, {"discord_id": discord_id}).scalar_one_or_none()


def find_discord_id(session: Session, user_id: int) -> int | None:
    """The Discord id behind an internal id, for work resumed later; None if unknown or forgotten."""
    return session.execute(_DISCORD_ID_BY_USER_ID, {"user_id": user_id}).scalar_one_or_none()


class UserNotFound(NotFoundError):
    """No active member matches: the 404 the bot turns into "that member has not registered yet", in every service."""

    code = "user_not_found"

    @classmethod
    def by_discord_id(cls, discord_id: int) -> "UserNotFound":
        return cls(f"user {discord_id} is not registered", user_id=str(discord_id))

    @classmethod
    def by_id(cls, user_id: int) -> "UserNotFound":
        """An internal id that was never issued, or whose member asked to be forgotten."""
        return cls(f"user #{user_id} does not exist")


def unknown_user(discord_id: int) -> UserNotFound:
    """The 404 for a Discord id nobody registered."""
    return UserNotFound.by_discord_id(discord_id)


def require_user_id(session: Session, discord_id: int) -> int:
    """The internal id of a registered member."""
    user_id = find_user_id(session, discord_id)
    if user_id is None:
        raise unknown_user(discord_id)
    return user_id
