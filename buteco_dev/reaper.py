"""What a killed run left behind, found by a marker in each child's environment, and ports still free to take."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from pathlib import Path

from .processes import signal_group

MARKER = "BUTECO_DEV_RUN"
"""Set in every child's environment (inherited by its own children) to the data dir: how a later run finds what
an earlier, killed run (SIGKILL, say) left behind."""


def _proc(pid: int | str, name: str) -> bytes:
    try:
        return Path(f"/proc/{pid}/{name}").read_bytes()
    except OSError:
        return b""


def _marked(data_dir: Path) -> list[int]:
    """Pids of the processes whose environment carries this data dir's marker."""
    wanted = f"{MARKER}={data_dir}".encode()
    return sorted(
        int(p.name)
        for p in Path("/proc").iterdir()
        if p.name.isdigit() and int(p.name) != os.getpid() and wanted in _proc(p.name, "environ").split(b"\0")
    )


def reap_previous(data_dir: Path) -> int:
    """End what an earlier run of this data dir left running: each child's process group (PostgreSQL with its
    fast shutdown), then SIGKILL for anything still there after 10 s. Returns how many children it found."""
    leaders = [pid for pid in _marked(data_dir) if _session_of(pid) == pid]
    for pid in leaders:
        postgres = _proc(pid, "comm").strip() == b"postgres"
        signal_group(pid, signal.SIGINT if postgres else signal.SIGTERM)
    deadline = time.monotonic() + 10
    while _marked(data_dir) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in _marked(data_dir):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    return len(leaders)


def _session_of(pid: int) -> int | None:
    try:
        return os.getsid(pid)
    except OSError:
        return None


def port_free(port: int) -> bool:
    """Whether a server could listen on 127.0.0.1:port now (SO_REUSEADDR, as uvicorn: TIME_WAIT is fine)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False
