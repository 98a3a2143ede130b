"""An HTTP/1.1 fault-injection proxy between two services, for tests of what a caller does when the network fails.

Modes are read per request, so switching also affects keep-alive connections a client already pooled:
- ``pass``: relay requests and responses.
- ``refuse``: close the client connection at once; upstream sees nothing.
- ``drop_response``: send the request upstream, read its whole response, then close the client
  connection without replying (upstream applied it, the caller never heard back).
- ``delay``: send the request upstream at once, relay the response ``seconds`` later.
- ``answer``: send the request upstream, read its response, then answer ``status`` with an error body instead
  (upstream applied it, the caller heard a 5xx, a 429, or a 2xx it cannot read).
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from .processes import free_port

MODES = ("pass", "refuse", "drop_response", "delay", "answer")
NO_BODY_STATUSES = {204, 304}


@dataclass(frozen=True)
class Seen:
    """One request the proxy handled, and the mode it was handled in."""

    mode: str
    method: str
    target: str


class _Closed(Exception):
    """The peer closed the connection before a whole message arrived."""


async def _read_message(reader: asyncio.StreamReader, *, request_method: str | None = None) -> bytes | None:
    """One raw HTTP/1.1 message (head + body, bytes untouched); None on a clean EOF before it starts."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            return None
        raise _Closed from exc
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    is_response = request_method is not None
    if is_response:
        status = int(lines[0].split()[1])
        if request_method == "HEAD" or status in NO_BODY_STATUSES or status < 200:
            return head
    try:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return head + await _read_chunked(reader)
        if "content-length" in headers:
            return head + await reader.readexactly(int(headers["content-length"]))
    except asyncio.IncompleteReadError as exc:
        raise _Closed from exc
    return head + (await reader.read() if is_response else b"")


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = b""
    while True:
        size_line = await reader.readuntil(b"\r\n")
        body += size_line
        size = int(size_line.split(b";")[0].strip(), 16)
        if size == 0:
            while True:
                trailer = await reader.readuntil(b"\r\n")
                body += trailer
                if trailer == b"\r\n":
                    return body
        body += await reader.readexactly(size + 2)


def _answer(status: int) -> bytes:
    """A whole response of that status whose JSON body is no service's answer (no id, an unknown code)."""
    body = b'{"detail": "answered by the fault proxy", "code": "injected"}'
    head = f"HTTP/1.1 {status} Injected\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    return head.encode("latin-1") + body


def _request_line(message: bytes) -> tuple[str, str]:
    method, target, *_ = message.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
    return method, target


class FaultProxy:
    """Listens on a free loopback port and forwards to upstream_url, misbehaving on demand."""

    def __init__(self, upstream_url: str) -> None:
        upstream = urlsplit(upstream_url)
        self.upstream = (upstream.hostname or "127.0.0.1", upstream.port or 80)
        self.port = free_port()
        self.mode = "pass"
        self.delay_seconds = 0.0
        self.answer_status = 503
        self.seen: list[Seen] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fault-proxy", daemon=True)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set_mode(self, mode: str, seconds: float = 0.0, *, status: int = 503) -> None:
        """Switch behaviour for every request from now on; seconds only applies to 'delay', status to 'answer'."""
        if mode not in MODES:
            raise ValueError(f"unknown proxy mode {mode!r}; expected one of {MODES}")
        self.mode, self.delay_seconds, self.answer_status = mode, seconds, status

    def start(self) -> FaultProxy:
        self._thread.start()
        self._server = self._call(asyncio.start_server(self._handle, "127.0.0.1", self.port))
        return self

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=10)

    async def _shutdown(self) -> None:
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._tasks.add(task)
        upstream_writer = None
        try:
            upstream_reader = None
            while self.mode != "refuse":
                request = await _read_message(client_reader)
                if request is None:
                    break
                mode, delay, status = self.mode, self.delay_seconds, self.answer_status
                method, target = _request_line(request)
                self.seen.append(Seen(mode, method, target))
                if mode == "refuse":
                    break
                if upstream_writer is None or upstream_reader.at_eof():
                    if upstream_writer is not None:
                        upstream_writer.close()
                    upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
                upstream_writer.write(request)
                await upstream_writer.drain()
                response = await _read_message(upstream_reader, request_method=method)
                if response is None or mode == "drop_response":
                    break
                if mode == "delay":
                    await asyncio.sleep(delay)
                client_writer.write(_answer(status) if mode == "answer" else response)
                await client_writer.drain()
        except (_Closed, ConnectionError, asyncio.CancelledError, OSError):
            pass
        finally:
            for writer in (client_writer, upstream_writer):
                if writer is not None:
                    writer.close()
            self._tasks.discard(task)
