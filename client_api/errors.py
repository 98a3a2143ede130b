"""client_api's own refusal; "not registered" is service_kit.identity.UserNotFound, the same in every service."""

from service_kit.errors import ConflictError


class RegistrationContended(ConflictError):
    """Registration kept racing a forget-me of the same Discord id; a retry settles it."""

    code = "registration_contended"
