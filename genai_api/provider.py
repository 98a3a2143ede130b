"""What every provider client shares: the completion it returns and one HTTP call that maps every failure."""

import asyncio
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


async def post_json(endpoint: Endpoint, url: str, *, headers: dict[str, str], body: dict[str, Any]) -> httpx.Response:
    """POST within the deadline (whole call, not per read); transport failures become provider_unavailable."""
    try:
        async with asyncio.timeout(endpoint.timeout_s):
            async with httpx.AsyncClient(timeout=endpoint.timeout_s) as client:
                return await client.post(url, headers=headers, json=body)
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


def raise_for_status(endpoint: Endpoint, response: httpx.Response, model: str) -> None:
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


def json_object(endpoint: Endpoint, response: httpx.Response) -> dict[str, Any]:
    """The body as a JSON object, or provider_bad_response."""
    try:
        data = response.json()
    except ValueError:
        data = None
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
