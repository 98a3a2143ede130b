"""Create, edit and delete messages from bot request bodies, with validation and gateway events."""

from __future__ import annotations

from typing import Any

from .errors import EMPTY_MESSAGE, REQUEST_ENTITY_TOO_LARGE, DiscordError
from .http_util import Upload
from .mentions import mentionable_text, pings
from .payloads import message_payload
from .records import COMPONENTS_V2, EPHEMERAL, LOADING, Attachment, Message
from .snowflake import utcnow
from .state import Channel, EmulatorState
from .validation import is_empty_message, message_issues

SUPPRESS_EMBEDS = 1 << 2
SUPPRESS_NOTIFICATIONS = 1 << 12
SETTABLE_FLAGS = EPHEMERAL | SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | COMPONENTS_V2
EDITABLE_FLAGS = SUPPRESS_EMBEDS | COMPONENTS_V2
GUILD_MESSAGES, DIRECT_MESSAGES = 1 << 9, 1 << 12


def validate(state: EmulatorState, body: dict[str, Any], uploads: list[Upload], path: str = "") -> None:
    """Raise the error Discord would answer for this body, recording it as a violation."""
    issues = message_issues(body, path)
    if issues:
        state.violate("invalid_message", "; ".join(map(str, issues)))
        raise DiscordError.form(issues)
    if sum(len(u.data) for u in uploads) > state.settings.attachment_size_limit:
        state.violate("attachment_too_large", f"{sum(len(u.data) for u in uploads)} bytes")
        raise DiscordError(413, REQUEST_ENTITY_TOO_LARGE, "Request entity too large")


def _attachments(
    state: EmulatorState, channel_id: int, body: dict[str, Any], uploads: list[Upload]
) -> list[Attachment]:
    """New uploads, named and described by the matching ``attachments`` entries."""
    described = {str(a.get("id")): a for a in body.get("attachments") or []}
    made = []
    for upload in uploads:
        meta = described.get(str(upload.index), {})
        att_id = state.ids.next()
        filename = meta.get("filename") or upload.filename
        url = f"{state.public_url}/attachments/{channel_id}/{att_id}/{filename}"
        made.append(Attachment(att_id, filename, upload.content_type, upload.data, url, meta.get("description")))
    return made


def create_message(
    state: EmulatorState,
    channel: Channel,
    body: dict[str, Any],
    uploads: list[Upload],
    *,
    type: int = 0,
    interaction_id: int | None = None,
    visible_to: int | None = None,
    path: str = "",
) -> Message:
    """Store a new bot message; empty bodies get 50006 like on Discord."""
    validate(state, body, uploads, path)
    if is_empty_message(body, len(uploads)):
        state.violate("empty_message", "message has no content, embeds, components or files")
        raise DiscordError(400, EMPTY_MESSAGE, "Cannot send an empty message")
    flags = int(body.get("flags") or 0) & SETTABLE_FLAGS
    from_app = interaction_id is not None
    message = Message(
        id=state.ids.next(),
        channel_id=channel.id,
        guild_id=channel.guild_id,
        author_id=state.bot_user.id,
        type=type,
        timestamp=utcnow(),
        content=str(body.get("content") or ""),
        embeds=list(body.get("embeds") or []),
        components=list(body.get("components") or []),
        attachments=_attachments(state, channel.id, body, uploads),
        flags=flags,
        tts=bool(body.get("tts")),
        webhook_id=state.application.id if from_app else None,
        application_id=state.application.id if from_app else None,
        interaction_id=interaction_id,
        visible_to=visible_to if flags & EPHEMERAL else None,
    )
    _record_mentions(state, message, body)
    store(state, message, "MESSAGE_CREATE")
    return message


