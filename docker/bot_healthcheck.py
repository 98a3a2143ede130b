"""The bot container's HEALTHCHECK: healthy while the bot says it is connected to Discord.

The bot (buteco_bot/__main__.py) keeps one line in BOT_STATUS_FILE, rewritten at least every 15 s: `ready: ...`,
`starting: ...`, `reconnecting: ...` or `down: <what failed, what to check>`. This prints that line, so
`docker inspect` (and `docker compose exec bot python /usr/local/bin/bot_healthcheck.py`) says why the bot is not
healthy. Exit 0 = healthy (ready and fresh), 1 = unhealthy.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

STALE_AFTER_S = 60.0  # four missed rewrites: the bot's event loop is stuck, whatever the line says


def verdict(line: str, age_s: float) -> tuple[int, str]:
    """(exit code, what to print) for a status line written age_s seconds ago."""
    if age_s > STALE_AFTER_S:
        return 1, f"stuck: the bot has not updated its status for {age_s:.0f} s (last: {line})"
    return (0 if line.startswith("ready:") else 1), line


def main() -> int:
    name = os.environ.get("BOT_STATUS_FILE")
    if not name:
        print("BOT_STATUS_FILE is not set: the bot reports its state nowhere")
        return 1
    path = Path(name)
    try:
        line = path.read_text(encoding="utf-8").strip()
        age_s = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        print("starting: the bot has not reported its state yet")
        return 1
    code, message = verdict(line, age_s)
    print(message)
    return code


if __name__ == "__main__":
    sys.exit(main())
