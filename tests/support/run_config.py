"""What the code reads from the environment, what .env.example lists, and what docker-compose.yml declares.

Everything is derived from the tree, so a new service (a package with a settings class, a Go or TypeScript
service, a manifest in plugins/) is covered without editing this file.
"""

from __future__ import annotations

import importlib
import inspect
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from pydantic_settings import BaseSettings

from buteco_dev.credentials import environment_of, is_secret
from tests.support.db_roles import SERVICE_ROLES, password_variable

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
PLUGINS_DIR = REPO_ROOT / "plugins"
SKIP_DIRS = {".git", ".venv", "node_modules", "dist", "tests", "bench", ".tmp", ".run", "__pycache__"}

PY_ENV = re.compile(r"""(?:getenv|environ\.get|environ\.setdefault|environ\[)\(?\s*["']([A-Za-z_][A-Za-z0-9_]*)["']""")
# os.Getenv("X"), os.LookupEnv("X"), and an injected getenv("X") (how joke_api reads its settings).
GO_ENV = re.compile(r"""\b(?:[Gg]etenv|LookupEnv)\(\s*"([A-Z_][A-Z0-9_]*)"\s*\)""")
JS_ENV = re.compile(r"""process\.env(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*\])""")
SETTINGS_CLASS = re.compile(r"^class \w+\([\w., ]*Settings[\w., ]*\):", re.MULTILINE)
ENV_LINE = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")
INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")


def source_files(suffix: str) -> list[Path]:
    """Files of the deployable code: everything but tests, benchmarks, virtualenvs, node_modules and builds."""
    found = []
    for path in REPO_ROOT.rglob(f"*{suffix}"):
        parts = set(path.relative_to(REPO_ROOT).parts[:-1])
        if parts & SKIP_DIRS or path.name.startswith("test_") or path.name.endswith(("_test.go", ".d.ts")):
            continue
        found.append(path)
    return sorted(found)


