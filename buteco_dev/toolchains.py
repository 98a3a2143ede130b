"""The toolchains a service in another language needs on this machine: Go found even off PATH, and its build."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

GO_FALLBACK = Path("/usr/local/go/bin/go")  # where the official tarball installs it, often not on PATH
GO_BUILD_TIMEOUT_S = 600


class GoUnavailable(RuntimeError):
    """No Go toolchain on this machine: a Go service cannot be built."""


def go_toolchain() -> str | None:
    """The go command on PATH, else the official tarball's install location, else None."""
    return shutil.which("go") or (str(GO_FALLBACK) if os.access(GO_FALLBACK, os.X_OK) else None)


def build_go_binary(module_dir: Path, output: Path) -> Path:
    """`go build -o output` in module_dir with the local toolchain only; GoUnavailable without one."""
    go = go_toolchain()
    if go is None:
        raise GoUnavailable(f"no Go toolchain (no `go` on PATH, no {GO_FALLBACK}): cannot build {module_dir.name}")
    env = {**os.environ, "CGO_ENABLED": "0", "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"}
    done = subprocess.run(
        [go, "build", "-o", str(output), "."],
        cwd=module_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=GO_BUILD_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"go build failed in {module_dir.name}/:\n{(done.stdout + done.stderr)[-2000:]}")
    return output
