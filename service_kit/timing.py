"""Server-Timing: how long a request spent in this process and, of that, waiting on PostgreSQL and on the services
it called, on every answer."""

import time
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any

from psycopg2.extensions import connection as Psycopg2Connection
from psycopg2.extensions import cursor as Psycopg2Cursor

SERVER_TIMING = b"server-timing"


class RequestTiming:
    """One request's clock, its database and upstream time so far; calls add to it from whichever thread runs them."""

    __slots__ = ("started", "db_s", "upstream_s")

    def __init__(self) -> None:
        self.started, self.db_s, self.upstream_s = time.perf_counter(), 0.0, 0.0

    def header(self) -> bytes:
        """`app;dur=<ms>, db;dur=<ms>, upstream;dur=<ms>`: all three always, in this order, so a benchmark can split
        a request's time without guessing."""
        app_ms = (time.perf_counter() - self.started) * 1000
        return (
            f"app;dur={app_ms:.2f}, db;dur={self.db_s * 1000:.2f}, upstream;dur={self.upstream_s * 1000:.2f}".encode()
        )


request_timing: ContextVar[RequestTiming | None] = ContextVar("request_timing", default=None)


def _count_database_since(started: float) -> None:
    timing = request_timing.get()
    if timing is not None:
        timing.db_s += time.perf_counter() - started


def count_upstream_since(started: float) -> None:
    """A call to another service (balance_api, for coin_api and bet_api) ended: its wall time is upstream time."""
    timing = request_timing.get()
    if timing is not None:
        timing.upstream_s += time.perf_counter() - started


class TimedCursor(Psycopg2Cursor):
    """psycopg2's cursor, adding each statement's round trip (lock waits included) to the request's db time."""

    def execute(self, query: Any, vars: Any = None) -> None:
        started = time.perf_counter()
        try:
            return super().execute(query, vars)
        finally:
            _count_database_since(started)

    def executemany(self, query: Any, vars_list: Iterable[Any]) -> None:
        started = time.perf_counter()
        try:
            return super().executemany(query, vars_list)
        finally:
            _count_database_since(started)


class TimedConnection(Psycopg2Connection):
    """psycopg2's connection with timed cursors, and COMMIT/ROLLBACK timed too: SQLAlchemy's events miss those."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cursor_factory = TimedCursor

    def commit(self) -> None:
        started = time.perf_counter()
        try:
            super().commit()
        finally:
            _count_database_since(started)

    def rollback(self) -> None:
        started = time.perf_counter()
        try:
            super().rollback()
        finally:
            _count_database_since(started)
