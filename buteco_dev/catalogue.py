"""Which services exist and how to run them without Docker: read from plugins/*.toml and docker-compose.yml.

Every manifest in plugins/ is a service; its default URL names its compose service (http://coin-api:5000 ->
coin-api). That compose entry's build says how to run it here: the shared Python Dockerfile with SERVICE=<package>
-> `uvicorn <package>.main:app`; a build context with go.mod -> `go build`, then the binary. A manifest without a
compose entry is looked for in the directory named like its host (coin_api/). An API compose runs that no manifest
names is listed, not started. Nothing here lists a service by hand but the local ports of docs/architecture.md.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from . import REPO_ROOT
from .processes import free_port, uvicorn_command

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
PLUGINS_DIR = REPO_ROOT / "plugins"
GO_FALLBACK = Path("/usr/local/go/bin/go")  # where the official tarball installs it, often not on PATH
GO_BUILD_TIMEOUT_S = 600
# Local ports of docs/architecture.md; a service not listed gets the next free one from FIRST_EXTRA_PORT.
LOCAL_PORTS = {
    "client-api": 5001,
    "balance-api": 5002,
    "coin-api": 5003,
    "bet-api": 5004,
    "genai-api": 5005,
    "joke-api": 5006,
}
FIRST_EXTRA_PORT = 5007


class GoUnavailable(RuntimeError):
    """No Go toolchain on this machine: a Go service cannot be built."""


@dataclass
class ServiceSpec:
    name: str  # compose service name, e.g. "coin-api"
    plugin_id: str
    url_env: str
    port: int
    kind: str  # "python" | "go" | "none"
    source: Path | None  # the Python package or the Go module directory
    skipped: str | None = None  # why it is not started
    token_env: str | None = None  # the manifest's: the credential the bot sends it (and it checks)

    @property
    def package(self) -> str | None:
        """The Python package, which names its database role when compose does not."""
        return self.source.name if self.kind == "python" and self.source else None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def compose(path: Path = COMPOSE_FILE) -> dict:
    """docker-compose.yml as data ({} without one)."""
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.exists() else {}


def manifests(plugins_dir: Path = PLUGINS_DIR) -> dict[str, dict]:
    """Every manifest of plugins/ by plugin id; an unreadable one raises (the bot reports it instead)."""
    return {path.stem: tomllib.loads(path.read_text(encoding="utf-8")) for path in sorted(plugins_dir.glob("*.toml"))}


def manifest_host(data: dict) -> str:
    """The compose service a manifest points at: the host of its default URL (http://balance-api:5000)."""
    return urlsplit(data["service"]["default_url"]).hostname or ""


def is_long_running(service: dict) -> bool:
    return str(service.get("restart", "no")) != "no"


def api_services(spec: dict) -> dict[str, dict]:
    """Services built from this repository that run for good, except the bot: the HTTP APIs."""
    return {
        name: svc
        for name, svc in spec.get("services", {}).items()
        if "build" in svc and is_long_running(svc) and name != "bot"
    }


def build_of(service: dict, root: Path = REPO_ROOT) -> tuple[Path, Path, dict]:
    """(context dir, Dockerfile, build args) of a compose service."""
    build = service["build"]
    if isinstance(build, str):
        build = {"context": build}
    context = (root / build.get("context", ".")).resolve()
    return context, context / build.get("dockerfile", "Dockerfile"), build.get("args") or {}


def source_pending(service: dict) -> str | None:
    """Why a compose service cannot be built yet (its code has not landed), or None when it can."""
    context, dockerfile, args = build_of(service)
    if not context.is_dir():
        return f"{context.relative_to(REPO_ROOT)}/ does not exist yet"
    if not dockerfile.is_file() and context != REPO_ROOT:
        return f"{dockerfile.relative_to(REPO_ROOT)} does not exist yet"
    package = args.get("SERVICE")
    if package and not (REPO_ROOT / package / "main.py").is_file():
        return f"{package}/main.py does not exist yet"
    return None


def dockerfile_stages(dockerfile: Path) -> dict[str, list[str]]:
    """Instructions per stage name (stages without `AS name` are keyed by their index)."""
    stages: dict[str, list[str]] = {}
    current: list[str] | None = None
    text = re.sub(r"\\\n", " ", dockerfile.read_text(encoding="utf-8"))
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            words = line.split()
            name = words[3] if len(words) > 3 and words[2].upper() == "AS" else str(len(stages))
            current = stages.setdefault(name, [])
        if current is not None:
            current.append(line)
    return stages


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


def _source_of(name: str, compose_service: dict | None, root: Path) -> tuple[str, Path | None, str | None]:
    """(kind, source dir, why not runnable) from the compose build, or from the directory named like the host."""
    if compose_service and "build" in compose_service:
        context, _, args = build_of(compose_service, root)
        directory = root / args["SERVICE"] if "SERVICE" in args else context
    else:
        directory = root / name.replace("-", "_")
    if (directory / "main.py").is_file():
        return "python", directory, None
    if (directory / "go.mod").is_file():
        return ("go", directory, None) if go_toolchain() else ("go", directory, "no Go toolchain installed")
    return "none", None, f"{directory.relative_to(root)}/ has no main.py or go.mod yet"


def discover(root: Path = REPO_ROOT, *, free_ports: bool = False) -> list[ServiceSpec]:
    """One spec per manifest in plugins/, in file order; ports from LOCAL_PORTS (or all free with free_ports)."""
    compose_spec = compose(root / "docker-compose.yml")
    services = compose_spec.get("services", {})
    specs: list[ServiceSpec] = []
    next_extra = FIRST_EXTRA_PORT
    for path in sorted((root / "plugins").glob("*.toml")):
        try:
            manifest = tomllib.loads(path.read_text(encoding="utf-8"))
            url_env, token_env = manifest["service"]["url_env"], manifest["service"].get("token_env")
            name = manifest_host(manifest) or path.stem
        except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
            print(f"  ! plugins/{path.name}: unreadable manifest ({exc}); the bot's /plugins status tells more")
            continue
        if free_ports:
            port = free_port()
        elif name in LOCAL_PORTS:
            port = LOCAL_PORTS[name]
        else:
            port, next_extra = next_extra, next_extra + 1
        kind, source, skipped = _source_of(name, services.get(name), root)
        if manifest.get("enabled", True) is False:
            skipped = "disabled in its manifest"
        specs.append(
            ServiceSpec(
                name, path.stem, url_env, port, kind, source, skipped, token_env if isinstance(token_env, str) else None
            )
        )
    named = {spec.name for spec in specs}
    for name in api_services(compose_spec):  # APIs in compose that no manifest names: said, not started
        if name not in named:
            specs.append(ServiceSpec(name, "", "", 0, "none", None, "no manifest in plugins/ names it yet"))
    return specs


def command_for(spec: ServiceSpec, bin_dir: Path) -> list[str]:
    """The command that serves spec on 127.0.0.1:spec.port (a Go service reads PORT; its binary is built first)."""
    if spec.kind == "python":
        return uvicorn_command(f"{spec.source.name}.main", spec.port, log_level="info")
    return [str(build_go_binary(spec.source, bin_dir / spec.source.name))]
