"""The plugin manifest schema: one TOML file per service, validated so errors name the file and the field."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

LOCALES = ("en-US", "pt-BR")
DEFAULT_LOCALE = "en-US"
NAME = r"^[a-z][a-z0-9_-]{0,31}$"
OPTION_NAME = r"^[a-z][a-z0-9_]{0,31}$"
ENV_NAME = r"^[A-Z][A-Z0-9_]{0,63}$"
PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
BUILTINS = frozenset({"guild_id", "user_id", "channel_id", "locale", "lang", "interaction_id"})


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
    default_url: str = Field(pattern=r"^https?://[^\s]+$")
    timeout: float = Field(default=2.5, gt=0, le=30)
    languages: Annotated[dict[str, Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,35}$")]],
                         BeforeValidator(_known_locales)] = Field(default_factory=dict)


class Health(Strict):
    path: str = Field(default="/health", pattern=r"^/[^\s]*$")
    timeout: float = Field(default=2.0, gt=0, le=30)
    critical: bool = True


class HelpEntry(Strict):
    command: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,31}( [a-z][a-z0-9_-]{0,31}){0,2}$")
    category: Text
    description: LongText


class Choice(Strict):
    name: Text
    value: str | int


class Option(Strict):
    name: str = Field(pattern=OPTION_NAME)
    type: Literal["string", "integer", "boolean", "user"]
    description: Text
    required: bool = True
    min_value: int | None = None
    max_value: int | None = None
    choices: list[Choice] = Field(default_factory=list, max_length=25)

    @model_validator(mode="after")
    def _choices_match_type(self) -> Option:
        wanted = {"string": str, "integer": int}.get(self.type)
        if self.choices and (wanted is None or not all(type(c.value) is wanted for c in self.choices)):
            raise ValueError(f"choices of a {self.type} option must all be {self.type}s")
        if (self.min_value is not None or self.max_value is not None) and self.type != "integer":
            raise ValueError("min_value/max_value only apply to integer options")
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
        return self


class Manifest(Strict):
    """What a plugin declares; `id` always equals the manifest's file name (or entry-point name)."""

    id: str = Field(pattern=NAME)
    name: Text
    version: str = Field(pattern=r"^\d+\.\d+(\.\d+)?([-+][0-9A-Za-z.-]+)?$")
    enabled: bool = True
    service: Service
    health: Health = Field(default_factory=Health)
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
        raise ManifestError(source, [f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg']}"
                                     for e in exc.errors()]) from None


def load_manifest_file(path: Path) -> Manifest:
    """Read and validate `plugins/<id>.toml`."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ManifestError(str(path), [f"(file): {exc}"]) from None
    return parse_manifest(data, str(path), path.stem)


def localize(text: dict[str, str], locale: str) -> str:
    """The text in `locale`, falling back to en-US."""
    return text.get(locale) or text[DEFAULT_LOCALE]
