"""Builders for Discord's wire format: snowflakes as strings, ISO timestamps, full objects."""

from __future__ import annotations

from typing import Any

from .records import InteractionRecord, Message
from .snowflake import iso
from .state import Application, Channel, EmulatorState, Guild, Member, Role, User


def user_payload(user: User) -> dict[str, Any]:
    """A user object; new-style usernames carry discriminator "0"."""
    payload: dict[str, Any] = {
        "id": str(user.id),
        "username": user.username,
        "discriminator": "0",
        "global_name": user.global_name,
        "avatar": None,
        "avatar_decoration_data": None,
        "banner": None,
        "accent_color": None,
        "public_flags": 0,
        "flags": 0,
        "primary_guild": None,
        "collectibles": None,
    }
    if user.bot:
        payload["bot"] = True
    return payload


def self_user_payload(user: User) -> dict[str, Any]:
    """``GET /users/@me`` adds account-only fields to the user object."""
    return {**user_payload(user), "verified": True, "mfa_enabled": False, "locale": user.locale, "email": None}


def role_payload(role: Role) -> dict[str, Any]:
    """A role object with permissions as a decimal string."""
    return {
        "id": str(role.id),
        "name": role.name,
        "color": role.color,
        "colors": {"primary_color": role.color, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": role.position,
        "permissions": str(role.permissions),
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def member_payload(member: Member, guild: Guild | None = None, *, with_user: bool = True) -> dict[str, Any]:
    """A member; given the guild it also carries computed ``permissions`` as interactions do."""
    payload: dict[str, Any] = {
        "nick": member.nick,
        "avatar": None,
        "banner": None,
        "roles": [str(r) for r in member.roles],
        "joined_at": iso(member.joined_at),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
        "communication_disabled_until": None,
    }
    if with_user:
        payload["user"] = user_payload(member.user)
    if guild is not None:
        payload["permissions"] = str(guild.permissions_for(member.id))
    return payload


def channel_payload(channel: Channel, state: EmulatorState) -> dict[str, Any]:
    """A guild text channel or a DM channel object."""
    if channel.guild_id is None:
        recipient = state.users[channel.recipient_id] if channel.recipient_id else state.bot_user
        return {
            "id": str(channel.id),
            "type": channel.type,
            "last_message_id": None,
            "flags": 0,
            "recipients": [user_payload(recipient)],
        }
    return {
        "id": str(channel.id),
        "type": channel.type,
        "guild_id": str(channel.guild_id),
        "name": channel.name,
        "position": channel.position,
        "permission_overwrites": [],
        "topic": channel.topic,
        "nsfw": False,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "parent_id": None,
        "flags": 0,
    }


def guild_payload(guild: Guild, state: EmulatorState) -> dict[str, Any]:
    """The guild object returned by ``GET /guilds/{id}``."""
    return {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(guild.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": [role_payload(r) for r in guild.roles.values()],
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "vanity_url_code": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": guild.locale,
        "public_updates_channel_id": None,
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
    }


def guild_create_payload(guild: Guild, state: EmulatorState) -> dict[str, Any]:
    """GUILD_CREATE: the guild plus members, channels and the gateway-only fields."""
    return {
        **guild_payload(guild, state),
        "joined_at": iso(guild.joined_at),
        "large": len(guild.members) > 250,
        "unavailable": False,
        "member_count": len(guild.members),
        "voice_states": [],
        "members": [member_payload(m) for m in guild.members.values()],
        "channels": [
            {k: v for k, v in channel_payload(c, state).items() if k != "guild_id"} for c in guild.channels.values()
        ],
        "threads": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def application_payload(app: Application, bot: User) -> dict[str, Any]:
    """``GET /oauth2/applications/@me``; no interactions endpoint so events come over the gateway."""
    return {
        "id": str(app.id),
        "name": app.name,
        "icon": None,
        "description": "",
        "summary": "",
        "type": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "owner": user_payload(app.owner),
        "team": None,
        "flags": app.flags,
        "bot": user_payload(bot),
        "interactions_endpoint_url": None,
        "tags": [],
        "redirect_uris": [],
        "rpc_origins": [],
        "install_params": None,
        "custom_install_url": None,
        "approximate_guild_count": 0,
    }


def attachment_payload(message: Message) -> list[dict[str, Any]]:
    """Attachment objects for a message."""
    return [
        {
            "id": str(a.id),
            "filename": a.filename,
            "size": a.size,
            "url": a.url,
            "proxy_url": a.url,
            "content_type": a.content_type,
            "description": a.description,
        }
        for a in message.attachments
    ]


def message_payload(message: Message, state: EmulatorState) -> dict[str, Any]:
    """A full message object as Discord returns it from REST and webhooks."""
    payload: dict[str, Any] = {
        "id": str(message.id),
        "type": message.type,
        "channel_id": str(message.channel_id),
        "author": user_payload(state.users[message.author_id]),
        "content": message.content,
        "timestamp": iso(message.timestamp),
        "edited_timestamp": iso(message.edited_timestamp) if message.edited_timestamp else None,
        "tts": message.tts,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": attachment_payload(message),
        "embeds": message.embeds,
        "components": message.components,
        "pinned": False,
        "flags": message.flags,
    }
    if message.guild_id is not None:
        payload["guild_id"] = str(message.guild_id)
    if message.webhook_id is not None:
        payload["webhook_id"] = str(message.webhook_id)
    if message.application_id is not None:
        payload["application_id"] = str(message.application_id)
    record = state.interactions.get(message.interaction_id) if message.interaction_id else None
    if record is not None:
        payload["interaction_metadata"] = interaction_metadata(record, state)
    return payload


def interaction_metadata(record: InteractionRecord, state: EmulatorState) -> dict[str, Any]:
    """``interaction_metadata`` on messages created in answer to an interaction."""
    owners = {"0": str(record.guild_id)} if record.guild_id else {"1": str(record.user_id)}
    meta: dict[str, Any] = {
        "id": str(record.id),
        "type": record.type,
        "user": user_payload(state.users[record.user_id]),
        "authorizing_integration_owners": owners,
    }
    if record.type == 2:
        meta["name"] = record.payload["data"]["name"]
        meta["command_type"] = record.payload["data"].get("type", 1)
    return meta
