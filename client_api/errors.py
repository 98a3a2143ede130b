"""The refusals client_api answers with, so the bot can tell "not registered" apart from a broken request."""

from service_kit.errors import ConflictError, NotFoundError


class UserNotFound(NotFoundError):
    """No active member matches; the same code the other services use via service_kit.identity."""

    code = "user_not_found"

    @classmethod
    def by_discord_id(cls, discord_id: int) -> "UserNotFound":
        """The 404 for a Discord id, shaped like service_kit.identity.unknown_user."""
        return cls(f"user {discord_id} is not registered", user_id=str(discord_id))

    @classmethod
    def by_id(cls, user_id: int) -> "UserNotFound":
        """The 404 for an internal id that was never issued or whose member asked to be forgotten."""
        return cls(f"user #{user_id} does not exist")


class RegistrationContended(ConflictError):
    """Registration kept racing a forget-me of the same Discord id; a retry settles it."""

    code = "registration_contended"
