"""What a manifest may name: environment variables that are not the bot's own, safe URLs, paths inside the service."""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import unquote, urlsplit

BOT_TOKEN_ENV = "BOT_API_TOKEN"
# Variables the bot (or the stack around it) uses for itself: never a plugin's URL or credential.
RESERVED_ENV = frozenset(
    {
        "DISCORD_TOKEN",
        "DATABASE_URL",
        "TEST_DATABASE_URL",
        "DISCORD_API_BASE",
        "DISCORD_GATEWAY_URL",
        "COIN_API_TOKEN",
        "BET_API_TOKEN",
    }
)
RESERVED_PREFIXES = ("POSTGRES_",)


def reserved_env(name: str) -> bool:
    """A variable the bot uses for itself (its Discord token, its own credential, the database)."""
    return name in RESERVED_ENV or name == BOT_TOKEN_ENV or name.startswith(RESERVED_PREFIXES)


def url_problem(url: str) -> str | None:
    """Why `url` may not be a service URL (never quoting it: it may be a misplaced secret); None when fine."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number in range
    except ValueError:
        return "it is not a valid URL"
    if parts.scheme not in ("http", "https") or not re.fullmatch(r"https?://\S+", url):
        return "it must be an http:// or https:// URL"
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        return "it must not carry a user name or password"
    host = (parts.hostname or "").split("%")[0]
    if not host:
        return "it has no host"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        try:  # legacy spellings the resolver accepts: 2852039166, 0xa9fea9fe, 169.254.43518
            address = ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    mapped = getattr(address, "ipv4_mapped", None)
    if address.is_link_local or (mapped is not None and mapped.is_link_local):
        return "it points at a link-local (cloud metadata) address"
    return None


def dot_segments(path: str) -> bool:
    """A `.` or `..` segment (also percent-encoded, however many times) in the path part of `path`."""
    for segment in path.split("?", 1)[0].split("/"):
        while segment not in (".", ".."):
            decoded = unquote(segment)
            if decoded == segment:
                break
            segment = decoded  # each decoding is shorter, so this ends
        else:
            return True
    return False
