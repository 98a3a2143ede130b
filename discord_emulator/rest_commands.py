"""Application command routes: bulk overwrite, create, edit, delete, list — global and per guild."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .command_rules import command_issues
from .errors import UNKNOWN_APPLICATION_COMMAND, UNKNOWN_GUILD, DiscordError, not_found
from .http_util import json_response, no_content, read_body, read_object, require_bot, snowflake_param, state_of
from .state import Command, EmulatorState

MAX_COMMANDS_PER_TYPE = {1: 100, 2: 15, 3: 15}
SERVER_FIELDS = ("id", "application_id", "version", "guild_id")


def _scope(request: web.Request) -> tuple[EmulatorState, int | None]:
    """Check auth and the application id, and return the command scope (guild id or None)."""
    require_bot(request)
    state = state_of(request)
    if snowflake_param(request, "app_id") != state.application.id:
        raise DiscordError(403, 50001, "Missing Access")
    if "guild_id" not in request.match_info:
        return state, None
    guild_id = snowflake_param(request, "guild_id")
    if guild_id not in state.guilds:
        raise not_found(UNKNOWN_GUILD, "Guild")
    return state, guild_id


def _store(state: EmulatorState, guild_id: int | None, body: dict[str, Any], existing: Command | None) -> Command:
    """Normalize a command body into what Discord returns, keeping id and version when unchanged."""
    payload: dict[str, Any] = {
        "type": 1,
        "description": "",
        "default_member_permissions": None,
        "nsfw": False,
        "contexts": None,
        "integration_types": [0],
        **{k: v for k, v in body.items() if k not in SERVER_FIELDS},
    }
    if guild_id is None:
        payload.setdefault("dm_permission", True)
    same = existing is not None and {k: v for k, v in existing.payload.items() if k not in SERVER_FIELDS} == payload
    payload["id"] = str(existing.id if existing else state.ids.next())
    payload["application_id"] = str(state.application.id)
    payload["version"] = existing.payload["version"] if same and existing else str(state.ids.next())
    if guild_id is not None:
        payload["guild_id"] = str(guild_id)
    return Command(payload)


def _check(state: EmulatorState, bodies: list[dict[str, Any]]) -> None:
    """Reject invalid registrations as Discord does and record them."""
    issues = command_issues(bodies)
    for kind, limit in MAX_COMMANDS_PER_TYPE.items():
        if sum(1 for b in bodies if b.get("type", 1) == kind) > limit:
            raise DiscordError(400, 30032, f"Maximum number of application commands reached ({limit})")
    if issues:
        state.violate("invalid_command", "; ".join(map(str, issues)))
        raise DiscordError.form(issues)


async def bulk_overwrite(request: web.Request) -> web.Response:
    """PUT: replace the whole set; unchanged commands keep their id and version."""
    state, guild_id = _scope(request)
    bodies, _ = await read_body(request)
    if not isinstance(bodies, list) or not all(isinstance(b, dict) for b in bodies):
        raise DiscordError(400, 50109, "The request body contains invalid JSON.")
    _check(state, bodies)
    current = state.guild_commands(guild_id)
    fresh = {}
    for item in bodies:
        key = (str(item.get("name", "")), int(item.get("type", 1)))
        fresh[key] = _store(state, guild_id, item, current.get(key))
    state.commands[guild_id] = fresh
    state.notify()
    return json_response([c.payload for c in fresh.values()])


async def list_commands(request: web.Request) -> web.Response:
    """GET the registered commands of a scope."""
    state, guild_id = _scope(request)
    return json_response([c.payload for c in state.guild_commands(guild_id).values()])


async def upsert_command(request: web.Request) -> web.Response:
    """POST: create, or overwrite the one with the same name and type (201 when new)."""
    state, guild_id = _scope(request)
    body, _ = await read_object(request)
    _check(state, [body])
    current = state.guild_commands(guild_id)
    key = (str(body.get("name", "")), int(body.get("type", 1)))
    existed = key in current
    current[key] = _store(state, guild_id, body, current.get(key))
    state.notify()
    return json_response(current[key].payload, 200 if existed else 201)


def _find(state: EmulatorState, guild_id: int | None, command_id: int) -> tuple[tuple[str, int], Command]:
    """Locate a command by id or answer Unknown application command."""
    for key, command in state.guild_commands(guild_id).items():
        if command.id == command_id:
            return key, command
    raise not_found(UNKNOWN_APPLICATION_COMMAND, "application command")


async def command_item(request: web.Request) -> web.Response:
    """GET, PATCH or DELETE one command."""
    state, guild_id = _scope(request)
    key, command = _find(state, guild_id, snowflake_param(request, "command_id"))
    current = state.guild_commands(guild_id)
    if request.method == "GET":
        return json_response(command.payload)
    if request.method == "DELETE":
        del current[key]
        state.notify()
        return no_content()
    body, _ = await read_object(request)
    merged = {**{k: v for k, v in command.payload.items() if k not in SERVER_FIELDS}, **body}
    _check(state, [merged])
    del current[key]
    updated = _store(state, guild_id, merged, command)
    current[(updated.name, updated.type)] = updated
    state.notify()
    return json_response(updated.payload)


async def command_permissions(request: web.Request) -> web.Response:
    """No per-command permission overrides are modelled: always an empty list."""
    _scope(request)
    return json_response([])


def add_command_routes(router: web.UrlDispatcher, prefix: str) -> None:
    """Register command routes under ``prefix`` (e.g. ``/api/v10``)."""
    for scope in ("/applications/{app_id}", "/applications/{app_id}/guilds/{guild_id}"):
        router.add_put(f"{prefix}{scope}/commands", bulk_overwrite)
        router.add_get(f"{prefix}{scope}/commands", list_commands)
        router.add_post(f"{prefix}{scope}/commands", upsert_command)
        router.add_get(f"{prefix}{scope}/commands/permissions", command_permissions)
        for method in ("GET", "PATCH", "DELETE"):
            router.add_route(method, f"{prefix}{scope}/commands/{{command_id}}", command_item)
