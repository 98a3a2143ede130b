"""Errors: Discord-shaped API errors for the bot, and emulator errors for the test author."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

UNKNOWN_CHANNEL = 10003
UNKNOWN_GUILD = 10004
UNKNOWN_MEMBER = 10007
UNKNOWN_MESSAGE = 10008
UNKNOWN_USER = 10013
UNKNOWN_WEBHOOK = 10015
UNKNOWN_INTERACTION = 10062
UNKNOWN_APPLICATION_COMMAND = 10063
REQUEST_ENTITY_TOO_LARGE = 40005
ALREADY_ACKNOWLEDGED = 40060
CANNOT_EDIT_OTHERS_MESSAGE = 50005
EMPTY_MESSAGE = 50006
INVALID_WEBHOOK_TOKEN = 50027
INVALID_FORM_BODY = 50035


class EmulatorError(Exception):
    """A test asked the emulator for something a Discord user could not do."""


class CommandUnavailable(EmulatorError):
    """The Discord client would not offer this command to this user here."""


class ComponentUnavailable(EmulatorError):
    """The component does not exist, is disabled, or is not visible to this user."""


@dataclass(frozen=True)
class Issue:
    """One invalid field in a request body, addressed by a dotted path such as ``data.embeds.0.title``."""

    path: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class DiscordError(Exception):
    """An error answer in Discord's JSON shape: ``{"message", "code"[, "errors"]}``."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {message} (code {code})")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        """The JSON body Discord would send."""
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body

    @classmethod
    def form(cls, issues: list[Issue]) -> DiscordError:
        """400 Invalid Form Body with Discord's nested ``errors`` tree."""
        tree: dict[str, Any] = {}
        for issue in issues:
            node = tree
            for part in issue.path.split("."):
                node = node.setdefault(part, {})
            node.setdefault("_errors", []).append({"code": issue.code, "message": issue.message})
        return cls(400, INVALID_FORM_BODY, "Invalid Form Body", tree)


def not_found(code: int, what: str) -> DiscordError:
    """404 for a missing entity, e.g. ``Unknown Message``."""
    return DiscordError(404, code, f"Unknown {what}")
