"""The stack's variables: what the code reads from the environment, what .env.example lists, what compose gives.

Everything is derived from the tree, so a new service (a package with a settings class, a Go or TypeScript
service, a manifest in plugins/) is covered without editing this file. Tests check the three agree; `make run`
reads .env with read_env_file().
"""

from __future__ import annotations

import importlib
import inspect
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic_settings import BaseSettings

from . import REPO_ROOT
from .catalogue import COMPOSE_FILE, build_of, manifests
from .credentials import SERVICE_ROLES, environment_of, is_secret, password_variable

ENV_EXAMPLE = REPO_ROOT / ".env.example"
# Not deployed: tests, benchmarks, this dev tooling, virtualenvs, node_modules and builds.
SKIP_DIRS = {".git", ".venv", "node_modules", "dist", "tests", "bench", "buteco_dev", ".tmp", ".run", "__pycache__"}

PY_ENV = re.compile(r"""(?:getenv|environ\.get|environ\.setdefault|environ\[)\(?\s*["']([A-Za-z_][A-Za-z0-9_]*)["']""")
# os.Getenv("X"), os.LookupEnv("X"), and an injected getenv("X") (how joke_api reads its settings).
GO_ENV = re.compile(r"""\b(?:[Gg]etenv|LookupEnv)\(\s*"([A-Z_][A-Z0-9_]*)"\s*\)""")
JS_ENV = re.compile(r"""process\.env(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*\])""")
SETTINGS_CLASS = re.compile(r"^class \w+\([\w., ]*Settings[\w., ]*\):", re.MULTILINE)
ENV_LINE = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")
INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")


def source_files(suffix: str) -> list[Path]:
    """Files of the deployable code (what SKIP_DIRS does not name), test files excluded."""
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
        return read | _scan(REPO_ROOT / package, ".py", PY_ENV) | _scan(
            REPO_ROOT / "service_kit", ".py", PY_ENV
        ), required
    if target == "bot":
        read, required = _settings_of("buteco_bot")
        for data in manifests().values():
            plugin = data["service"]
            read |= {
                name for name in [plugin["url_env"], plugin.get("token_env"), *data.get("required_env", [])] if name
            }
            required |= {plugin["token_env"]} if plugin.get("token_env") else set()
        return read | _scan(REPO_ROOT / "buteco_bot", ".py", PY_ENV), required
    return _scan(context, ".go", GO_ENV) | _scan(context, ".ts", JS_ENV) | _scan(context, ".js", JS_ENV), set()


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


def compose_interpolated() -> set[str]:
    """Variables docker-compose.yml interpolates (`${NAME}`, `${NAME:?...}`, `${NAME:-default}`)."""
    text = "\n".join(
        line.split(" #")[0]
        for line in COMPOSE_FILE.read_text(encoding="utf-8").splitlines()
        if not line.lstrip().startswith("#")
    )
    return set(INTERPOLATION.findall(text.replace("$$", "")))


def read_env_file(path: Path | None) -> dict[str, str]:
    """KEY=VALUE lines of a .env file (comments, blanks and empty values skipped; quotes removed)."""
    if path is None or not path.is_file():
        return {}
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.strip().partition("=")
        value = value.strip().strip("\"'")
        if sep and key and not key.startswith("#") and value:
            values[key.strip()] = value
    return values
