"""Fingerprints of requests, so a reused idempotency key with a different body is caught; the replay header."""

import hashlib
import json
from typing import Any

from starlette.responses import Response


def request_fingerprint(payload: Any) -> str:
    """SHA-256 of the canonical JSON of what the caller asked for."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def mark_replayed(response: Response, replayed: bool) -> None:
    """The header that tells a caller its retry changed nothing: the answer is the first one, again."""
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
