"""Discord markup read in a terminal: bold dropped, timestamps as dates, mentions as @names, escapes undone."""

from __future__ import annotations

import re
import time
from datetime import datetime

TIMESTAMP = re.compile(r"<t:(-?\d+)(?::([tTdDfFR]))?>")
USER_MENTION = re.compile(r"<@!?(\d+)>")
ESCAPED = re.compile(r"\\([^A-Za-z0-9\s])")  # Discord shows \* as *: a backslash before punctuation


def humanize(text: str, names: dict[int, str]) -> str:
    """Discord markup a terminal cannot show: **bold**, <t:...> timestamps, <@id> mentions."""

    def when(match: re.Match) -> str:
        moment = datetime.fromtimestamp(int(match[1])).astimezone()
        if match[2] != "R":
            return moment.strftime("%Y-%m-%d %H:%M")
        minutes = round((moment.timestamp() - time.time()) / 60)
        span = f"{abs(minutes) // 60} h {abs(minutes) % 60} min" if abs(minutes) >= 60 else f"{abs(minutes)} min"
        return f"in {span}" if minutes >= 0 else f"{span} ago"

    text = TIMESTAMP.sub(when, text.replace("**", "").replace("__", ""))
    text = USER_MENTION.sub(lambda m: "@" + names.get(int(m[1]), m[1]), text)
    return ESCAPED.sub(r"\1", text).replace("\u200b", "")  # the bot's escapes of member text, read as typed
