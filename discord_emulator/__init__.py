"""A local Discord (REST + gateway) that the real discord.py client logs into, for tests and offline runs."""

from .errors import CommandUnavailable, ComponentUnavailable, DiscordError, EmulatorError
from .mentions import Pings
from .records import Attachment, Callback, InteractionRecord, Message, Violation
from .render import (
    Choice,
    component_choices,
    render_choices,
    render_embed,
    render_interaction,
    render_message,
    render_modal,
)
from .server import Emulator
from .state import ADMINISTRATOR, MANAGE_GUILD, Channel, Command, Guild, Member, Role, User

__all__ = [
    "ADMINISTRATOR",
    "MANAGE_GUILD",
    "Attachment",
    "Callback",
    "Channel",
    "Choice",
    "Command",
    "CommandUnavailable",
    "ComponentUnavailable",
    "DiscordError",
    "Emulator",
    "EmulatorError",
    "Guild",
    "InteractionRecord",
    "Member",
    "Message",
    "Pings",
    "Role",
    "User",
    "Violation",
    "component_choices",
    "render_choices",
    "render_embed",
    "render_interaction",
    "render_message",
    "render_modal",
]
