"""The migrator (compose runs it once, `restart: "no"`) waits out a database that still refuses connections, as
compose's postgres does between its init server and the real one, and fails at once on what waiting cannot fix."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from urllib.parse import urlsplit

import pytest

from buteco_dev.credentials import role_url
from buteco_dev.migrations import MIGRATION_SERVICE
from buteco_dev.processes import free_port

pytestmark = pytest.mark.slow

WAITER = MIGRATION_SERVICE / "dist" / "wait-for-database.js"


async def wait_for_database(url: str) -> tuple[int, str, float]:
    """`node dist/wait-for-database.js` (the first step of `npm run migrate`): exit code, output, seconds taken."""
    started = time.monotonic()
    waiter = await asyncio.create_subprocess_exec(
        "node",
        str(WAITER),
        env={"DATABASE_URL": url, "PATH": os.environ["PATH"]},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(waiter.communicate(), timeout=60)
    return waiter.returncode or 0, output.decode(), time.monotonic() - started


async def relay(upstream_host: str, upstream_port: int, reader, writer) -> None:
    """Forward one client connection to the real server, both ways."""
    up_reader, up_writer = await asyncio.open_connection(upstream_host, upstream_port)

    async def pipe(source, sink) -> None:
        with contextlib.suppress(OSError):
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        sink.close()

    await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


async def test_a_database_that_starts_late_is_waited_for(pg_admin_url: str, migrated_template_url: str) -> None:
    server = urlsplit(pg_admin_url)
    port = free_port()  # nothing listens there for the first 2.5 s: connection refused, like postgres during init
    late_url = pg_admin_url.replace(f"@{server.hostname}:{server.port}/", f"@127.0.0.1:{port}/")
    waiting = asyncio.create_task(wait_for_database(late_url))
    await asyncio.sleep(2.5)
    listener = await asyncio.start_server(
        lambda r, w: relay(server.hostname or "127.0.0.1", server.port or 5432, r, w), "127.0.0.1", port
    )
    try:
        code, output, _ = await waiting
    finally:
        listener.close()
    assert code == 0, output
    assert "database: not ready (ECONNREFUSED); attempt 1/10 failed, next in 1 s" in output
    assert "database: reachable after" in output


async def test_a_wrong_password_fails_at_once_and_says_what_to_check(pg_admin_url: str, migrated_template_url) -> None:
    # A service role: it must log in with a password on every server we test on (the owner may be trusted locally).
    wrong = role_url(migrated_template_url, "balance_api", "not-the-password")
    code, output, seconds = await wait_for_database(wrong)
    assert code == 1 and "not ready" not in output and seconds < 10, output
    assert "database: cannot connect (28P01" in output and "DATABASE_URL's host, port, user, password" in output
