"""HTTP plumbing: exact ``application/json`` responses, Discord error bodies, JSON or multipart bodies."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .errors import DiscordError
from .state import EmulatorState

STATE_KEY: web.AppKey[EmulatorState] = web.AppKey("state", EmulatorState)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Upload:
    """A file part of a multipart request (``files[n]``)."""

    index: int
    filename: str
    content_type: str | None
    data: bytes


def json_response(data: Any, status: int = 200) -> web.Response:
    """JSON with Content-Type exactly ``application/json``: discord.py compares it verbatim."""
    return web.Response(body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"})


def no_content() -> web.Response:
    """204 as Discord answers deletes."""
    return web.Response(status=204)


def state_of(request: web.Request) -> EmulatorState:
    """The emulator state bound to this app."""
    return request.app[STATE_KEY]


def snowflake_param(request: web.Request, name: str) -> int:
    """A path snowflake; Discord answers 404 for ids that are not numbers."""
    try:
        return int(request.match_info[name])
    except ValueError:
        raise DiscordError(404, 0, "404: Not Found") from None


def require_bot(request: web.Request) -> None:
    """Bot routes need ``Authorization: Bot <token>``; anything else is 401 like Discord."""
    if request.headers.get("Authorization") != f"Bot {state_of(request).token}":
        raise DiscordError(401, 0, "401: Unauthorized")


async def read_object(request: web.Request) -> tuple[dict[str, Any], list[Upload]]:
    """A body that must be a JSON object (most routes)."""
    body, uploads = await read_body(request)
    if not isinstance(body, dict):
        raise DiscordError(400, 50109, "The request body contains invalid JSON.")
    return body, uploads


async def read_body(request: web.Request) -> tuple[Any, list[Upload]]:
    """A JSON body, or multipart with ``payload_json`` plus ``files[n]`` as discord.py uploads files."""
    if not request.can_read_body:
        return {}, []
    if request.content_type != "multipart/form-data":
        try:
            return await request.json(), []
        except json.JSONDecodeError:
            raise DiscordError(400, 50109, "The request body contains invalid JSON.") from None
    payload: Any = {}
    uploads: list[Upload] = []
    reader = await request.multipart()
    async for part in reader:
        name = getattr(part, "name", None) or ""
        data = await part.read()  # type: ignore[union-attr]
        if name == "payload_json":
            payload = json.loads(data)
        elif name.startswith("files[") or name == "file":
            index = int(name[6:-1]) if name.startswith("files[") else len(uploads)
            content_type = part.headers.get("Content-Type")  # type: ignore[union-attr]
            uploads.append(Upload(index, getattr(part, "filename", None) or f"file{index}", content_type, bytes(data)))
    return payload, uploads


@web.middleware
async def discord_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Render DiscordError and unknown routes as Discord's JSON errors, recording unsupported routes."""
    try:
        return await handler(request)
    except DiscordError as error:
        return json_response(error.body(), error.status)
    except web.HTTPNotFound:
        state_of(request).violate("unsupported_route", f"{request.method} {request.path}")
        return json_response({"message": "404: Not Found", "code": 0}, 404)
    except web.HTTPMethodNotAllowed:
        state_of(request).violate("unsupported_route", f"{request.method} {request.path}")
        return json_response({"message": "405: Method Not Allowed", "code": 0}, 405)
