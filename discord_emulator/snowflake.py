"""Snowflake ids shaped like Discord's, so clients can read timestamps out of them."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime

DISCORD_EPOCH_MS = 1420070400000


class SnowflakeFactory:
    """Mints increasing snowflakes: millisecond timestamp, worker/process bits and a counter."""

    def __init__(self, worker_id: int = 1, process_id: int = 0) -> None:
        self._worker = worker_id & 0x1F
        self._process = process_id & 0x1F
        self._counter = itertools.count()
        self._last = 0

    def next(self) -> int:
        """Return a fresh snowflake that is strictly greater than the previous one."""
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        value = (ms << 22) | (self._worker << 17) | (self._process << 12) | (next(self._counter) & 0xFFF)
        self._last = max(value, self._last + 1)
        return self._last


def snowflake_time(snowflake: int) -> datetime:
    """Decode the creation time Discord encodes in every id."""
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)


def iso(moment: datetime) -> str:
    """Format a timestamp the way Discord does (ISO 8601 with microseconds and +00:00)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def utcnow() -> datetime:
    """Current time as an aware UTC datetime."""
    return datetime.now(UTC)
