"""Bot REST routes: identity, gateway discovery, guild lookups and channel messages."""

from __future__ import annotations

from aiohttp import web

from .errors import (
    CANNOT_EDIT_OTHERS_MESSAGE,
    UNKNOWN_CHANNEL,
    UNKNOWN_GUILD,
    UNKNOWN_MEMBER,
    UNKNOWN_MESSAGE,
    UNKNOWN_USER,
    DiscordError,
    not_found,
)
from .http_util import json_response, no_content, read_object, require_bot, snowflake_param, state_of
from .messaging import create_message, delete_message, edit_message
from .payloads import (
    application_payload,
    channel_payload,
    guild_payload,
    member_payload,
    message_payload,
    role_payload,
    self_user_payload,
    user_payload,
)
from .records import Message
from .rest_commands import add_command_routes
from .state import DM_CHANNEL, Channel, EmulatorState, Guild

API_PREFIX = "/api/v10"


def _guild(request: web.Request) -> tuple[EmulatorState, Guild]:
    """Authenticated lookup of the guild in the path."""
    require_bot(request)
    state = state_of(request)
    guild = state.guilds.get(snowflake_param(request, "guild_id"))
    if guild is None:
        raise not_found(UNKNOWN_GUILD, "Guild")
    return state, guild


def _channel(request: web.Request) -> tuple[EmulatorState, Channel]:
    """Authenticated lookup of the channel in the path."""
    require_bot(request)
    state = state_of(request)
    channel = state.channels.get(snowflake_param(request, "channel_id"))
    if channel is None:
        raise not_found(UNKNOWN_CHANNEL, "Channel")
    return state, channel


def _message(request: web.Request) -> tuple[EmulatorState, Message]:
    """A non-deleted, non-ephemeral message of the path channel (ephemeral ones are not reachable by REST)."""
    state, channel = _channel(request)
    message = state.messages.get(snowflake_param(request, "message_id"))
    if message is None or message.deleted or message.channel_id != channel.id or message.ephemeral:
        raise not_found(UNKNOWN_MESSAGE, "Message")
    return state, message


async def me(request: web.Request) -> web.Response:
    """``GET /users/@me``: what ``Client.login`` calls first."""
    require_bot(request)
    return json_response(self_user_payload(state_of(request).bot_user))


async def get_user(request: web.Request) -> web.Response:
    """``GET /users/{id}``."""
    require_bot(request)
    user = state_of(request).users.get(snowflake_param(request, "user_id"))
    if user is None:
        raise not_found(UNKNOWN_USER, "User")
    return json_response(user_payload(user))


async def open_dm(request: web.Request) -> web.Response:
    """``POST /users/@me/channels``: one DM channel per recipient."""
    require_bot(request)
    state = state_of(request)
    body, _ = await read_object(request)
    recipient = int(body.get("recipient_id", 0))
    if recipient not in state.users:
        raise not_found(UNKNOWN_USER, "User")
    channel = next((c for c in state.channels.values() if c.type == DM_CHANNEL and c.recipient_id == recipient), None)
    if channel is None:
        channel = Channel(id=state.ids.next(), type=DM_CHANNEL, name=None, recipient_id=recipient)
        state.channels[channel.id] = channel
    return json_response(channel_payload(channel, state))


async def application(request: web.Request) -> web.Response:
    """``GET /oauth2/applications/@me``: second login call."""
    require_bot(request)
    state = state_of(request)
    return json_response(application_payload(state.application, state.bot_user))


async def gateway(request: web.Request) -> web.Response:
    """``GET /gateway``."""
    return json_response({"url": state_of(request).gateway_url})


async def gateway_bot(request: web.Request) -> web.Response:
    """``GET /gateway/bot``: used by AutoShardedBot to learn the shard count."""
    require_bot(request)
    state = state_of(request)
    limit = {"total": 1000, "remaining": 999, "reset_after": 86_400_000, "max_concurrency": 1}
    return json_response(
        {"url": state_of(request).gateway_url, "shards": state.settings.shard_count, "session_start_limit": limit}
    )


async def get_guild(request: web.Request) -> web.Response:
    """``GET /guilds/{id}``."""
    state, guild = _guild(request)
    return json_response(guild_payload(guild, state))


async def get_member(request: web.Request) -> web.Response:
    """``GET /guilds/{id}/members/{user}``."""
    _, guild = _guild(request)
    member = guild.members.get(snowflake_param(request, "user_id"))
    if member is None:
        raise not_found(UNKNOWN_MEMBER, "Member")
    return json_response(member_payload(member))


