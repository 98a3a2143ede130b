"""Which services exist and how to run them without Docker: read from plugins/*.toml and docker-compose.yml.

Every manifest in plugins/ is a service; its default URL names its compose service (http://coin-api:5000 ->
coin-api). A manifest's [run] table says how to run it here, in any language (a command, its directory, an
optional build, the port variable: launch.py runs it). Without one, the compose entry's build says it: the shared
Python Dockerfile with SERVICE=<package> -> `uvicorn <package>.main:app`; a build context with go.mod -> `go
build`, then the binary; a manifest without a compose entry is looked for in the directory named like its host
(coin_api/). A URL set in .env (or the environment) for a service wins: that service is not started here. An API
compose runs that no manifest names is listed, not started. Nothing here lists a service by hand but the local
ports of docs/architecture.md.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from . import REPO_ROOT
from .processes import free_port
from .toolchains import GoUnavailable, build_go_binary, go_toolchain

__all__ = ["GoUnavailable", "build_go_binary", "go_toolchain"]  # their old home: tests import them from here

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
PLUGINS_DIR = REPO_ROOT / "plugins"
# Local ports of docs/architecture.md; a service not listed gets the next free one from FIRST_EXTRA_PORT.
LOCAL_PORTS = {
    "client-api": 5001,
    "balance-api": 5002,
    "coin-api": 5003,
    "bet-api": 5004,
    "genai-api": 5005,
    "joke-api": 5006,
}
DEFAULT_PORT_BASE = 5000  # `make run PORT_BASE=6000` moves them all: client-api 6001, ..., extras from 6007
FIRST_EXTRA_PORT = 5007


@dataclass(frozen=True)
class RunSection:
    """A manifest's [run]: the command (split like a shell), its directory, an optional build and test, the port."""

    command: str
    cwd: Path
    build: str | None = None
    test: str | None = None
    port_env: str = "PORT"


@dataclass
class ServiceSpec:
    name: str  # compose service name, e.g. "coin-api"
    plugin_id: str
    url_env: str
    port: int
    kind: str  # "python" | "go" | "command" ([run]) | "none"
    source: Path | None  # the Python package, the Go module or the [run] directory
    skipped: str | None = None  # why it is not started
    token_env: str | None = None  # the manifest's: the credential the bot sends it (and it checks)
    run: RunSection | None = None
    external_url: str | None = None  # set in .env: the service runs elsewhere, not started here
    failed: str | None = None  # why its build or tool failed this run (retried when its manifest changes)

    @property
    def package(self) -> str | None:
        """The Python package, which names its database role when compose does not."""
        return self.source.name if self.kind == "python" and self.source else None

    @property
    def url(self) -> str:
        return self.external_url or f"http://127.0.0.1:{self.port}"

    @property
    def signature(self) -> tuple:
        """What decides how it runs (not its port): when this changes, a running service is restarted."""
        return tuple(value for field, value in vars(self).items() if field not in ("port", "failed"))


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


def run_section(manifest: dict, root: Path = REPO_ROOT) -> RunSection | None:
    """The manifest's [run] table, its directory inside root; ValueError naming the field when it is unusable."""
    run = manifest.get("run")
    if run is None:
        return None
    if not isinstance(run, dict) or not isinstance(run.get("command"), str) or not run["command"].strip():
        raise ValueError('[run] needs command = "..." (e.g. "node server.js")')
    cwd = (root / str(run.get("cwd", "."))).resolve()
    if not cwd.is_relative_to(root.resolve()):
        raise ValueError("[run] cwd must be a directory inside the repository")
    optional = {key: run[key] for key in ("build", "test", "port_env") if isinstance(run.get(key), str)}
    return RunSection(run["command"], cwd, **optional)


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
    where = directory.relative_to(root) if directory.is_relative_to(root) else directory
    return "none", None, f"{where}/ has no main.py or go.mod, and its manifest no [run] command"


def local_port(name: str, base: int, taken: set[int]) -> int:
    """Its port of docs/architecture.md moved to base, else the first one from base + 7 that no other spec has."""
    if name in LOCAL_PORTS:
        return LOCAL_PORTS[name] - DEFAULT_PORT_BASE + base
    port = base + FIRST_EXTRA_PORT - DEFAULT_PORT_BASE
    while port in taken:
        port += 1
    return port


def discover(
    root: Path = REPO_ROOT,
    *,
    free_ports: bool = False,
    port_base: int = DEFAULT_PORT_BASE,
    env: Mapping[str, str] | None = None,
) -> list[ServiceSpec]:
    """One spec per manifest in plugins/, in file order; ports from LOCAL_PORTS moved to port_base (or all free).

    env (.env and the environment) may set a service's url_env: that URL wins and the service is not started,
    unless it is the manifest's own default (the compose name, which only resolves inside compose).
    """
    env = env or {}
    compose_spec = compose(root / "docker-compose.yml")
    services = compose_spec.get("services", {})
    specs: list[ServiceSpec] = []
    for path in sorted((root / "plugins").glob("*.toml")):
        try:
            manifest = tomllib.loads(path.read_text(encoding="utf-8"))
            url_env, token_env = manifest["service"]["url_env"], manifest["service"].get("token_env")
            name = manifest_host(manifest) or path.stem
            run = run_section(manifest, root)
        except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
            reason = f"plugins/{path.name}: unreadable manifest ({exc}); the bot's /plugins status tells more"
            specs.append(ServiceSpec(path.stem, path.stem, "", 0, "none", None, reason))
            continue
        taken = {spec.port for spec in specs}
        port = free_port() if free_ports else local_port(name, port_base, taken)
        if run is not None:
            missing = None if run.cwd.is_dir() else f"{shown_path(run.cwd, root)}/ (its [run] cwd) does not exist yet"
            kind, source, skipped = "command", run.cwd, missing
        else:
            kind, source, skipped = _source_of(name, services.get(name), root)
        external = env.get(url_env)
        external = external if external and external != manifest["service"].get("default_url") else None
        if external:
            skipped = f"{url_env} is set (.env or environment): not started here"
        if manifest.get("enabled", True) is False:
            skipped = "disabled in its manifest"
        token = token_env if isinstance(token_env, str) else None
        specs.append(ServiceSpec(name, path.stem, url_env, port, kind, source, skipped, token, run, external))
    named = {spec.name for spec in specs}
    for name in api_services(compose_spec):  # APIs in compose that no manifest names: said, not started
        if name not in named:
            specs.append(ServiceSpec(name, "", "", 0, "none", None, "no manifest in plugins/ names it yet"))
    return specs


def shown_path(path: Path, root: Path = REPO_ROOT) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
