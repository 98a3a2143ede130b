"""Fake OpenAI and Gemini servers (aiohttp on loopback) speaking each provider's documented wire format."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from dataclasses import dataclass, field
from typing import Any, Self

from aiohttp import web

from buteco_dev.processes import free_port


@dataclass
class Received:
    """One request as the provider saw it, so tests assert what genai_api actually sent."""

    method: str
    path: str
    headers: dict[str, str]
    json: Any


@dataclass
class Scripted:
    """An answer a test asked for instead of the default one; body is raw bytes, json is encoded.

    repeat > 0 streams the body that many times, chunked (no Content-Length), as a runaway server would.
    """

    status: int = 200
    json: Any = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    hang_s: float = 0.0
    repeat: int = 0


class FakeProvider:
    """Base: a server in its own thread and loop, so sync tests and subprocess services can both call it."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[Received] = []
        self.scripted: Scripted | None = None
        self.streamed = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=type(self).__name__, daemon=True)
        self._release: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def script(self, **answer: Any) -> None:
        """Answer every following request this way until reset() (status, json, body, headers, hang_s)."""
        self.scripted = Scripted(**answer)

    def reset(self) -> None:
        """Back to the documented happy answer, forgetting requests and waking any hung handler."""
        self.scripted = None
        self.received.clear()
        if self._release is not None:
            self._loop.call_soon_threadsafe(self._release.set)

    def start(self) -> Self:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        self.reset()
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    async def _serve(self) -> None:
        self._release = asyncio.Event()
        app = web.Application()
        self.add_routes(app)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    def add_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def happy(self, request_json: Any, request: web.Request) -> dict[str, Any]:
        raise NotImplementedError

    async def handle(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except ValueError:
            body = None
        self.received.append(Received(request.method, request.path, dict(request.headers), body))
        answer = self.scripted
        if answer is None:
            return web.json_response(self.happy(body, request))
        if answer.hang_s:
            assert self._release is not None
            self._release.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._release.wait(), answer.hang_s)
        raw = answer.body if answer.body is not None else json.dumps(answer.json).encode()
        if answer.repeat:
            return await self._stream(request, answer, raw)
        return web.Response(status=answer.status, body=raw, headers=answer.headers, content_type="application/json")

    async def _stream(self, request: web.Request, answer: Scripted, raw: bytes) -> web.StreamResponse:
        """Write raw `repeat` times until done or the client hangs up (it should, at its size cap)."""
        response = web.StreamResponse(status=answer.status, headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        self.streamed = 0
        with contextlib.suppress(ConnectionError, RuntimeError):
            for _ in range(answer.repeat):
                await response.write(raw)
                self.streamed += len(raw)
            await response.write_eof()
        return response


class FakeOpenAI(FakeProvider):
    """POST /v1/chat/completions answering a chat.completion object, as api.openai.com documents it."""

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/chat/completions", self.handle)

    def happy(self, request_json: Any, request: web.Request) -> dict[str, Any]:
        return chat_completion(f"echo: {request_json['messages'][-1]['content']}", model=request_json["model"])


class FakeGemini(FakeProvider):
    """POST /v1beta/models/{model}:generateContent answering candidates and usageMetadata."""

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/v1beta/models/{model:[^/:]+}:generateContent", self.handle)

    def happy(self, request_json: Any, request: web.Request) -> dict[str, Any]:
        return gemini_response(
            f"echo: {request_json['contents'][-1]['parts'][0]['text']}", model=request.match_info["model"]
        )


def chat_completion(
    text: str | None, *, model: str, finish_reason: str = "stop", refusal: str | None = None
) -> dict[str, Any]:
    """The documented shape of POST /v1/chat/completions' answer."""
    return {
        "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
        "object": "chat.completion",
        "created": 1741569952,
        "model": f"{model}-2025-04-14",
        "choices": [
            {
                "index": 0,
                "logprobs": None,
                "finish_reason": finish_reason,
                "message": {"role": "assistant", "content": text, "refusal": refusal, "annotations": []},
            }
        ],
        "usage": {
            "prompt_tokens": 19,
            "completion_tokens": 10,
            "total_tokens": 29,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
        },
        "service_tier": "default",
        "system_fingerprint": "fp_b376dfbbd5",
    }


def gemini_response(text: str, *, model: str) -> dict[str, Any]:
    """The documented shape of generateContent's answer (a 2.5 model, with thinking tokens)."""
    half = len(text) // 2
    return {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"text": text[:half]}, {"text": text[half:]}]},
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {
            "promptTokenCount": 8,
            "candidatesTokenCount": 12,
            "thoughtsTokenCount": 5,
            "totalTokenCount": 25,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 8}],
        },
        "modelVersion": model,
        "responseId": "mAitaLmkHPPlz7IPvtfUqQ4",
    }


def openai_error(message: str, code: str) -> dict[str, Any]:
    """OpenAI's error body; real ones echo part of a refused key in the message, which must not be logged."""
    return {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}}


def google_error(status: int, message: str, grpc_status: str, details: list | None = None) -> dict[str, Any]:
    """Google's google.rpc.Status error body, with details such as ErrorInfo or RetryInfo."""
    error: dict[str, Any] = {"code": status, "message": message, "status": grpc_status}
    if details:
        error["details"] = details
    return {"error": error}
