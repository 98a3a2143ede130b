"""What every provider client shares: the completion it returns and one HTTP call that maps every failure."""

import asyncio
import json
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from genai_api.errors import (
    ProviderAuthFailed,
    ProviderBadResponse,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
)

RETRY_AFTER_MAX_CHARS = 64


@dataclass(frozen=True)
class Completion:
    """A provider's answer, reduced to what the bot needs."""

    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class Provider(Protocol):
    """One configured provider; complete() raises genai_api.errors for every failure."""

    name: str
    default_model: str

    async def complete(self, *, prompt: str, system_prompt: str | None, model: str) -> Completion: ...


@dataclass(frozen=True)
class Endpoint:
    """Where a provider is and which settings an operator edits when it refuses us."""

    name: str
    key_setting: str
    model_setting: str
    base_setting: str
    timeout_s: float
    max_response_bytes: int


@dataclass(frozen=True)
class ProviderAnswer:
    """A provider's HTTP answer, its body read up to the size cap and no further."""

    status_code: int
    headers: httpx.Headers
    body: bytes

    def json(self) -> Any:
        """The decoded body, or None when it is no JSON: broken, not UTF-8, or nested deeper than the parser goes."""
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):
            return None


async def _read_capped(endpoint: Endpoint, response: httpx.Response) -> bytes:
    """At most max_response_bytes: a declared length over it is refused unread, a stream is cut when it passes it."""
    cap, declared = endpoint.max_response_bytes, response.headers.get("content-length", "")
    too_large = bad_response(endpoint, f"a body larger than {cap} bytes (GENAI_MAX_RESPONSE_BYTES)")
    if declared.isdigit() and int(declared) > cap:
        raise too_large
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > cap:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def post_json(endpoint: Endpoint, url: str, *, headers: dict[str, str], body: dict[str, Any]) -> ProviderAnswer:
    """POST within the deadline (whole call, not per read); transport failures become provider_unavailable."""
    try:
        async with asyncio.timeout(endpoint.timeout_s):
            async with (
                httpx.AsyncClient(timeout=endpoint.timeout_s) as client,
                client.stream("POST", url, headers=headers, json=body) as response,
            ):
                return ProviderAnswer(response.status_code, response.headers, await _read_capped(endpoint, response))
    except httpx.DecodingError:
        raise bad_response(endpoint, "a body its Content-Encoding does not decode") from None
    except (TimeoutError, httpx.TimeoutException):
        raise ProviderUnavailable(
            f"{endpoint.name} did not answer within {endpoint.timeout_s:g} s; retry later", provider=endpoint.name
        ) from None
    except httpx.RequestError as exc:
        raise ProviderUnavailable(
            f"{endpoint.name} could not be reached ({type(exc).__name__}); "
            f"check {endpoint.base_setting} or retry later",
            provider=endpoint.name,
        ) from None


def raise_for_status(endpoint: Endpoint, response: ProviderAnswer, model: str) -> None:
    """Turn a provider's refusal into the error the bot and the operator can act on."""
    status, name = response.status_code, endpoint.name
    if 200 <= status < 300:
        return
    if status in (401, 403):
        raise ProviderAuthFailed(
            f"{name} refused the API key (HTTP {status}); check {endpoint.key_setting}", provider=name
        )
    if status == 429:
        raise rate_limited(endpoint, response.headers.get("retry-after"))
    if status >= 500:
        raise ProviderUnavailable(f"{name} is failing (HTTP {status}); retry later", provider=name)
    if status == 404:
        raise ProviderRejected(
            f"{name} does not know model {model!r} (HTTP 404); check {endpoint.model_setting}, "
            f"the request's model or {endpoint.base_setting}",
            provider=name,
        )
    if 400 <= status < 500:
        raise ProviderRejected(f"{name} refused the request (HTTP {status})", provider=name)
    raise ProviderBadResponse(f"{name} answered an unexpected HTTP {status}", provider=name)


def rate_limited(endpoint: Endpoint, retry_after: str | None) -> ProviderRateLimited:
    """A 429 for the bot, carrying the provider's Retry-After (when it sent a sane one) so it knows when."""
    retry_after = (retry_after or "").strip()
    headers = {"Retry-After": retry_after} if 0 < len(retry_after) <= RETRY_AFTER_MAX_CHARS else None
    return ProviderRateLimited(
        f"{endpoint.name} is rate limiting us; retry later", headers=headers, provider=endpoint.name
    )


def json_object(endpoint: Endpoint, response: ProviderAnswer) -> dict[str, Any]:
    """The body as a JSON object, or provider_bad_response."""
    data = response.json()
    if not isinstance(data, dict):
        raise bad_response(endpoint, "a body that is not a JSON object")
    return data


def bad_response(endpoint: Endpoint, what: str) -> ProviderBadResponse:
    """A 200 we cannot use; the detail says what was wrong, never what the body held."""
    return ProviderBadResponse(f"{endpoint.name} answered {what}", provider=endpoint.name)


def as_object(value: Any) -> dict[str, Any]:
    """A nested JSON object, or an empty one when the provider sent something else."""
    return value if isinstance(value, dict) else {}


def token_count(value: Any) -> int:
    """Usage is informative only, so a server that omits it reports 0 rather than failing the answer."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0
