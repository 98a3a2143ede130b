"""Fingerprints of requests, so a reused idempotency key with a different body is caught."""

import hashlib
import json
from typing import Any


def request_fingerprint(payload: Any) -> str:
    """SHA-256 of the canonical JSON of what the caller asked for."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
