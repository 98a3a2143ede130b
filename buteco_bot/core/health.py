"""Every plugin's service checked in parallel, each within its own timeout, summed up as UP/DEGRADED/DOWN."""

from __future__ import annotations

import asyncio
import math
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
    except TimeoutError:
        return result("down", detail=f"timeout after {health.timeout:g} s")
    except (aiohttp.ClientError, ValueError, OSError) as exc:
        return result("down", detail=type(exc).__name__)
    body = body if isinstance(body, dict) else {}
    version = str(body["version"]) if body.get("version") is not None else None
    reported = str(body.get("status", "ok" if response.status < 400 else "error"))
    if response.status >= 400 or reported not in ("ok", "up", "degraded"):
        return result("down", version, f"HTTP {response.status} {reported}")
    return result("degraded" if reported == "degraded" else "up", version, reported if reported == "degraded" else None)


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
