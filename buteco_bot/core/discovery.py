"""Plugin discovery: plugins/*.toml and the `buteco.plugins` entry points, each one loadable or not and why."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .boundary import BOT_TOKEN_ENV, url_problem
from .manifest import Manifest, ManifestError, load_manifest_file, localize, parse_manifest

ENTRY_POINT_GROUP = "buteco.plugins"
BOT_EXTENSIONS = "buteco_bot.extensions."
CORE_EXTENSION = "buteco_bot.extensions.core_commands"
MIN_TOKEN_LENGTH = 16
State = Literal["loaded", "failed", "needs-config", "disabled"]


@dataclass
class Plugin:
    """One discovered plugin and what became of it."""

    id: str
    source: str
    manifest: Manifest | None
    state: State = "loaded"
    reason: str | None = None
    url: str | None = None
    warnings: list[str] = field(default_factory=list)

    def fail(self, reason: str) -> None:
        self.state, self.reason = "failed", reason

    def display_name(self, locale: str) -> str:
        return localize(self.manifest.name, locale) if self.manifest else self.id

    @property
    def has_service(self) -> bool:
        return self.manifest is not None and self.url is not None


def _entry_point_manifest(ep: importlib.metadata.EntryPoint) -> Manifest:
    """An entry point names a manifest: a dict, a path to a TOML file, or a callable returning either."""
    source = f"entry point {ep.name} = {ep.value}"
    try:
        found: Any = ep.load()
        if callable(found):
            found = found()
    except Exception as exc:
        raise ManifestError(source, [f"(load): {type(exc).__name__}: {exc}"]) from None
    if isinstance(found, (str, Path)):
        manifest = load_manifest_file(Path(found))
        if manifest.id != ep.name:
            raise ManifestError(source, [f"id: {manifest.id!r} must equal the entry point name {ep.name!r}"])
        return manifest
    if isinstance(found, Mapping):
        return parse_manifest(dict(found), source, ep.name)
    raise ManifestError(source, [f"(load): expected a dict or a manifest path, got {type(found).__name__}"])


def discover(plugins_dir: Path | None, env: Mapping[str, str], first_party: Iterable[str] = ()) -> dict[str, Plugin]:
    """Read every manifest (blocking: call it off the event loop); each one becomes a Plugin whose state says
    whether it may be loaded. Whatever a file does, the failure is that plugin's own."""
    found: dict[str, Plugin] = {}
    trusted = frozenset(first_party)

    def add(plugin_id: str, source: str, read, package: str | None = None) -> None:
        if plugin_id in found:
            found[f"{plugin_id}@{source}"] = Plugin(
                plugin_id,
                source,
                None,
                "failed",
                f"duplicate id {plugin_id!r}, already defined by {found[plugin_id].source}",
            )
            return
        try:
            plugin = Plugin(plugin_id, source, read())
        except ManifestError as exc:
            found[plugin_id] = Plugin(plugin_id, source, None, "failed", str(exc))
        except Exception as exc:
            found[plugin_id] = Plugin(plugin_id, source, None, "failed", f"{source}: (file): {type(exc).__name__}")
        else:
            found[plugin_id] = _configure(plugin, env, plugin_id in trusted, plugins_dir, package)

    if plugins_dir is not None and plugins_dir.is_dir():
        _importable(plugins_dir)
        for path in sorted(plugins_dir.glob("*.toml")):
            add(path.stem, str(path), lambda path=path: load_manifest_file(path))
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        add(ep.name, f"entry point {ep.value}", lambda ep=ep: _entry_point_manifest(ep), ep.module.split(".")[0])
    _refuse_shared_variables(found.values())
    return found


def _importable(plugins_dir: Path) -> None:
    """The plugins directory joins the end of sys.path, so installed modules always win over its files."""
    where = str(plugins_dir.resolve())
    if where not in sys.path:
        sys.path.append(where)
    importlib.invalidate_caches()


def module_refusal(module: str, plugins_dir: Path | None, package: str | None = None) -> str | None:
    """Why `module` may not be a command module, decided without importing it; None when it may."""
    if module == CORE_EXTENSION:
        return f"{module} is the bot's core extension"
    if module.startswith(BOT_EXTENSIONS) or (package is not None and module.split(".", maxsplit=1)[0] == package):
        return None
    if plugins_dir is not None:
        try:
            spec = importlib.util.find_spec(module.split(".", maxsplit=1)[0])  # a top-level name: nothing is imported
        except (ImportError, ValueError):
            spec = None
        origin = spec.origin if spec is not None else None
        if origin and Path(origin).resolve().is_relative_to(plugins_dir.resolve()):
            return None
    return f"{module} is neither in {BOT_EXTENSIONS}* nor a module in the plugins directory"


def _configure(
    plugin: Plugin, env: Mapping[str, str], first_party: bool, plugins_dir: Path | None, package: str | None
) -> Plugin:
    """Decide failed / disabled / needs-config before anything is imported, and resolve the service URL."""
    manifest, source = plugin.manifest, plugin.source
    if not manifest.enabled:
        plugin.state, plugin.reason = "disabled", "enabled = false in the manifest"
        return plugin
    token_env, url_env = manifest.service.token_env, manifest.service.url_env
    refusal = manifest.command_module and module_refusal(manifest.command_module, plugins_dir, package)
    if refusal:
        plugin.fail(f"{source}: command_module: {refusal}")
        return plugin
    if token_env == BOT_TOKEN_ENV and not first_party:
        plugin.fail(
            f"{source}: service.token_env: {BOT_TOKEN_ENV} is the bot's own credential; only the "
            "FIRST_PARTY_PLUGINS may name it (a plugin service gets its own <NAME>_API_TOKEN)"
        )
        return plugin
    problem = url_problem(env[url_env]) if env.get(url_env) else None
    if problem:
        plugin.fail(f"{source}: service.url_env: the value of {url_env} cannot be used: {problem}")
        return plugin
    missing = [name for name in manifest.required_env if not env.get(name)]
    if missing:
        plugin.state, plugin.reason = "needs-config", f"missing environment variable(s): {', '.join(missing)}"
        return plugin
    if token_env and len(env.get(token_env) or "") < MIN_TOKEN_LENGTH:
        plugin.state, plugin.reason = (
            "needs-config",
            (f"service.token_env: {token_env} is not set or shorter than {MIN_TOKEN_LENGTH} characters"),
        )
        return plugin
    plugin.url = env.get(url_env) or manifest.service.default_url
    return plugin


def _refuse_shared_variables(plugins: Iterable[Plugin]) -> None:
    """A URL or credential variable claimed by two plugins is refused for every claimant, each named."""
    claims: dict[str, list[tuple[Plugin, str]]] = {}
    for plugin in plugins:
        if plugin.manifest is None or plugin.state == "disabled":
            continue
        service = plugin.manifest.service
        for name, where in ((service.url_env, "service.url_env"), (service.token_env, "service.token_env")):
            if name and name != BOT_TOKEN_ENV:
                claims.setdefault(name, []).append((plugin, where))
    for name, claimants in claims.items():
        if len(claimants) < 2:
            continue
        for plugin, where in claimants:
            others = ", ".join(p.source for p, _ in claimants if p is not plugin)
            plugin.fail(f"{plugin.source}: {where}: {name} is also claimed by {others}")
            plugin.url = None
