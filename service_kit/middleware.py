"""The edge every service shares, before any route or credential check, as ONE pure-ASGI pass: the request's id and
clock (X-Request-ID, Server-Timing, one access line), a body over the limit refused unread, a database blip retried
once when nothing was committed (else 503 `database_unavailable`, never 500), and a crash answered 500 with the id.

One layer instead of three: each layer wrapped receive and send again and cost a coroutine per message."""

import asyncio
import json
import logging
import re
import time
import uuid

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service_kit.db import RequestWork, is_database_blip, request_work, worth_retrying
from service_kit.errors import BodyTooLarge, DatabaseUnavailable, error_response
from service_kit.logging import INTERNAL_ERROR_CODE, error_logger, log_access, request_id_var
from service_kit.timing import SERVER_TIMING, RequestTiming, request_timing

logger = logging.getLogger("service_kit.middleware")
DEFAULT_MAX_BODY_BYTES = 64 * 1024
RETRY_PAUSE_S = 0.2
"""How long a request waits before its one retry: a failover or a restart's first seconds may pass meanwhile."""
RETRY_AFTER_S = 1
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


def _id_and_length(headers: list[tuple[bytes, bytes]]) -> tuple[str, int | None]:
    """The X-Request-ID sent (the last one) and the declared Content-Length (the first), in one walk of the headers."""
    sent, length = b"", None
    for name, value in headers:
        if name == b"x-request-id":
            sent = value
        elif name == b"content-length" and length is None:
            try:
                length = int(value)
            except ValueError:
                length = -1  # unreadable: counted as it comes, like a chunked body
    return sent.decode("latin-1"), (None if length == -1 else length)


class _Answer:
    """One request's answer as it leaves: its status so far, stamped with the id and Server-Timing on its start."""

    __slots__ = ("send", "request_id", "timing", "status")

    def __init__(self, send: Send, request_id: str, timing: RequestTiming) -> None:
        self.send, self.request_id, self.timing, self.status = send, request_id, timing, 0

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            message["headers"] = [
                *message.get("headers", ()),
                (b"x-request-id", self.request_id.encode()),
                (SERVER_TIMING, self.timing.header()),
            ]
        await self.send(message)


def _replaying(recorded: list[Message], receive: Receive) -> Receive:
    """The body the first attempt read, again, then whatever the client still sends (a disconnect, the rest)."""
    pending = list(recorded)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


class ServiceEdge:
    """X-Request-ID honoured or made, Server-Timing and one access line on every answer; a declared Content-Length
    over the limit is a 413 at once and a streamed (chunked) body is counted as it comes; with a database, a
    connection lost or refused before the request committed anything runs it once more on a fresh connection.

    After a commit the outcome is the caller's to learn (its idempotency key makes asking again safe), so the answer
    is 503 `database_unavailable` with Retry-After, as it is when the retry meets the database down too.
    """

    def __init__(self, app: ASGIApp, default_limit: int = DEFAULT_MAX_BODY_BYTES, retry_blips: bool = False) -> None:
        self.app, self.default_limit, self.retry_blips = app, default_limit, retry_blips

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent, declared = _id_and_length(scope["headers"])
        request_id = sent if _VALID_REQUEST_ID.match(sent) else uuid.uuid4().hex
        id_token, timing = request_id_var.set(request_id), RequestTiming()
        timing_token = request_timing.set(timing)
        answer = _Answer(send, request_id, timing)
        try:
            limit = getattr(scope["app"].state, "max_body_bytes", None) or self.default_limit
            if declared is not None and declared > limit:
                await self._refuse_body(scope, receive, answer, limit)
            elif self.retry_blips:
                await self._with_one_retry(scope, self._reading(receive, limit, declared is None), answer)
            else:
                await self.app(scope, receive if declared is not None else self._reading(receive, limit, True), answer)
        except Exception:
            error_logger.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if answer.status:
                raise
            await _send_internal_error(answer, request_id)
        finally:
            elapsed_ms = (time.perf_counter() - timing.started) * 1000
            log_access(request_id, scope["method"], scope["path"], answer.status, elapsed_ms)
            request_timing.reset(timing_token)
            request_id_var.reset(id_token)

    @staticmethod
    async def _refuse_body(scope: Scope, receive: Receive, answer: _Answer, limit: int) -> None:
        response = error_response(BodyTooLarge.status_code, _too_large(limit), BodyTooLarge.code)
        response.headers["Connection"] = "close"  # the rest of the body is never read
        await response(scope, receive, answer)

    def _reading(self, receive: Receive, limit: int, counting: bool) -> Receive:
        """receive, counting a body of undeclared length against the limit and, with a database, recording what
        was read so a retry can replay it (`.recorded`)."""
        recorded: list[Message] = []
        counted = 0

        async def reading() -> Message:
            nonlocal counted
            message = await receive()
            if message["type"] == "http.request":
                if counting:
                    counted += len(message.get("body", b""))
                    if counted > limit:  # FastAPI passes an HTTPException through to the kit's handler: same body
                        raise HTTPException(
                            BodyTooLarge.status_code, _too_large(limit), headers={"Connection": "close"}
                        )
                if self.retry_blips:
                    recorded.append(message)
            return message

        reading.recorded = recorded  # type: ignore[attr-defined]
        return reading

    async def _with_one_retry(self, scope: Scope, reading: Receive, answer: _Answer) -> None:
        failed = await self._attempt(scope, reading, answer)
        if failed is None:
            return
        error, work = failed
        where = f"{scope['method']} {scope['path']}"
        if not work.committed and worth_retrying(error):
            logger.warning("database blip on %s (%s), nothing committed: retrying once", where, _describe(error))
            await asyncio.sleep(RETRY_PAUSE_S)
            failed = await self._attempt(scope, _replaying(reading.recorded, reading), answer)  # type: ignore[attr-defined]
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
        await response(scope, reading, answer)

    async def _attempt(
        self, scope: Scope, receive: Receive, answer: _Answer
    ) -> tuple[BaseException, RequestWork] | None:
        """Run the app; the blip and what was committed when one struck before any answer began, else None."""
        work = RequestWork()
        token = request_work.set(work)
        try:
            await self.app(scope, receive, answer)
        except Exception as error:
            if answer.status or not is_database_blip(error):
                raise
            return error, work
        finally:
            request_work.reset(token)
        return None


def _too_large(limit: int) -> str:
    return f"body: larger than this service's limit of {limit} bytes"


def _describe(error: BaseException) -> str:
    """The driver's error class and SQLSTATE: never its message, which may quote a statement's parameters."""
    cause = getattr(error, "orig", None) or error
    code = getattr(cause, "pgcode", None)
    return type(cause).__name__ + (f" {code}" if code else "")


async def _send_internal_error(send: Send, request_id: str) -> None:
    """The one error shape, even for a crash: the caller gets the request id to quote."""
    body = json.dumps(
        {
            "detail": "internal error; the request id is in the logs",
            "code": INTERNAL_ERROR_CODE,
            "request_id": request_id,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
