"""HTTP client for calling another internal service with this service's own credential and the request id."""

import time
from typing import Any

import httpx
from pydantic import SecretStr

from service_kit.logging import request_id_var
from service_kit.timing import count_upstream_since


class InternalClient:
    """A pooled client bound to one service; callers decide what a failure means."""

    def __init__(self, base_url: str, own_token: SecretStr, timeout_s: float) -> None:
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {own_token.get_secret_value()}"},
            timeout=httpx.Timeout(timeout_s),
            # Idle connections are dropped before uvicorn's 5 s keep-alive closes them under us mid-request.
            limits=httpx.Limits(keepalive_expiry=2.0),
        )

    def request(
        self, method: str, path: str, *, json: Any = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        """Send one request, forwarding the request id so both services log the same one; its time is upstream."""
        merged = {"X-Request-ID": request_id_var.get(), **(headers or {})}
        started = time.perf_counter()
        try:
            return self._client.request(method, path, json=json, headers=merged)
        finally:
            count_upstream_since(started)

    def close(self) -> None:
        self._client.close()
