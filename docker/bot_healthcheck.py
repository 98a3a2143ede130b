"""The bot container's HEALTHCHECK: healthy while a TCP connection to port 443 (the gateway websocket) is open.

The bot serves no HTTP, so the probe reads the container's own socket table instead: /proc/net/tcp{,6} list
every socket of the container's network namespace, i.e. only the bot's. Exit 0 = healthy, 1 = unhealthy.
"""

from __future__ import annotations

import sys
from pathlib import Path

ESTABLISHED = "01"
HTTPS_PORT = 443


def established_remote_ports(table: str) -> set[int]:
    """Remote ports of ESTABLISHED sockets in one /proc/net/tcp-format table."""
    ports = set()
    for line in table.splitlines()[1:]:
        fields = line.split()
        if len(fields) > 3 and fields[3] == ESTABLISHED:
            ports.add(int(fields[2].rsplit(":", 1)[1], 16))
    return ports


def main() -> int:
    ports: set[int] = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            ports |= established_remote_ports(Path(name).read_text())
        except OSError:
            continue
    if HTTPS_PORT in ports:
        return 0
    print("no open connection to Discord (port 443)", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
