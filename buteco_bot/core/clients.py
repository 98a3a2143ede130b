"""The HTTP client of a plugin's service (shared session, its own timeout and credential, safe retries only),
and the base of the typed clients in buteco_bot.clients."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import aiohttp

log = logging.getLogger(__name__)
RETRY_STATUSES = frozenset({502, 503, 504})
RETRY_DELAYS = (0.05, 0.2, 0.5)


class ServiceRefused(Exception):
    """The service refused the call with a domain error: `{"detail", "code"}` and an HTTP status."""

    def __init__(self, service: str, status: int, code: str, detail: str, body: Mapping[str, Any] | None = None):
        self.service, self.status, self.code, self.detail = service, status, code, detail
        self.body = dict(body or {})
        super().__init__(f"{service}: {status} {code}: {detail}")


class ServiceUnavailable(Exception):
    """The service could not be reached, timed out, or answered garbage."""

    def __init__(self, service: str, reason: str) -> None:
        self.service, self.reason = service, reason
        super().__init__(f"{service} unavailable: {reason}")


@dataclass(frozen=True)
class Reply:
    status: int
    data: Any
    replayed: bool = False


class ServiceClient:
    """Bound to one service; retries what is idempotent (GETs, keyed or idempotent POSTs) within its timeout."""

    def __init__(
        self, session: aiohttp.ClientSession, name: str, base_url: str, token: str | None, timeout: float
    ) -> None:
        """`token` is this service's own credential (its manifest's token_env); None sends no Authorization."""
        self.session, self.name, self.base_url = session, name, base_url.rstrip("/")
        self.timeout = timeout
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}

    def __repr__(self) -> str:
        return f"ServiceClient({self.name!r})"

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        idempotent: bool = False,
    ) -> Reply:
        """Send, translating failures into ServiceRefused / ServiceUnavailable; the whole call honours timeout.

        Retried: GETs, keyed POSTs, and calls the service documents as idempotent (`idempotent`: a capture).
        """
        headers = dict(self._headers)
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        retryable = method in ("GET", "HEAD") or idempotency_key is not None or idempotent
        query = {k: str(v) for k, v in (params or {}).items() if v is not None}
        try:
            async with asyncio.timeout(self.timeout):
                for attempt, delay in enumerate((*RETRY_DELAYS, None)):
                    try:
                        return await self._once(method, path, json, query, headers)
                    except (ServiceUnavailable, ServiceRefused) as exc:
                        transient = isinstance(exc, ServiceUnavailable) or exc.status in RETRY_STATUSES
                        if not (retryable and transient and delay is not None):
                            raise
                        cause = (
                            f"HTTP {exc.status}"
                            if isinstance(exc, ServiceRefused)
                            else type(exc.__cause__).__name__
                            if exc.__cause__
                            else exc.reason
                        )  # never the URL
                        log.info(
                            "retrying plugin %s: %s %s after %s (attempt %d)",
                            self.name,
                            method,
                            path.split("?", 1)[0],
                            cause,
                            attempt + 1,
                        )
                        await asyncio.sleep(delay)
        except TimeoutError:
            raise ServiceUnavailable(self.name, f"no answer within {self.timeout:g} s") from None
        raise AssertionError("unreachable")

    async def _once(self, method: str, path: str, json: Any, params: dict[str, str], headers: dict[str, str]) -> Reply:
        try:
            async with self.session.request(
                method, self.base_url + path, json=json, params=params, headers=headers
            ) as response:
                body = await response.json(content_type=None) if await response.read() else None
                status = response.status
                replayed = response.headers.get("Idempotent-Replayed") == "true"
        except (aiohttp.ClientError, ValueError) as exc:
            raise ServiceUnavailable(self.name, f"{type(exc).__name__}: {exc}") from exc
        if status < 400:
            return Reply(status, body, replayed)
        if isinstance(body, dict) and isinstance(body.get("code"), str):
            raise ServiceRefused(self.name, status, body["code"], str(body.get("detail", "")), body)
        if status >= 500:
            raise ServiceUnavailable(self.name, f"HTTP {status}")
        detail = body if isinstance(body, dict) else None
        raise ServiceRefused(self.name, status, "http_error", f"HTTP {status}", detail)

    async def get(self, path: str, **params: Any) -> Any:
        return (await self.request("GET", path, params=params)).data

    async def post(
        self, path: str, json: Any = None, *, idempotency_key: str | None = None, idempotent: bool = False
    ) -> Reply:
        return await self.request("POST", path, json=json, idempotency_key=idempotency_key, idempotent=idempotent)


class ServiceApi:
    """Base of the typed clients: every call asks for the plugin's current ServiceClient, since a reload replaces it."""

    plugin_id: ClassVar[str]

    def __init__(self, current: Callable[[], ServiceClient]) -> None:
        self._current = current

    @property
    def http(self) -> ServiceClient:
        """ServiceUnavailable when the plugin is not loaded (failed, disabled, needs-config)."""
        return self._current()
