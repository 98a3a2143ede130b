"""Reading a manifest that may be hostile: regular files only, capped in size and nesting before TOML parses it."""

from __future__ import annotations

import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Any

MAX_BYTES = 256 * 1024
MAX_NESTING = 32
# Strings and comments are skipped so brackets inside them do not count; then `[`, `]`, `{`, `}` themselves.
TOKENS = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:\\.|[^"\\\n])*"|\'[^\'\n]*\'|#[^\n]*|[\[\]{}]')


class UnreadableManifest(Exception):
    """The file cannot be a manifest; the message says why without quoting its content."""


def read_capped(path: Path, limit: int = MAX_BYTES) -> bytes:
    """At most `limit` bytes of a regular file; FIFOs, devices and directories are refused without blocking."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise UnreadableManifest(f"cannot open it ({exc.strerror or type(exc).__name__})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = (
                "a FIFO"
                if stat.S_ISFIFO(info.st_mode)
                else "a directory"
                if stat.S_ISDIR(info.st_mode)
                else "a device"
                if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
                else "not a file"
            )
            raise UnreadableManifest(f"not a regular file ({kind}); symlinks must point to a regular file")
        if info.st_size > limit:
            raise UnreadableManifest(f"{info.st_size} bytes, over the {limit // 1024} KiB limit")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise UnreadableManifest(f"cannot read it ({exc.strerror or type(exc).__name__})") from None
    finally:
        os.close(fd)
    if size > limit:
        raise UnreadableManifest(f"over the {limit // 1024} KiB limit")
    return b"".join(chunks)


def nesting_depth(text: str) -> int:
    """How deep arrays and inline tables nest, outside strings and comments (table headers count too)."""
    depth = deepest = 0
    for match in TOKENS.finditer(text):
        token = match.group(0)
        if token in ("[", "{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in ("]", "}"):
            depth = max(depth - 1, 0)
    return deepest


def parse_toml(raw: bytes, limit: int = MAX_NESTING) -> dict[str, Any]:
    """UTF-8 TOML nested at most `limit` deep; every failure is an UnreadableManifest."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableManifest(f"not UTF-8 (byte {exc.start})") from None
    if nesting_depth(text) > limit:
        raise UnreadableManifest(f"arrays or tables nested more than {limit} deep")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UnreadableManifest(f"invalid TOML: {exc}") from None
    except (RecursionError, MemoryError) as exc:
        raise UnreadableManifest(f"too complex to parse ({type(exc).__name__})") from None


def read_manifest_data(path: Path) -> dict[str, Any]:
    """The parsed TOML of `path`, read defensively."""
    return parse_toml(read_capped(path))
