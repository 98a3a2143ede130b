"""How a catalogued service becomes a running command: uvicorn for a Python package, a Go build, or its [run].

A manifest's [run] command (and its build and test) is split like a shell, then `{port}`, `{bin}` (this run's
directory for built binaries) and `{python}` (this interpreter) are filled in, and its first word is looked up on
PATH (`go` also where the official tarball puts it). A missing tool or a failed build skips that service, saying
why; the others start as usual. Each gets its port in PORT, in [run]'s port_env, and HOST=127.0.0.1.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from . import REPO_ROOT
from .catalogue import RunSection, ServiceSpec, manifests, run_section, shown_path
from .processes import uvicorn_command
from .toolchains import build_go_binary, go_toolchain

BUILD_TIMEOUT_S = 600
TEST_TIMEOUT_S = 600


class ToolMissing(RuntimeError):
    """The program a [run] command names is not installed here."""


def tool(word: str, cwd: Path) -> str:
    """The program a command starts with: a path (relative to cwd) as it is, else found on PATH."""
    if "/" in word:
        return str(cwd / word)
    found = go_toolchain() if word == "go" else shutil.which(word)
    if found is None:
        raise ToolMissing(f"`{word}` is not installed on this machine")
    return found


def fill(text: str, cwd: Path, *, port: int = 0, bin_dir: Path | None = None) -> list[str]:
    """A [run] command as argv: shell-split, placeholders filled in, its program found."""
    values = {"{port}": str(port), "{bin}": str(bin_dir or cwd), "{python}": sys.executable}
    words = shlex.split(text)
    for placeholder, value in values.items():
        words = [word.replace(placeholder, value) for word in words]
    if not words:
        raise ValueError("an empty [run] command")
    return [tool(words[0], cwd), *words[1:]]


def tool_env() -> dict[str, str]:
    """This environment, with Go kept to the local toolchain (it would otherwise download another)."""
    return {**os.environ, "GOTOOLCHAIN": os.environ.get("GOTOOLCHAIN", "local")}


def build(run: RunSection, bin_dir: Path) -> None:
    """[run] build in its directory; RuntimeError with the end of its output when it fails."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    argv = fill(run.build, run.cwd, bin_dir=bin_dir)
    done = subprocess.run(
        argv, cwd=run.cwd, env=tool_env(), capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"`{run.build}` failed in {shown_path(run.cwd)}/:\n{(done.stdout + done.stderr)[-2000:]}")


def command_for(spec: ServiceSpec, bin_dir: Path) -> tuple[list[str], Path]:
    """(argv, working directory) that serve spec on 127.0.0.1:spec.port, after any build it needs."""
    if spec.kind == "python":
        return uvicorn_command(f"{spec.source.name}.main", spec.port, log_level="info"), REPO_ROOT
    if spec.kind == "go":
        bin_dir.mkdir(parents=True, exist_ok=True)
        return [str(build_go_binary(spec.source, bin_dir / spec.source.name))], REPO_ROOT
    if spec.run is None:
        raise RuntimeError(f"{spec.name}: nothing says how to run it")
    if spec.run.build:
        build(spec.run, bin_dir)
    return fill(spec.run.command, spec.run.cwd, port=spec.port, bin_dir=bin_dir), spec.run.cwd


def shown_command(spec: ServiceSpec) -> str:
    """Its [run] command as it runs, for the start-up table: python for this interpreter, no build directory."""
    if spec.run is None:
        return ""
    command = spec.run.command.replace("{python}", "python").replace("{bin}/", "")
    return f"({command.replace('{port}', str(spec.port))})"


def port_env(spec: ServiceSpec) -> dict[str, str]:
    """Where it reads its port and interface: PORT and HOST, and [run]'s port_env when it names another."""
    port = str(spec.port)
    return {"PORT": port, "HOST": "127.0.0.1", **({spec.run.port_env: port} if spec.run else {})}


def run_service_tests(root: Path = REPO_ROOT, say: Callable[[str], None] = print) -> int:
    """Each manifest's [run] test in its directory (a missing tool skips it, said); returns how many failed."""
    failed = 0
    with tempfile.TemporaryDirectory(prefix="buteco-test-bin-") as bin_dir:
        for plugin_id, manifest in manifests(root / "plugins").items():
            run = run_section(manifest, root)
            if run is None or run.test is None:
                continue
            try:
                argv = fill(run.test, run.cwd, bin_dir=Path(bin_dir))
            except ToolMissing as exc:
                say(f"{plugin_id}: tests skipped: {exc}")
                continue
            say(f"{plugin_id}: {run.test}  (in {shown_path(run.cwd, root)}/)")
            done = subprocess.run(argv, cwd=run.cwd, env=tool_env(), timeout=TEST_TIMEOUT_S, check=False)
            if done.returncode != 0:
                say(f"{plugin_id}: FAILED ({done.returncode})")
                failed += 1
    return failed