def _record_mentions(state: EmulatorState, message: Message, body: dict[str, Any]) -> None:
    """Keep the request's ``allowed_mentions`` and add whoever its text would ping (edits of the text count too)."""
    message.allowed_mentions = body.get("allowed_mentions")
    if "content" not in body and "components" not in body:
        return
    reference = body.get("message_reference")
    replied_id = str(reference.get("message_id") or "") if isinstance(reference, dict) else ""
    replied = state.messages.get(int(replied_id)) if replied_id.isdigit() else None
    text = mentionable_text(message.content, message.components)
    message.pings = message.pings | pings(text, message.allowed_mentions, replied.author_id if replied else None)


def loading_message(
    state: EmulatorState, channel: Channel, ephemeral: bool, interaction_id: int, visible_to: int, type: int
) -> Message:
    """The "Bot is thinking..." placeholder a type 5 callback creates."""
    message = Message(
        id=state.ids.next(),
        channel_id=channel.id,
        guild_id=channel.guild_id,
        author_id=state.bot_user.id,
        type=type,
        timestamp=utcnow(),
        flags=LOADING | (EPHEMERAL if ephemeral else 0),
        webhook_id=state.application.id,
        application_id=state.application.id,
        interaction_id=interaction_id,
        visible_to=visible_to if ephemeral else None,
    )
    store(state, message, "MESSAGE_CREATE")
    return message


def edit_message(
    state: EmulatorState, message: Message, body: dict[str, Any], uploads: list[Upload], path: str = ""
) -> Message:
    """Apply a partial edit; finishing a loading placeholder is not shown as an edit."""
    validate(state, body, uploads, path)
    after = {k: body[k] if k in body else getattr(message, k) for k in ("content", "embeds", "components")}
    kept = len(message.attachments) if "attachments" not in body else len(body.get("attachments") or [])
    if is_empty_message(after, kept + len(uploads)):
        state.violate("empty_message", "the edit would leave the message with nothing to show")
        raise DiscordError(400, EMPTY_MESSAGE, "Cannot send an empty message")
    message.revisions.append(
        {
            "content": message.content,
            "embeds": message.embeds,
            "components": message.components,
            "flags": message.flags,
            "allowed_mentions": message.allowed_mentions,
        }
    )
    for key in ("content", "embeds", "components"):
        if key in body:
            setattr(message, key, body[key] if body[key] is not None else ([] if key != "content" else ""))
    if "flags" in body and body["flags"] is not None:
        message.flags = (message.flags & ~EDITABLE_FLAGS) | (int(body["flags"]) & EDITABLE_FLAGS)
    if "attachments" in body or uploads:
        keep = {str(a.get("id")) for a in body.get("attachments") or []}
        kept = [a for a in message.attachments if str(a.id) in keep] if "attachments" in body else message.attachments
        message.attachments = kept + _attachments(state, message.channel_id, body, uploads)
    _record_mentions(state, message, body)
    if not message.loading:
        message.edited_timestamp = utcnow()
    message.flags &= ~LOADING
    store(state, message, "MESSAGE_UPDATE")
    return message


def delete_message(state: EmulatorState, message: Message) -> None:
    """Mark deleted (kept for assertions) and tell the gateway."""
    message.deleted = True
    state.notify()
    if not message.ephemeral:
        data = {"id": str(message.id), "channel_id": str(message.channel_id)}
        if message.guild_id:
            data["guild_id"] = str(message.guild_id)
        state.emit("MESSAGE_DELETE", data, message.guild_id, _intent(message))


def store(state: EmulatorState, message: Message, event: str) -> None:
    """Save, wake waiters, and dispatch the gateway event Discord would send (never for ephemeral)."""
    state.messages[message.id] = message
    state.notify()
    if not message.ephemeral:
        state.emit(event, message_payload(message, state), message.guild_id, _intent(message))


def _intent(message: Message) -> int:
    """Message events are gated by GUILD_MESSAGES or DIRECT_MESSAGES."""
    return GUILD_MESSAGES if message.guild_id else DIRECT_MESSAGES
