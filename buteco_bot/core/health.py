"""Every plugin's service checked in parallel, each within its own timeout, summed up as UP/DEGRADED/DOWN.

A failure is said in words an operator acts on (`not answering`, `DNS name not found`), never as a class name.
"""

from __future__ import annotations

import asyncio
import errno
import math
import socket
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import aiohttp

from .discovery import Plugin
from .registry import PluginRegistry

Status = Literal["up", "degraded", "down"]
Overall = Literal["UP", "DEGRADED", "DOWN"]


@dataclass(frozen=True)
class ServiceHealth:
    plugin_id: str
    critical: bool
    status: Status
    latency_ms: float
    version: str | None = None
    detail: str | None = None


async def check_one(session: aiohttp.ClientSession, plugin: Plugin) -> ServiceHealth:
    """GET the manifest's health path; the service's own JSON gives its status and version."""
    health = plugin.manifest.health
    started = time.perf_counter()

    def result(status: Status, version: str | None = None, detail: str | None = None) -> ServiceHealth:
        return ServiceHealth(
            plugin.id, health.critical, status, (time.perf_counter() - started) * 1000, version, detail
        )

    try:
        async with asyncio.timeout(health.timeout):
            async with session.get(plugin.url.rstrip("/") + health.path) as response:
                body = await response.json(content_type=None) if await response.read() else {}
    except (aiohttp.ClientError, ValueError, OSError, TimeoutError) as exc:
        return result("down", detail=reason(exc, health.timeout))
    body = body if isinstance(body, dict) else {}
    version = str(body["version"]) if body.get("version") is not None else None
    reported = str(body.get("status", "ok" if response.status < 400 else "error"))
    if response.status >= 400 or reported not in ("ok", "up", "degraded"):
        return result("down", version, f"HTTP {response.status} {reported}")
    return result("degraded" if reported == "degraded" else "up", version, reported if reported == "degraded" else None)


# errno -> what an operator reads in /health and in the bot's log.
ERRNO_REASONS = {
    errno.ECONNREFUSED: "not answering (connection refused)",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "network unreachable",
    errno.ETIMEDOUT: "not answering (connect timed out)",
    errno.ECONNRESET: "closed the connection (reset)",
    errno.ECONNABORTED: "closed the connection (aborted)",
    errno.EPIPE: "closed the connection",
    errno.EADDRNOTAVAIL: "address not available",
}


def reason(exc: BaseException, timeout: float | None = None) -> str:
    """Why a call failed, in words an operator can act on: `not answering`, `DNS name not found`, never a class name."""
    if isinstance(exc, TimeoutError):  # asyncio's, aiohttp's connect/read timeouts
        return f"timed out after {timeout:g} s" if timeout else "timed out"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return reason(exc.os_error) if isinstance(exc.os_error, socket.gaierror) else "DNS name not found"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "TLS handshake failed" if isinstance(exc.os_error, ssl.SSLError) else reason(exc.os_error, timeout)
    if isinstance(exc, socket.gaierror):
        if exc.errno == socket.EAI_AGAIN:
            return "DNS lookup failed (no DNS server answered)"
        return "DNS name not found"
    if isinstance(exc, ssl.SSLError | aiohttp.ClientSSLError):
        return "TLS handshake failed"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "closed the connection without answering"
    if isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ClientResponseError):
        return "sent a broken HTTP response"
    if isinstance(exc, aiohttp.InvalidURL):
        return "invalid URL"
    if isinstance(exc, ValueError):  # the body of a 2xx: JSON expected
        return "answered something that is not JSON"
    if isinstance(exc, OSError) and exc.errno in ERRNO_REASONS:
        return ERRNO_REASONS[exc.errno]
    if isinstance(exc, OSError) and exc.strerror:
        return f"connection failed ({exc.strerror.lower()})"
    return "connection failed"


async def check_all(registry: PluginRegistry) -> list[ServiceHealth]:
    """Every loaded plugin's service at once, on the bot's session; the slowest is bounded by its own timeout."""
    session = registry.session
    return list(await asyncio.gather(*(check_one(session, p) for p in registry.with_service())))


def overall(results: Iterable[ServiceHealth]) -> Overall:
    """A critical service down → DOWN; an optional one down or anything degraded → DEGRADED."""
    results = list(results)
    if any(r.status == "down" and r.critical for r in results):
        return "DOWN"
    if any(r.status != "up" for r in results):
        return "DEGRADED"
    return "UP"


def gateway_ms(latency: float) -> float | None:
    """discord.py reports inf/nan before the first heartbeat ACK."""
    return None if not math.isfinite(latency) else latency * 1000