async def list_members(request: web.Request) -> web.Response:
    """``GET /guilds/{id}/members?limit=&after=`` sorted by id."""
    _, guild = _guild(request)
    after = int(request.query.get("after", 0))
    limit = max(1, min(1000, int(request.query.get("limit", 1))))
    members = sorted((m for m in guild.members.values() if m.id > after), key=lambda m: m.id)[:limit]
    return json_response([member_payload(m) for m in members])


async def list_roles(request: web.Request) -> web.Response:
    """``GET /guilds/{id}/roles``."""
    _, guild = _guild(request)
    return json_response([role_payload(r) for r in guild.roles.values()])


async def list_channels(request: web.Request) -> web.Response:
    """``GET /guilds/{id}/channels``."""
    state, guild = _guild(request)
    return json_response([channel_payload(c, state) for c in guild.channels.values()])


async def get_channel(request: web.Request) -> web.Response:
    """``GET /channels/{id}``."""
    state, channel = _channel(request)
    return json_response(channel_payload(channel, state))


async def post_message(request: web.Request) -> web.Response:
    """``POST /channels/{id}/messages``: ``channel.send`` announcements."""
    state, channel = _channel(request)
    body, uploads = await read_object(request)
    if "flags" in body and int(body["flags"] or 0) & 64:
        body = {**body, "flags": int(body["flags"]) & ~64}
    message = create_message(state, channel, body, uploads)
    return json_response(message_payload(message, state))


async def list_messages(request: web.Request) -> web.Response:
    """``GET /channels/{id}/messages?limit=&before=&after=`` newest first."""
    state, channel = _channel(request)
    before = int(request.query.get("before", 1 << 63))
    after = int(request.query.get("after", 0))
    limit = max(1, min(100, int(request.query.get("limit", 50))))
    found = [
        m
        for m in state.messages.values()
        if m.channel_id == channel.id and not m.deleted and not m.ephemeral and after < m.id < before
    ]
    found.sort(key=lambda m: m.id, reverse=True)
    return json_response([message_payload(m, state) for m in found[:limit]])


async def message_item(request: web.Request) -> web.Response:
    """GET, PATCH or DELETE ``/channels/{id}/messages/{id}``; only the bot's own messages are editable."""
    state, message = _message(request)
    if request.method == "GET":
        return json_response(message_payload(message, state))
    if request.method == "DELETE":
        delete_message(state, message)
        return no_content()
    if message.author_id != state.bot_user.id:
        raise DiscordError(403, CANNOT_EDIT_OTHERS_MESSAGE, "Cannot edit a message authored by another user")
    body, uploads = await read_object(request)
    return json_response(message_payload(edit_message(state, message, body, uploads), state))


async def typing(request: web.Request) -> web.Response:
    """``POST /channels/{id}/typing``."""
    _channel(request)
    return no_content()


async def attachment(request: web.Request) -> web.Response:
    """Serve uploaded bytes back so attachment URLs work."""
    state = state_of(request)
    wanted = snowflake_param(request, "attachment_id")
    for message in state.messages.values():
        for item in message.attachments:
            if item.id == wanted:
                return web.Response(body=item.data, content_type=item.content_type or "application/octet-stream")
    raise DiscordError(404, 0, "404: Not Found")


def add_rest_routes(router: web.UrlDispatcher) -> None:
    """Register every bot route under ``/api/v10``."""
    p = API_PREFIX
    router.add_get(f"{p}/users/@me", me)
    router.add_post(f"{p}/users/@me/channels", open_dm)
    router.add_get(f"{p}/users/{{user_id}}", get_user)
    router.add_get(f"{p}/oauth2/applications/@me", application)
    router.add_get(f"{p}/gateway", gateway)
    router.add_get(f"{p}/gateway/bot", gateway_bot)
    router.add_get(f"{p}/guilds/{{guild_id}}", get_guild)
    router.add_get(f"{p}/guilds/{{guild_id}}/members", list_members)
    router.add_get(f"{p}/guilds/{{guild_id}}/members/{{user_id}}", get_member)
    router.add_get(f"{p}/guilds/{{guild_id}}/roles", list_roles)
    router.add_get(f"{p}/guilds/{{guild_id}}/channels", list_channels)
    router.add_get(f"{p}/channels/{{channel_id}}", get_channel)
    router.add_post(f"{p}/channels/{{channel_id}}/messages", post_message)
    router.add_get(f"{p}/channels/{{channel_id}}/messages", list_messages)
    for method in ("GET", "PATCH", "DELETE"):
        router.add_route(method, f"{p}/channels/{{channel_id}}/messages/{{message_id}}", message_item)
    router.add_post(f"{p}/channels/{{channel_id}}/typing", typing)
    router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", attachment)
    add_command_routes(router, p)
