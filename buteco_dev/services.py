"""Which services `make run` starts and how: read from plugins/*.toml and docker-compose.yml, never listed here.

A manifest's default URL names its compose service (http://coin-api:5000 -> coin-api). The compose entry says
how the image is built, which tells how to run the service without Docker: the shared Python Dockerfile with
SERVICE=<package> -> `uvicorn <package>.main:app`; a build context with go.mod -> `go build` and run the binary.
Without a compose entry, the directory named like the host (coin_api/) is looked at the same way.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from tests.support.postgres import free_port

REPO_ROOT = Path(__file__).resolve().parents[1]
# Local ports of docs/architecture.md; a service not listed gets the next free one from FIRST_EXTRA_PORT.
LOCAL_PORTS = {"client-api": 5001, "balance-api": 5002, "coin-api": 5003, "bet-api": 5004, "genai-api": 5005,
               "joke-api": 5006}
FIRST_EXTRA_PORT = 5007


@dataclass
class ServiceSpec:
    name: str                     # compose service name, e.g. "coin-api"
    plugin_id: str
    url_env: str
    port: int
    kind: str                     # "python" | "go" | "none"
    source: Path | None           # the Python package or the Go module directory
    skipped: str | None = None    # why it is not started
    token_env: str | None = None  # the manifest's: the credential the bot sends it (and it checks)

    @property
    def package(self) -> str | None:
        """The Python package, which names its database role when compose does not."""
        return self.source.name if self.kind == "python" and self.source else None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def go_binary() -> str | None:
    """The Go toolchain, also where the official tarball puts it when it is not on PATH."""
    found = shutil.which("go")
    return found or ("/usr/local/go/bin/go" if os.access("/usr/local/go/bin/go", os.X_OK) else None)


def _source_of(name: str, compose_service: dict | None, root: Path) -> tuple[str, Path | None, str | None]:
    """(kind, source dir, why not runnable) from the compose build, or from the directory named like the host."""
    build = (compose_service or {}).get("build")
    if isinstance(build, str):
        build = {"context": build}
    package = ((build or {}).get("args") or {}).get("SERVICE")
    directory = root / (package or (build or {}).get("context") or name.replace("-", "_"))
    if (directory / "main.py").is_file():
        return "python", directory, None
    if (directory / "go.mod").is_file():
        return ("go", directory, None) if go_binary() else ("go", directory, "no Go toolchain installed")
    return "none", None, f"{directory.relative_to(root)}/ has no main.py or go.mod yet"


def compose_services(root: Path = REPO_ROOT) -> dict[str, dict]:
    """The services of docker-compose.yml ({} without one)."""
    compose_file = root / "docker-compose.yml"
    return (yaml.safe_load(compose_file.read_text()) or {}).get("services", {}) if compose_file.exists() else {}


def discover(root: Path = REPO_ROOT, *, free_ports: bool = False) -> list[ServiceSpec]:
    """One spec per manifest in plugins/, in file order; ports from LOCAL_PORTS (or all free with free_ports)."""
    services = compose_services(root)
    specs: list[ServiceSpec] = []
    next_extra = FIRST_EXTRA_PORT
    for path in sorted((root / "plugins").glob("*.toml")):
        try:
            manifest = tomllib.loads(path.read_text(encoding="utf-8"))
            url_env, default_url = manifest["service"]["url_env"], manifest["service"]["default_url"]
        except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
            print(f"  ! plugins/{path.name}: unreadable manifest ({exc}); the bot's /plugins status tells more")
            continue
        name = urlsplit(default_url).hostname or path.stem
        if free_ports:
            port = free_port()
        elif name in LOCAL_PORTS:
            port = LOCAL_PORTS[name]
        else:
            port, next_extra = next_extra, next_extra + 1
        kind, source, skipped = _source_of(name, services.get(name), root)
        if manifest.get("enabled", True) is False:
            skipped = "disabled in its manifest"
        token_env = manifest["service"].get("token_env")
        specs.append(ServiceSpec(name, path.stem, url_env, port, kind, source, skipped,
                                 token_env if isinstance(token_env, str) else None))
    named = {spec.name for spec in specs}
    for name, service in services.items():  # APIs in compose that no manifest names: said, not started
        if name not in named and "build" in service and str(service.get("restart", "no")) != "no" \
                and name != "bot":
            specs.append(ServiceSpec(name, "", "", 0, "none", None, "no manifest in plugins/ names it yet"))
    return specs


def command_for(spec: ServiceSpec, bin_dir: Path) -> list[str]:
    """The command that serves spec on 127.0.0.1:spec.port (Go: builds the binary first)."""
    if spec.kind == "python":
        return [sys.executable, "-m", "uvicorn", f"{spec.source.name}.main:app", "--host", "127.0.0.1",
                "--port", str(spec.port), "--log-level", "info"]
    binary = bin_dir / spec.source.name
    done = subprocess.run([go_binary(), "build", "-o", str(binary), "."], check=False, cwd=spec.source,
                          capture_output=True,
                          text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"go build failed in {spec.source.name}/:\n{done.stderr[-2000:]}")
    return [str(binary)]
