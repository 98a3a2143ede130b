"""The plugin manifest schema: one TOML file per service, validated so errors name the file and the field."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from .boundary import BOT_TOKEN_ENV, dot_segments, reserved_env, url_problem
from .manifest_file import UnreadableManifest, read_manifest_data

LOCALES = ("en-US", "pt-BR")
DEFAULT_LOCALE = "en-US"
NAME = r"^[a-z][a-z0-9_-]{0,31}$"
OPTION_NAME = r"^[a-z][a-z0-9_]{0,31}$"
ENV_NAME = r"^[A-Z][A-Z0-9_]{0,63}$"
PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
BUILTINS = frozenset({"guild_id", "user_id", "channel_id", "locale", "lang", "interaction_id"})
SAFE_INTEGER = 2**53  # Discord refuses integer choices and bounds beyond ±2^53
MAX_COMMAND_CHARS = 4000  # Discord: names, descriptions and values of a command, its options and choices


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _localized(value: Any) -> Any:
    """A plain string means the same text in every locale; a table must give en-US (the fallback)."""
    if isinstance(value, str):
        return {DEFAULT_LOCALE: value}
    if isinstance(value, dict):
        unknown = set(value) - set(LOCALES)
        if unknown:
            raise ValueError(f"unknown locale(s) {sorted(unknown)}; expected {list(LOCALES)}")
        if DEFAULT_LOCALE not in value:
            raise ValueError(f"a localized text needs an {DEFAULT_LOCALE} entry")
    return value


Text = Annotated[dict[str, Annotated[str, Field(min_length=1, max_length=100)]], BeforeValidator(_localized)]
LongText = Annotated[dict[str, Annotated[str, Field(min_length=1, max_length=1000)]], BeforeValidator(_localized)]


def _known_locales(value: Any) -> Any:
    """Keys of a per-locale table must be locales the bot speaks."""
    if isinstance(value, dict) and set(value) - set(LOCALES):
        raise ValueError(f"unknown locale(s) {sorted(set(value) - set(LOCALES))}; expected {list(LOCALES)}")
    return value


class Service(Strict):
    url_env: str = Field(pattern=ENV_NAME)
    default_url: str = Field(max_length=2000)
    token_env: str | None = Field(default=None, pattern=ENV_NAME)
    timeout: float = Field(default=2.5, gt=0, le=30)
    languages: Annotated[
        dict[str, Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,35}$")]], BeforeValidator(_known_locales)
    ] = Field(default_factory=dict)

    @field_validator("url_env")
    @classmethod
    def _url_env(cls, name: str) -> str:
        if reserved_env(name):
            raise ValueError(f"{name} is a variable the bot uses for itself, not a plugin's URL")
        if not name.endswith("_URL"):
            raise ValueError(f"{name} must end in _URL")
        return name

    @field_validator("token_env")
    @classmethod
    def _token_env(cls, name: str | None) -> str | None:
        if name is None or name == BOT_TOKEN_ENV:
            return name  # BOT_API_TOKEN: allowed for first-party plugins only, decided at discovery
        if reserved_env(name):
            raise ValueError(f"{name} is a variable the bot uses for itself, not a plugin's credential")
        if not name.endswith("_TOKEN"):
            raise ValueError(f"{name} must end in _TOKEN")
        return name

    @field_validator("default_url")
    @classmethod
    def _default_url(cls, url: str) -> str:
        problem = url_problem(url)
        if problem:
            raise ValueError(problem)
        return url


class Health(Strict):
    path: str = Field(default="/health", pattern=r"^/[^\s]*$")
    timeout: float = Field(default=2.0, gt=0, le=30)
    critical: bool = True
    setup: LongText | None = None  # what the admin sets, shown in /health while the service says it is not set up


class Run(Strict):
    """How `make run` runs the service on a developer's machine (buteco_dev reads it; the bot only validates it)."""

    command: str = Field(min_length=1, max_length=1000)  # split like a shell; {port}, {bin} and {python} filled in
    cwd: str = Field(default=".", pattern=r"^(\.|[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*)$")
    build: str | None = Field(default=None, min_length=1, max_length=1000)  # once, before command
    test: str | None = Field(default=None, min_length=1, max_length=1000)  # what `make test` runs in cwd
    port_env: str = Field(default="PORT", pattern=ENV_NAME)


class HelpEntry(Strict):
    command: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,31}( [a-z][a-z0-9_-]{0,31}){0,2}$")
    category: Text
    description: LongText


class Choice(Strict):
    name: Text
    value: str | int

    @field_validator("value")
    @classmethod
    def _discord_accepts(cls, value: str | int) -> str | int:
        if isinstance(value, str) and not 1 <= len(value) <= 100:
            raise ValueError(f"a string choice value must have 1 to 100 characters, not {len(value)}")
        if isinstance(value, int) and abs(value) > SAFE_INTEGER:
            raise ValueError("an integer choice value must be within ±2^53")
        return value


