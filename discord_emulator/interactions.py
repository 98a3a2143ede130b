"""INTERACTION_CREATE payloads for every interaction type, and the records that track them."""

from __future__ import annotations

import secrets
from typing import Any

from .errors import EmulatorError
from .payloads import channel_payload, member_payload, message_payload, user_payload
from .records import InteractionRecord, Message
from .state import Channel, EmulatorState, Guild, User

GUILD_CONTEXT, BOT_DM_CONTEXT = 0, 1


def interaction_channel(state: EmulatorState, channel: Channel, user_id: int) -> dict[str, Any]:
    """The ``channel`` field: the channel object plus the invoker's permissions in it."""
    payload = channel_payload(channel, state)
    guild = state.guilds.get(channel.guild_id) if channel.guild_id else None
    if guild is not None:
        payload["permissions"] = str(guild.permissions_for(user_id))
    return payload


def new_interaction(
    state: EmulatorState,
    *,
    type: int,
    user: User,
    guild: Guild | None,
    channel: Channel,
    locale: str | None,
    data: dict[str, Any] | None,
    message: Message | None = None,
) -> InteractionRecord:
    """Build the payload Discord sends (member with permissions, locales, size limit) and register it."""
    interaction_id = state.ids.next()
    token = "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48)
    payload: dict[str, Any] = {
        "id": str(interaction_id),
        "application_id": str(state.application.id),
        "type": type,
        "token": token,
        "version": 1,
        "locale": locale or user.locale,
        "channel": interaction_channel(state, channel, user.id),
        "channel_id": str(channel.id),
        "entitlements": [],
        "entitlement_sku_ids": [],
        "attachment_size_limit": state.settings.attachment_size_limit,
        "context": GUILD_CONTEXT if guild else BOT_DM_CONTEXT,
        "authorizing_integration_owners": {"0": str(guild.id)} if guild else {"1": str(user.id)},
    }
    if data is not None:
        payload["data"] = data
    if guild is not None:
        payload.update(
            guild_id=str(guild.id),
            guild={"id": str(guild.id), "locale": guild.locale, "features": []},
            guild_locale=guild.locale,
            member=member_payload(guild.members[user.id], guild),
            app_permissions=str(guild.permissions_for(state.bot_user.id)),
        )
    else:
        payload.update(user=user_payload(user), app_permissions=str(0))
    if message is not None:
        payload["message"] = message_payload(message, state)
    record = InteractionRecord(
        id=interaction_id,
        token=token,
        type=type,
        user_id=user.id,
        guild_id=guild.id if guild else None,
        channel_id=channel.id,
        payload=payload,
        state=state,
    )
    state.interactions[interaction_id] = record
    return record


def modal_submission(modal: dict[str, Any], values: dict[str, Any]) -> list[dict[str, Any]]:
    """Mirror the modal's layout (rows or labels) with typed values, keyed by custom id or by label."""
    unused = dict(values)

    def take(item: dict[str, Any], label: str | None, default: Any) -> Any:
        """The value the test gave for this input, by custom id first, then by visible label."""
        for key in (item.get("custom_id"), item.get("label"), label):
            if key is not None and key in unused:
                return unused.pop(key)
        return default

    def answer(item: dict[str, Any], label: str | None = None) -> dict[str, Any]:
        """One submitted input, checked against the limits the client enforces."""
        custom_id = item.get("custom_id")
        if item.get("type") == 4:
            value = str(take(item, label, item.get("value") or ""))
            low, high = item.get("min_length") or 0, item.get("max_length") or 4000
            if (item.get("required", True) and not value) or (value and not low <= len(value) <= high):
                raise EmulatorError(f"text input {label or item.get('label') or custom_id!r} rejects {value!r}")
            return {"type": 4, "id": item.get("id"), "custom_id": custom_id, "value": value}
        if custom_id is not None:
            chosen = take(item, label, [])
            return {
                "type": item.get("type"),
                "id": item.get("id"),
                "custom_id": custom_id,
                "values": [str(v) for v in chosen],
            }
        return {"type": item.get("type"), "id": item.get("id")}

    submitted = []
    for component in modal.get("components") or []:
        if component.get("type") == 1:
            submitted.append(
                {
                    "type": 1,
                    "id": component.get("id"),
                    "components": [answer(c) for c in component.get("components") or []],
                }
            )
        elif component.get("type") == 18:
            submitted.append(
                {
                    "type": 18,
                    "id": component.get("id"),
                    "component": answer(component["component"], component.get("label")),
                }
            )
        else:
            submitted.append(answer(component))
    if unused:
        raise EmulatorError(f"modal has no input(s) {sorted(unused)}")
    return submitted
