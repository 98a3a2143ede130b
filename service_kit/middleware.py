"""Edges every service shares, before any route or credential check: a body over the limit is refused unread, and a
database blip is retried once when nothing was committed, else answered 503 `database_unavailable` — never 500."""

import asyncio
import logging

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service_kit.db import RequestWork, is_database_blip, request_work, worth_retrying
from service_kit.errors import BodyTooLarge, DatabaseUnavailable, error_response

logger = logging.getLogger("service_kit.middleware")
DEFAULT_MAX_BODY_BYTES = 64 * 1024
RETRY_PAUSE_S = 0.2
"""How long a request waits before its one retry: a failover or a restart's first seconds may pass meanwhile."""
RETRY_AFTER_S = 1


def _declared_length(scope: Scope) -> int | None:
    try:
        return int(Headers(scope=scope)["content-length"])
    except (KeyError, ValueError):
        return None


class BodyLimitMiddleware:
    """A declared Content-Length over the limit is a 413 at once; a streamed (chunked) body is counted as it comes."""

    def __init__(self, app: ASGIApp, default_limit: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app, self.default_limit = app, default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = getattr(scope["app"].state, "max_body_bytes", None) or self.default_limit
        detail = f"body: larger than this service's limit of {limit} bytes"
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            response = error_response(BodyTooLarge.status_code, detail, BodyTooLarge.code)
            response.headers["Connection"] = "close"  # the rest of the body is never read
            await response(scope, receive, send)
            return
        counted = 0

        async def counting() -> Message:
            nonlocal counted
            message = await receive()
            if message["type"] == "http.request":
                counted += len(message.get("body", b""))
                if counted > limit:  # FastAPI passes an HTTPException through to the kit's handler: the same body
                    raise HTTPException(BodyTooLarge.status_code, detail, headers={"Connection": "close"})
            return message

        await self.app(scope, counting, send)


def _replaying(recorded: list[Message], receive: Receive) -> Receive:
    """The body the first attempt read, again, then whatever the client still sends (a disconnect, the rest)."""
    pending = list(recorded)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


class DatabaseBlipMiddleware:
    """A connection lost or refused before the request committed anything: run it once more on a fresh connection.

    After a commit the outcome is the caller's to learn (its idempotency key makes asking again safe), so the
    answer is 503 `database_unavailable` with Retry-After, as it is when the retry meets the database down too.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        recorded: list[Message] = []

        async def recording() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                recorded.append(message)
            return message

        failed = await self._attempt(scope, recording, send)
        if failed is None:
            return
        error, work = failed
        where = f"{scope['method']} {scope['path']}"
        if not work.committed and worth_retrying(error):
            logger.warning("database blip on %s (%s), nothing committed: retrying once", where, _describe(error))
            await asyncio.sleep(RETRY_PAUSE_S)
            failed = await self._attempt(scope, _replaying(recorded, receive), send)
            if failed is None:
                return
            error, work = failed
        committed = "after a commit" if work.committed else "nothing committed"
        logger.warning("database unavailable on %s (%s, %s): answered 503", where, _describe(error), committed)
        response = error_response(
            DatabaseUnavailable.status_code,
            "the database is unavailable for a moment; retry shortly (the same idempotency key is safe)",
            DatabaseUnavailable.code,
        )
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
        await response(scope, receive, send)

    async def _attempt(self, scope: Scope, receive: Receive, send: Send) -> tuple[BaseException, RequestWork] | None:
        """Run the app; the blip and what was committed when one struck before any answer began, else None."""
        work, started = RequestWork(), False

        async def watching(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        token = request_work.set(work)
        try:
            await self.app(scope, receive, watching)
        except Exception as error:
            if started or not is_database_blip(error):
                raise
            return error, work
        finally:
            request_work.reset(token)
        return None


def _describe(error: BaseException) -> str:
    """The driver's error class and SQLSTATE: never its message, which may quote a statement's parameters."""
    cause = getattr(error, "orig", None) or error
    code = getattr(cause, "pgcode", None)
    return type(cause).__name__ + (f" {code}" if code else "")
