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
from .i18n import t
from .manifest import DEFAULT_LOCALE
from .registry import PluginRegistry

Status = Literal["up", "degraded", "unconfigured", "down"]
Overall = Literal["UP", "DEGRADED", "DOWN"]


@dataclass(frozen=True)
class ServiceHealth:
    plugin_id: str
    critical: bool
    status: Status
    latency_ms: float
    version: str | None = None
    why: Why | None = None

    @property
    def detail(self) -> str | None:
        """The failure in English, as the log says it."""
        return self.why.text() if self.why else None


async def check_one(session: aiohttp.ClientSession, plugin: Plugin) -> ServiceHealth:
    """GET the manifest's health path; the service's own JSON gives its status and version."""
    health = plugin.manifest.health
    started = time.perf_counter()

    def result(status: Status, version: str | None = None, because: Why | None = None) -> ServiceHealth:
        return ServiceHealth(
            plugin.id, health.critical, status, (time.perf_counter() - started) * 1000, version, because
        )

    try:
        async with asyncio.timeout(health.timeout):
            async with session.get(plugin.url.rstrip("/") + health.path) as response:
                body = await response.json(content_type=None) if await response.read() else {}
    except (aiohttp.ClientError, ValueError, OSError, TimeoutError) as exc:
        return result("down", because=why(exc, health.timeout))
    body = body if isinstance(body, dict) else {}
    version = str(body["version"]) if body.get("version") is not None else None
    reported = str(body.get("status", "ok" if response.status < 400 else "error"))
    if response.status >= 400 or reported not in ("ok", "up", "degraded"):
        return result("down", version, Why("http", (("status", str(response.status)), ("reported", reported))))
    if reported != "degraded":
        return result("up", version)
    return result("unconfigured" if only_unconfigured(body) else "degraded", version)


def only_unconfigured(body: dict) -> bool:
    """A service that is up and only waits for its operator's settings (service_kit's "unconfigured" check)."""
    checks = body.get("checks")
    failing = {str(v) for v in checks.values() if v != "ok"} if isinstance(checks, dict) else set()
    return failing == {"unconfigured"}


@dataclass(frozen=True)
class Why:
    """A failure as a reply key (`health.reasons.<key>`) and its values: English in logs, the reader's in /health."""

    key: str
    values: tuple[tuple[str, str], ...] = ()

    def text(self, locale: str = DEFAULT_LOCALE) -> str:
        return t(locale, f"health.reasons.{self.key}", **dict(self.values))


# errno -> the reason an operator reads in /health and in the bot's log (locales' [replies.health.reasons]).
ERRNO_REASONS = {
    errno.ECONNREFUSED: "refused",
    errno.EHOSTUNREACH: "host_unreachable",
    errno.ENETUNREACH: "network_unreachable",
    errno.ETIMEDOUT: "connect_timed_out",
    errno.ECONNRESET: "reset",
    errno.ECONNABORTED: "aborted",
    errno.EPIPE: "closed",
    errno.EADDRNOTAVAIL: "address_not_available",
}


def why(exc: BaseException, timeout: float | None = None) -> Why:
    """Why a call failed, in words an operator can act on: `not answering`, `DNS name not found`, never a class name."""
    if isinstance(exc, TimeoutError):  # asyncio's, aiohttp's connect/read timeouts
        return Why("timed_out_after", (("seconds", f"{timeout:g}"),)) if timeout else Why("timed_out")
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return why(exc.os_error) if isinstance(exc.os_error, socket.gaierror) else Why("dns_not_found")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return Why("tls") if isinstance(exc.os_error, ssl.SSLError) else why(exc.os_error, timeout)
    if isinstance(exc, socket.gaierror):
        return Why("dns_no_server") if exc.errno == socket.EAI_AGAIN else Why("dns_not_found")
    if isinstance(exc, ssl.SSLError | aiohttp.ClientSSLError):
        return Why("tls")
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return Why("disconnected")
    if isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ClientResponseError):
        return Why("broken_http")
    if isinstance(exc, aiohttp.InvalidURL):
        return Why("invalid_url")
    if isinstance(exc, ValueError):  # the body of a 2xx: JSON expected
        return Why("not_json")
    if isinstance(exc, OSError) and exc.errno in ERRNO_REASONS:
        return Why(ERRNO_REASONS[exc.errno])
    if isinstance(exc, OSError) and exc.strerror:
        return Why("os_error", (("error", exc.strerror.lower()),))
    return Why("connection_failed")


def reason(exc: BaseException, timeout: float | None = None) -> str:
    """`why` in English, for the bot's log."""
    return why(exc, timeout).text()


async def check_all(registry: PluginRegistry) -> list[ServiceHealth]:
    """Every loaded plugin's service at once, on the bot's session; the slowest is bounded by its own timeout."""
    session = registry.session
    return list(await asyncio.gather(*(check_one(session, p) for p in registry.with_service())))


def overall(results: Iterable[ServiceHealth]) -> Overall:
    """A critical service down → DOWN; an optional one down or anything degraded → DEGRADED. An optional plugin that
    is simply not set up is a choice of the operator, not a degradation of the bot."""
    results = list(results)
    if any(r.status == "down" and r.critical for r in results):
        return "DOWN"
    if any(r.status != "up" and (r.critical or r.status != "unconfigured") for r in results):
        return "DEGRADED"
    return "UP"


def gateway_ms(latency: float) -> float | None:
    """discord.py reports inf/nan before the first heartbeat ACK."""
    return None if not math.isfinite(latency) else latency * 1000
