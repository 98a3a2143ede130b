"""Interaction callbacks and the interaction webhook (followups, ``@original``), with Discord's rules."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from .errors import (
    ALREADY_ACKNOWLEDGED,
    INVALID_WEBHOOK_TOKEN,
    UNKNOWN_INTERACTION,
    UNKNOWN_MESSAGE,
    UNKNOWN_WEBHOOK,
    DiscordError,
    Issue,
    not_found,
)
from .http_util import Upload, json_response, no_content, read_object, snowflake_param, state_of
from .messaging import create_message, delete_message, edit_message, loading_message
from .payloads import message_payload
from .records import EPHEMERAL, MESSAGE_RESPONSE_TYPES, Callback, InteractionRecord, Message
from .state import EmulatorState
from .validation import choice_issues, modal_issues

PING, APPLICATION_COMMAND, COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
ALLOWED_RESPONSES = {
    PING: {1},
    APPLICATION_COMMAND: {4, 5, 9},
    COMPONENT: {4, 5, 6, 7, 9},
    AUTOCOMPLETE: {8},
    MODAL_SUBMIT: {4, 5, 6, 7},
}


def message_type(record: InteractionRecord) -> int:
    """Message type of an interaction reply: 20 for slash commands, 23 for context menus, 0 otherwise."""
    if record.type != APPLICATION_COMMAND:
        return 0
    return 20 if record.payload["data"].get("type", 1) == 1 else 23


def source_message(state: EmulatorState, record: InteractionRecord) -> Message | None:
    """The message whose component started this interaction, if any."""
    raw = record.payload.get("message")
    return state.messages.get(int(raw["id"])) if raw else None


def _reject(state: EmulatorState, record: InteractionRecord, kind: str, error: DiscordError) -> DiscordError:
    """Record a violation tied to the interaction and hand back the error to raise."""
    state.violate(kind, error.message, record.id)
    return error


def _check_acceptable(state: EmulatorState, record: InteractionRecord, callback: Callback) -> Message | None:
    """Discord's gatekeeping: one acknowledgement, within the window, of a type fitting the interaction."""
    if record.response is not None:
        raise _reject(
            state,
            record,
            "double_acknowledge",
            DiscordError(400, ALREADY_ACKNOWLEDGED, "Interaction has already been acknowledged."),
        )
    if callback.received_at - record.dispatched_at > record.ack_timeout:
        raise _reject(state, record, "late_acknowledge", not_found(UNKNOWN_INTERACTION, "interaction"))
    source = source_message(state, record)
    allowed = ALLOWED_RESPONSES.get(record.type, set())
    if callback.type not in allowed or (callback.type in (6, 7) and source is None):
        issue = Issue("type", "INTERACTION_RESPONSE_TYPE_INVALID", f"Response type {callback.type} is invalid here")
        raise _reject(state, record, "invalid_response_type", DiscordError.form([issue]))
    return source


def _accept(
    state: EmulatorState, record: InteractionRecord, callback: Callback, uploads: list[Upload]
) -> dict[str, Any] | None:
    """Apply an acceptable callback and return the ``resource`` Discord reports for it."""
    source = _check_acceptable(state, record, callback)
    data = callback.data or {}
    channel = state.channels[record.channel_id]
    if callback.type == 4:
        message = create_message(
            state,
            channel,
            data,
            uploads,
            type=message_type(record),
            interaction_id=record.id,
            visible_to=record.user_id,
            path="data.",
        )
    elif callback.type == 5:
        message = loading_message(
            state, channel, bool(data.get("flags", 0) & EPHEMERAL), record.id, record.user_id, message_type(record)
        )
    elif callback.type == 7 and source is not None:
        message = edit_message(state, source, data, uploads, path="data.")
    elif callback.type == 6 and source is not None:
        record.original_message_id = source.id
        return None
    else:
        if callback.type == 8:
            issues = choice_issues(data, focused_type(record.payload["data"].get("options") or []))
        else:
            issues = modal_issues(data) if callback.type == 9 else []
        if issues:
            raise _reject(state, record, "invalid_callback", DiscordError.form(issues))
        return None
    record.original_message_id = message.id
    return {"type": callback.type, "message": message_payload(message, state)}


def focused_type(options: list[dict[str, Any]]) -> int | None:
    """The type of the option being typed into: autocomplete results must be values of that type."""
    for option in options:
        if option.get("focused"):
            return int(option["type"])
        found = focused_type(option.get("options") or [])
        if found is not None:
            return found
    return None


