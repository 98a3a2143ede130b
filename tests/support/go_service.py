"""Go services for end-to-end tests: build the binary once, run it like any other service process."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.support.services import REPO_ROOT, ServiceProcess

GO_FALLBACK = Path("/usr/local/go/bin/go")
BUILD_TIMEOUT_S = 300


def go_toolchain() -> str | None:
    """The go command on PATH, else the official tarball's install location, else None."""
    found = shutil.which("go")
    if found:
        return found
    return str(GO_FALLBACK) if GO_FALLBACK.is_file() else None


def build_go_binary(package_dir: Path, output: Path) -> Path:
    """`go build -o output` in package_dir; skips the test without a toolchain, fails it with go's errors."""
    go = go_toolchain()
    if go is None:
        pytest.skip(f"no Go toolchain (no `go` on PATH, no {GO_FALLBACK}): cannot build {package_dir.name}")
    env = {**os.environ, "CGO_ENABLED": "0", "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"}
    result = subprocess.run([go, "build", "-o", str(output), "."], cwd=package_dir, env=env, capture_output=True,
                            text=True, timeout=BUILD_TIMEOUT_S, check=False)
    if result.returncode != 0:
        pytest.fail(f"go build in {package_dir} failed:\n{result.stdout}{result.stderr}", pytrace=False)
    return output


class GoServiceProcess(ServiceProcess):
    """A built Go service on a free loopback port: PORT and HOST are set, output goes to a log file.

    It keeps ServiceProcess's contract (start waits for /health, stop sends SIGTERM, logs(), restart on the
    same port), so a test, or the bot's end-to-end suite, handles Python and Go services the same way.
    """

    def __init__(self, binary: Path, *, env: Mapping[str, str] | None = None,
                 port: int | None = None, log_dir: str | os.PathLike | None = None,
                 startup_timeout: float = 10.0) -> None:
        super().__init__(binary.name, env=env, port=port, log_dir=log_dir,
                         startup_timeout=startup_timeout)
        self.binary = binary
        self.exit_code: int | None = None
        self.env.update({"PORT": str(self.port), "HOST": "127.0.0.1"})

    def start(self) -> GoServiceProcess:
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen([str(self.binary)], cwd=REPO_ROOT, env=self.env, stdout=log,
                                          stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self._wait_healthy()
        return self

    def __enter__(self) -> GoServiceProcess:
        return self.start()

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, as ServiceProcess does, keeping the exit code so tests can check the shutdown was clean."""
        proc = self._proc
        super().stop(timeout)
        if proc is not None:
            self.exit_code = proc.returncode
