"""/health says why a service is down in words (`not answering`, `DNS name not found`, `timed out after 2 s`),
never an exception class name: each case is a real request to a real local socket, or through aiohttp's resolver."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from buteco_bot.core.discovery import Plugin
from buteco_bot.core.health import ServiceHealth, check_one
from buteco_bot.core.manifest import parse_manifest

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def plugin(url: str, timeout: float = 2.0) -> Plugin:
    manifest = parse_manifest(
        {
            "name": "Dice",
            "version": "1.0",
            "service": {"url_env": "DICE_API_URL", "default_url": "http://dice-api:5000"},
            "health": {"timeout": timeout, "critical": False},
        },
        "test",
        "dice",
    )
    return Plugin("dice", "test", manifest, url=url)


class NoSuchName(AbstractResolver):
    """What the system resolver does for a name nobody serves (a compose host name outside compose), or without DNS."""

    def __init__(self, code: int = socket.EAI_NONAME) -> None:
        self.code = code

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[ResolveResult]:
        raise socket.gaierror(self.code, "Name or service not known")

    async def close(self) -> None:
        return None


@pytest.fixture
async def server() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    """A raw TCP server on 127.0.0.1 behaving as the handler says; returns its URL."""
    servers: list[asyncio.Server] = []

    async def start(handler: Handler) -> str:
        started = await asyncio.start_server(handler, "127.0.0.1", 0)
        servers.append(started)
        return f"http://127.0.0.1:{started.sockets[0].getsockname()[1]}"

    yield start
    for started in servers:
        started.close()
        await started.wait_closed()


async def check(url: str, *, timeout: float = 2.0, resolver: AbstractResolver | None = None) -> ServiceHealth:
    connector = aiohttp.TCPConnector(resolver=resolver) if resolver else None
    async with aiohttp.ClientSession(connector=connector) as session:
        return await check_one(session, plugin(url, timeout))


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_nothing_listening_is_not_answering() -> None:
    result = await check(f"http://127.0.0.1:{closed_port()}")
    assert (result.status, result.detail) == ("down", "not answering (connection refused)")


@pytest.mark.parametrize(
    ("code", "detail"),
    [(socket.EAI_NONAME, "DNS name not found"), (socket.EAI_AGAIN, "DNS lookup failed (no DNS server answered)")],
)
async def test_an_unknown_host_name_is_a_dns_failure(code: int, detail: str) -> None:
    result = await check("http://dice-api:5000", resolver=NoSuchName(code))
    assert (result.status, result.detail) == ("down", detail)


async def test_a_silent_service_times_out_after_its_manifest_timeout(server) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)
        await asyncio.sleep(5)

    result = await check(await server(silent), timeout=0.3)
    assert (result.status, result.detail) == ("down", "timed out after 0.3 s")
    assert result.latency_ms < 2000


async def test_a_hang_up_a_cut_body_and_a_body_that_is_not_json_are_said_in_words(server) -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)
        writer.close()

    def answer(length: int) -> Handler:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read(1024)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n<html>hi" % length)
            await writer.drain()
            writer.close()

        return handler

    hung_up = await check(await server(hang_up))
    assert (hung_up.status, hung_up.detail) == ("down", "closed the connection without answering")
    cut = await check(await server(answer(length=100)))
    assert (cut.status, cut.detail) == ("down", "sent a broken HTTP response")
    garbled = await check(await server(answer(length=8)))
    assert (garbled.status, garbled.detail) == ("down", "answered something that is not JSON")
    for detail in (hung_up.detail, cut.detail, garbled.detail):
        assert "Error" not in detail and "Exception" not in detail
