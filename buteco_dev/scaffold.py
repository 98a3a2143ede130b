"""`make new-service NAME=dice LANG=python|go|node`: a working service, and everything the repository wants of one.

It writes <name>_api/ from templates/<lang>/ (health, its own credential checked in constant time, one example
endpoint, a test in its language, a Dockerfile for Go and Node.js), plugins/<name>.toml (one declarative command
and a [run] table), its docker-compose.yml entry (plus the bot's environment and depends_on) and its .env.example
lines, so the consistency tests pass as it is. Nothing is written unless everything can be: the compose and
.env.example edits are checked by parsing them first, and the manifest comes last (so a running `make run` sees a
complete service when it appears).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from . import REPO_ROOT
from .catalogue import manifests

TEMPLATES = Path(__file__).resolve().parent / "templates"
LANGUAGES = {"python": "Python", "go": "Go", "node": "Node.js"}
ALIASES = {"py": "python", "golang": "go", "js": "node", "nodejs": "node", "javascript": "node"}
NAME = re.compile(r"^[a-z][a-z0-9_]{1,15}$")
COMMAND = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
CORE_COMMANDS = {"help", "health", "plugins"}
TOKEN_LINE = re.compile(r"^[A-Z][A-Z0-9_]*_API_TOKEN=")
URL_LINE = re.compile(r"^[A-Z][A-Z0-9_]*_API_URL=")
BOT_TOKEN_LINE = "      __TOKEN_ENV__: ${__TOKEN_ENV__:?set __TOKEN_ENV__ in .env (make env)}\n"


class ScaffoldError(ValueError):
    """The service cannot be written as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Names:
    name: str  # dice: the plugin id
    language: str
    command: str

    @property
    def values(self) -> dict[str, str]:
        package = f"{self.name}_api"
        return {
            "__PACKAGE__": package,
            "__SERVICE__": package.replace("_", "-"),
            "__TOKEN_ENV__": f"{package.upper()}_TOKEN",
            "__TOKEN_FIELD__": f"{package}_token",
            "__URL_ENV__": f"{package.upper()}_URL",
            "__COMMAND__": self.command,
            "__TITLE__": self.name.replace("_", " ").title(),
            "__LANGUAGE__": LANGUAGES[self.language],
            "__NAME__": self.name,
        }

    def fill(self, text: str) -> str:
        for token, value in self.values.items():
            text = text.replace(token, value)
        return text


def check(name: str, language: str, command: str | None, root: Path) -> Names:
    """The names to use, or ScaffoldError when any of them is taken or malformed."""
    asked, language = language, ALIASES.get(language.lower(), language.lower())
    if language not in LANGUAGES:
        usage = "make new-service NAME=dice LANG=python|go|node [COMMAND=roll]"
        raise ScaffoldError(f"LANG must be one of {', '.join(LANGUAGES)}, not {asked!r} ({usage})")
    if not NAME.match(name):
        raise ScaffoldError(f"NAME must be 2-16 lower-case letters, digits or _, starting with a letter: {name!r}")
    names = Names(name, language, command or name)
    if not COMMAND.match(names.command) or names.command in CORE_COMMANDS:
        raise ScaffoldError(f"the command /{names.command} is not allowed (a core command, or not a Discord name)")
    values = names.values
    taken = {
        f"plugins/{name}.toml": (root / "plugins" / f"{name}.toml").exists(),
        f"{values['__PACKAGE__']}/": (root / values["__PACKAGE__"]).exists(),
        f"{values['__SERVICE__']} in docker-compose.yml": values["__SERVICE__"] in _compose(root).get("services", {}),
        f"{values['__TOKEN_ENV__']} in .env.example": f"\n{values['__TOKEN_ENV__']}=" in _env_example(root),
    }
    if any(taken.values()):
        raise ScaffoldError(f"{name} is taken: {', '.join(what for what, found in taken.items() if found)} exist")
    for plugin_id, data in manifests(root / "plugins").items():
        if names.command in {c.get("name") for c in data.get("commands", [])}:
            raise ScaffoldError(f"/{names.command} is plugins/{plugin_id}.toml's; pick another with COMMAND=")
    return names


def _compose(root: Path) -> dict:
    return yaml.safe_load((root / "docker-compose.yml").read_text(encoding="utf-8")) or {}


def _env_example(root: Path) -> str:
    return "\n" + (root / ".env.example").read_text(encoding="utf-8")


def _block_end(lines: list[str], start: int, indent: int) -> int:
    """The index after the YAML block whose key is lines[start] (at indent), trailing blank lines left out."""
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return end


def _key(lines: list[str], key: str, start: int = 0, end: int | None = None) -> int:
    for index in range(start, len(lines) if end is None else end):
        if lines[index].rstrip("\n").split("#")[0].rstrip() == key:
            return index
    raise ScaffoldError(f"docker-compose.yml has no `{key.strip()}` where expected: add the service by hand")