class Option(Strict):
    name: str = Field(pattern=OPTION_NAME)
    type: Literal["string", "integer", "boolean", "user"]
    description: Text
    required: bool = True
    min_value: int | None = Field(default=None, ge=-SAFE_INTEGER, le=SAFE_INTEGER)
    max_value: int | None = Field(default=None, ge=-SAFE_INTEGER, le=SAFE_INTEGER)
    choices: list[Choice] = Field(default_factory=list, max_length=25)

    @model_validator(mode="after")
    def _choices_match_type(self) -> Option:
        wanted = {"string": str, "integer": int}.get(self.type)
        if self.choices and (wanted is None or not all(type(c.value) is wanted for c in self.choices)):
            raise ValueError(f"choices of a {self.type} option must all be {self.type}s")
        if (self.min_value is not None or self.max_value is not None) and self.type != "integer":
            raise ValueError("min_value/max_value only apply to integer options")
        if self.min_value is not None and self.max_value is not None and self.min_value > self.max_value:
            raise ValueError("min_value must not be above max_value")
        return self


class DeclarativeCommand(Strict):
    name: str = Field(pattern=NAME)
    description: Text
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    path: str = Field(pattern=r"^/[^\s]*$")
    response: str = Field(min_length=1, max_length=2000)
    ephemeral: bool = False
    options: list[Option] = Field(default_factory=list, max_length=25)

    @model_validator(mode="after")
    def _path_placeholders_exist(self) -> DeclarativeCommand:
        names = {o.name for o in self.options}
        if len(names) != len(self.options):
            raise ValueError("option names must be unique")
        unknown = set(PLACEHOLDER.findall(self.path)) - names - BUILTINS
        if unknown:
            raise ValueError(f"path uses unknown placeholder(s) {sorted(unknown)}")
        if any(o.name in PLACEHOLDER.findall(self.path) and not o.required for o in self.options):
            raise ValueError("an option used in the path must be required")
        if dot_segments(self.path):
            raise ValueError("path must not contain . or .. segments")
        size = synced_size(self)
        if size > MAX_COMMAND_CHARS:
            raise ValueError(
                f"names, descriptions and choices add up to {size} characters; "
                f"Discord accepts at most {MAX_COMMAND_CHARS} per command"
            )
        return self


def synced_size(command: DeclarativeCommand) -> int:
    """What Discord counts against its 4000 characters: the longest localization of each text."""

    def longest(text: dict[str, str]) -> int:
        return max(len(v) for v in text.values())

    return (
        len(command.name)
        + longest(command.description)
        + sum(
            len(o.name) + longest(o.description) + sum(longest(c.name) + len(str(c.value)) for c in o.choices)
            for o in command.options
        )
    )


class Manifest(Strict):
    """What a plugin declares; `id` always equals the manifest's file name (or entry-point name)."""

    id: str = Field(pattern=NAME)
    name: Text
    version: str = Field(pattern=r"^\d+\.\d+(\.\d+)?([-+][0-9A-Za-z.-]+)?$")
    enabled: bool = True
    service: Service
    health: Health = Field(default_factory=Health)
    run: Run | None = None
    required_env: list[Annotated[str, Field(pattern=ENV_NAME)]] = Field(default_factory=list)
    command_module: str | None = Field(default=None, pattern=r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$")
    help: list[HelpEntry] = Field(default_factory=list)
    commands: list[DeclarativeCommand] = Field(default_factory=list, max_length=25)

    @model_validator(mode="after")
    def _unique_commands(self) -> Manifest:
        names = [c.name for c in self.commands]
        if len(names) != len(set(names)):
            raise ValueError("declarative command names must be unique")
        return self


class ManifestError(ValueError):
    """A manifest that cannot be used; the message names the source and each bad field."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source, self.problems = source, problems
        super().__init__(f"{source}: " + "; ".join(problems))


def parse_manifest(data: dict[str, Any], source: str, expected_id: str) -> Manifest:
    """Validate raw manifest data; `id` defaults to, and must equal, the file name or entry-point name."""
    data = {**data}
    data.setdefault("id", expected_id)
    if data["id"] != expected_id:
        raise ManifestError(source, [f"id: {data['id']!r} must equal the file name {expected_id!r}"])
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        raise ManifestError(
            source,
            [
                f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg'].removeprefix('Value error, ')}"
                for e in exc.errors()[:10]
            ],
        ) from None
    except (RecursionError, MemoryError) as exc:
        raise ManifestError(source, [f"(root): too complex to validate ({type(exc).__name__})"]) from None


def load_manifest_file(path: Path) -> Manifest:
    """Read (regular files only, size and nesting capped) and validate `plugins/<id>.toml`."""
    try:
        data = read_manifest_data(path)
    except UnreadableManifest as exc:
        raise ManifestError(str(path), [f"(file): {exc}"]) from None
    return parse_manifest(data, str(path), path.stem)


def localize(text: dict[str, str], locale: str) -> str:
    """The text in `locale`, falling back to en-US."""
    return text.get(locale) or text[DEFAULT_LOCALE]
