"""What PostgreSQL received, read from its own log: how tests count a request's round trips on the wire."""

from __future__ import annotations

import re
import time

from .postgres import Postgres

SETTINGS = {"log_statement": "all", "log_line_prefix": "%m [%p] %a "}
"""Give these to Postgres.throwaway(settings=...): every statement logged with the application that sent it."""
_LOGGED = re.compile(r"\] (\w+) LOG:  (?:statement|execute [^:]*): ((?:.|\n\t)*?)(?=\n\S|\n?\Z)")


def mark(server: Postgres) -> int:
    """Where the log ends now; statements_since(server, mark) reads what came after."""
    return len(server.log_path.read_text())


def statements_since(server: Postgres, since: int) -> list[tuple[str, str]]:
    """(application, statement on one line) for each statement logged after `since`."""
    time.sleep(0.3)  # the server writes the log line after the answer has left
    found = _LOGGED.findall(server.log_path.read_text()[since:])
    return [(application, " ".join(text.split())) for application, text in found]