async def interaction_callback(request: web.Request) -> web.Response:
    """``POST /interactions/{id}/{token}/callback[?with_response=1]``: records every attempt with its timing."""
    received = time.perf_counter()
    state = state_of(request)
    record = state.interactions.get(snowflake_param(request, "interaction_id"))
    if record is None or record.token != request.match_info["token"]:
        raise not_found(UNKNOWN_INTERACTION, "interaction")
    body, uploads = await read_object(request)
    callback = Callback(type=int(body.get("type", 0)), data=body.get("data"), received_at=received)
    try:
        resource = _accept(state, record, callback, uploads)
    except DiscordError as error:
        callback.status, callback.error = error.status, error.body()
        raise
    finally:
        record.callbacks.append(callback)
        state.notify()
    if request.query.get("with_response") not in ("1", "true", "True"):
        return no_content()
    return json_response(_callback_response(record, callback, resource))


def _callback_response(
    record: InteractionRecord, callback: Callback, resource: dict[str, Any] | None
) -> dict[str, Any]:
    """The interaction callback response object discord.py parses (``interaction`` + ``resource``)."""
    info: dict[str, Any] = {"id": str(record.id), "type": record.type, "activity_instance_id": None}
    original = record.original
    if callback.type in MESSAGE_RESPONSE_TYPES and original is not None:
        info.update(
            response_message_id=str(original.id),
            response_message_loading=original.loading,
            response_message_ephemeral=original.ephemeral,
        )
    answer: dict[str, Any] = {"interaction": info}
    if resource is not None:
        answer["resource"] = resource
    return answer


def _webhook_record(request: web.Request) -> tuple[EmulatorState, InteractionRecord]:
    """Resolve the interaction behind ``/webhooks/{app}/{token}`` and enforce token life and acknowledgement."""
    state = state_of(request)
    if snowflake_param(request, "app_id") != state.application.id:
        raise not_found(UNKNOWN_WEBHOOK, "Webhook")
    token = request.match_info["token"]
    record = next((r for r in state.interactions.values() if r.token == token), None)
    if record is None or time.perf_counter() - record.dispatched_at > state.settings.token_lifetime:
        raise DiscordError(401, INVALID_WEBHOOK_TOKEN, "Invalid Webhook Token")
    response = record.response
    if response is None or response.type not in MESSAGE_RESPONSE_TYPES:
        raise _reject(state, record, "webhook_without_acknowledgement", not_found(UNKNOWN_WEBHOOK, "Webhook"))
    return state, record


async def followup(request: web.Request) -> web.Response:
    """``POST /webhooks/{app}/{token}``: the first followup after a type 5 defer fills the placeholder."""
    state, record = _webhook_record(request)
    body, uploads = await read_object(request)
    original = record.original
    response = record.response
    if (
        response is not None
        and response.type == 5
        and original is not None
        and original.loading
        and not record.followup_ids
    ):
        message = edit_message(state, original, {k: v for k, v in body.items() if k != "flags"}, uploads)
    else:
        message = create_message(
            state,
            state.channels[record.channel_id],
            body,
            uploads,
            type=message_type(record),
            interaction_id=record.id,
            visible_to=record.user_id,
        )
    record.followup_ids.append(message.id)
    state.notify()
    if request.query.get("wait") not in ("1", "true", "True"):
        return no_content()
    return json_response(message_payload(message, state))


async def webhook_message(request: web.Request) -> web.Response:
    """GET, PATCH or DELETE ``/webhooks/{app}/{token}/messages/{@original|id}``."""
    state, record = _webhook_record(request)
    raw_id = request.match_info["message_id"]
    if raw_id == "@original":
        message = record.original
    else:
        wanted = snowflake_param(request, "message_id")
        mine = wanted in record.followup_ids or wanted == record.original_message_id
        message = state.messages.get(wanted) if mine else None
    if message is None or message.deleted:
        raise not_found(UNKNOWN_MESSAGE, "Message")
    if request.method == "DELETE":
        delete_message(state, message)
        return no_content()
    if request.method == "PATCH":
        body, uploads = await read_object(request)
        message = edit_message(state, message, body, uploads)
    return json_response(message_payload(message, state))


def add_webhook_routes(router: web.UrlDispatcher, prefix: str) -> None:
    """Register callback and webhook routes (they carry no bot token, as on Discord)."""
    router.add_post(f"{prefix}/interactions/{{interaction_id}}/{{token}}/callback", interaction_callback)
    router.add_post(f"{prefix}/webhooks/{{app_id}}/{{token}}", followup)
    for method in ("GET", "PATCH", "DELETE"):
        router.add_route(method, f"{prefix}/webhooks/{{app_id}}/{{token}}/messages/{{message_id}}", webhook_message)