def compose_text(text: str, names: Names) -> str:
    """docker-compose.yml with the service before the bot, its credential and URL in the bot's environment, and
    the bot depending on it (started: the plugin is optional)."""
    v = names.values
    template = "compose-python.yml.tmpl" if names.language == "python" else "compose-image.yml.tmpl"
    lines = text.splitlines(keepends=True)
    bot = _key(lines, "  bot:")
    bot_end = _block_end(lines, bot, 2)
    env = _key(lines, "    environment:", bot, bot_end)
    env_end = _block_end(lines, env, 4)
    depends = _key(lines, "    depends_on:", bot, bot_end)
    tokens = [i for i in range(env + 1, env_end) if re.match(r"^      [A-Z][A-Z0-9_]*_TOKEN:", lines[i])]
    urls = [i for i in range(env + 1, env_end) if re.match(r"^      [A-Z][A-Z0-9_]*_URL:", lines[i])]
    inserts = [
        (_block_end(lines, depends, 4), f"      {v['__SERVICE__']}:\n        condition: service_started\n"),
        (urls[-1] + 1 if urls else env_end, f"      {v['__URL_ENV__']}:\n"),
        (tokens[-1] + 1 if tokens else env + 1, names.fill(BOT_TOKEN_LINE)),
        (bot, names.fill((TEMPLATES / template).read_text(encoding="utf-8")) + "\n"),
    ]
    for index, chunk in sorted(inserts, key=lambda item: item[0], reverse=True):
        lines.insert(index, chunk)
    return "".join(lines)


def env_example_text(text: str, names: Names) -> str:
    """.env.example with the blank credential (documented) after the last one, the URL after the last URL."""
    v = names.values
    lines = text.splitlines(keepends=True)
    token = names.fill(
        "# The __NAME__ plugin's (plugins/__NAME__.toml: token_env): the bot sends it to __PACKAGE__ only.\n"
    )
    token += f"{v['__TOKEN_ENV__']}=\n"
    url = f"{v['__URL_ENV__']}=http://{v['__SERVICE__']}:5000\n"
    for pattern, chunk in ((URL_LINE, url), (TOKEN_LINE, token)):
        found = [i for i, line in enumerate(lines) if pattern.match(line)]
        if not found:
            raise ScaffoldError(f".env.example has no {pattern.pattern[1:]}... line to add beside: add it by hand")
        lines.insert(found[-1] + 1, chunk)
    return "".join(lines)


def verify(compose: str, env_example: str, names: Names) -> None:
    """The edits parse and say what they should; otherwise nothing is written."""
    v = names.values
    services = (yaml.safe_load(compose) or {}).get("services", {})
    bot = services.get("bot", {})
    ok = v["__SERVICE__"] in services and {v["__TOKEN_ENV__"], v["__URL_ENV__"]} <= set(bot.get("environment", {}))
    if not ok or v["__SERVICE__"] not in bot.get("depends_on", {}):
        raise ScaffoldError("docker-compose.yml did not take the new entry as expected: add it by hand")
    if f"\n{v['__TOKEN_ENV__']}=\n" not in env_example:
        raise ScaffoldError(".env.example did not take the new credential as expected: add it by hand")


def write(path: Path, text: str) -> None:
    """Through a temporary file and a rename: a watcher never reads half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def scaffold(name: str, language: str, *, command: str | None = None, root: Path = REPO_ROOT) -> list[str]:
    """Write the service; returns what was written and what to do next, one line each."""
    names = check(name, language, command, root)
    v = names.values
    source = TEMPLATES / names.language
    files = {
        root / v["__PACKAGE__"] / names.fill(str(t.relative_to(source)).removesuffix(".tmpl")): t
        for t in sorted(source.rglob("*.tmpl"))
    }
    compose = compose_text((root / "docker-compose.yml").read_text(encoding="utf-8"), names)
    env_example = env_example_text((root / ".env.example").read_text(encoding="utf-8"), names)
    verify(compose, env_example, names)
    manifest = names.fill((TEMPLATES / "manifest.toml.tmpl").read_text(encoding="utf-8"))
    manifest = manifest.replace("__RUN__\n", names.fill((source / "run.toml.part").read_text(encoding="utf-8")))
    for path, template in files.items():
        write(path, names.fill(template.read_text(encoding="utf-8")))
    write(root / "docker-compose.yml", compose)
    write(root / ".env.example", env_example)
    write(root / "plugins" / f"{name}.toml", manifest)
    shown = [str(path.relative_to(root)) for path in files]
    return [
        f"new {LANGUAGES[names.language]} service {v['__SERVICE__']}: {', '.join(shown)}",
        f"plugins/{name}.toml (/{names.command}, its [run]); docker-compose.yml and .env.example updated",
        f"next: edit the example endpoint in {v['__PACKAGE__']}/, then its command in plugins/{name}.toml;",
        "      a running `make run` starts it and reloads the bot by itself (or: make run).",
        f"      For docker compose with an existing .env, add {v['__TOKEN_ENV__']}=$(openssl rand -hex 32) to it.",
    ]