def settings_classes() -> list[type[BaseSettings]]:
    """Every pydantic-settings class defined in a module of the code (settings.py or any other)."""
    classes: dict[str, type[BaseSettings]] = {}
    for path in source_files(".py"):
        if not SETTINGS_CLASS.search(path.read_text(encoding="utf-8")):
            continue
        module = importlib.import_module(".".join(path.relative_to(REPO_ROOT).with_suffix("").parts))
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseSettings) and cls is not BaseSettings:
                classes[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return list(classes.values())


def settings_variables(cls: type[BaseSettings]) -> set[str]:
    """Environment names of a settings class: env_prefix + field name (or its alias), upper-cased."""
    prefix = cls.model_config.get("env_prefix", "") or ""
    names = set()
    for name, field in cls.model_fields.items():
        alias = field.validation_alias if isinstance(field.validation_alias, str) else field.alias
        names.add(alias.upper() if alias else f"{prefix}{name}".upper())
    return names


def manifests() -> dict[str, dict]:
    return {path.stem: tomllib.loads(path.read_text(encoding="utf-8")) for path in sorted(PLUGINS_DIR.glob("*.toml"))}


def variables_read_by_code() -> dict[str, set[str]]:
    """Variable -> where it is read (settings classes, manifests, os.getenv scans of Python, Go and TypeScript)."""
    found: dict[str, set[str]] = {}

    def add(name: str, where: str) -> None:
        found.setdefault(name, set()).add(where)

    for cls in settings_classes():
        for name in settings_variables(cls):
            add(name, f"{cls.__module__}.{cls.__name__}")
    for plugin_id, data in manifests().items():
        for name in [data["service"]["url_env"], data["service"].get("token_env"), *data.get("required_env", [])]:
            if name:
                add(name, f"plugins/{plugin_id}.toml")
    for role in SERVICE_ROLES:  # the migrator reads <ROLE>_DB_PASSWORD for each service role it finds
        add(password_variable(role), "db_migration_service/src/service-logins.ts")
    for suffix, pattern in ((".py", PY_ENV), (".go", GO_ENV), (".ts", JS_ENV), (".js", JS_ENV)):
        for path in source_files(suffix):
            for match in pattern.finditer(path.read_text(encoding="utf-8", errors="replace")):
                add(next(group for group in match.groups() if group), str(path.relative_to(REPO_ROOT)))
    return found


def secrets_of(service: dict) -> set[str]:
    """Secrets a container receives: as variables, or interpolated into another value (a DATABASE_URL)."""
    found = set()
    for key, value in environment_of(service).items():
        found |= {name for name in [key, *INTERPOLATION.findall(value or "")] if is_secret(name)}
    return found


def _scan(directory: Path, suffix: str, pattern: re.Pattern) -> set[str]:
    names = set()
    for path in source_files(suffix):
        if path.is_relative_to(directory):
            for match in pattern.finditer(path.read_text(encoding="utf-8", errors="replace")):
                names.add(next(group for group in match.groups() if group))
    return names


def _settings_of(package: str) -> tuple[set[str], set[str]]:
    """(read, required) of the settings classes a Python package defines (the kit's when it defines none)."""
    classes = [cls for cls in settings_classes() if cls.__module__.split(".")[0] == package]
    classes = classes or [cls for cls in settings_classes() if cls.__name__ == "ServiceSettings"]
    read, required = set(), set()
    for cls in classes:
        read |= settings_variables(cls)
        for name, field in cls.model_fields.items():
            if field.is_required():
                alias = field.validation_alias if isinstance(field.validation_alias, str) else field.alias
                required.add((alias or f"{cls.model_config.get('env_prefix', '') or ''}{name}").upper())
    return read, required


def container_variables(service: dict) -> tuple[set[str], set[str]]:
    """(every variable its code reads, those without a default) of a compose service built from this repository."""
    context, _, args = build_of(service)
    target = service["build"].get("target") if isinstance(service["build"], dict) else None
    if package := args.get("SERVICE"):
        read, required = _settings_of(package)
        return read | _scan(REPO_ROOT / package, ".py", PY_ENV) | _scan(REPO_ROOT / "service_kit", ".py", PY_ENV), \
            required
    if target == "bot":
        read, required = _settings_of("buteco_bot")
        for data in manifests().values():
            plugin = data["service"]
            read |= {name for name in [plugin["url_env"], plugin.get("token_env"), *data.get("required_env", [])]
                     if name}
            required |= {plugin["token_env"]} if plugin.get("token_env") else set()
        return read | _scan(REPO_ROOT / "buteco_bot", ".py", PY_ENV), required
    return _scan(context, ".go", GO_ENV) | _scan(context, ".ts", JS_ENV), set()


@dataclass(frozen=True)
class EnvEntry:
    name: str
    value: str
    commented_out: bool
    documented: bool


def env_example_entries() -> dict[str, EnvEntry]:
    """`NAME=value` and `# NAME=value` lines; documented = a comment line stands in the block above it."""
    entries: dict[str, EnvEntry] = {}
    has_comment = False
    for raw in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        match = ENV_LINE.match(line)
        if not line:
            has_comment = False
        elif match:
            entries.setdefault(match[2], EnvEntry(match[2], match[3], bool(match[1]), has_comment))
        elif line.startswith("#"):
            has_comment = True
    return entries


def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def compose_interpolated() -> set[str]:
    """Variables docker-compose.yml interpolates (`${NAME}`, `${NAME:?...}`, `${NAME:-default}`)."""
    text = "\n".join(line.split(" #")[0] for line in COMPOSE_FILE.read_text(encoding="utf-8").splitlines()
                     if not line.lstrip().startswith("#"))
    return set(INTERPOLATION.findall(text.replace("$$", "")))


def manifest_host(data: dict) -> str:
    """The compose service a manifest points at: the host of its default URL (http://balance-api:5000)."""
    return urlsplit(data["service"]["default_url"]).hostname or ""


def is_long_running(service: dict) -> bool:
    return str(service.get("restart", "no")) != "no"


def api_services(spec: dict) -> dict[str, dict]:
    """Services built from this repository that run for good, except the bot: the HTTP APIs."""
    return {name: svc for name, svc in spec["services"].items()
            if "build" in svc and is_long_running(svc) and name != "bot"}


def build_of(service: dict) -> tuple[Path, Path, dict]:
    """(context dir, Dockerfile, build args) of a compose service."""
    build = service["build"]
    if isinstance(build, str):
        build = {"context": build}
    context = (REPO_ROOT / build.get("context", ".")).resolve()
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
