"""Plugin discovery (plugins/*.toml and the `buteco.plugins` entry points) with a truthful load report."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .manifest import Manifest, ManifestError, load_manifest_file, localize, parse_manifest

ENTRY_POINT_GROUP = "buteco.plugins"
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
    except Exception as exc:  # noqa: BLE001 - any import failure is the plugin's, reported as such
        raise ManifestError(source, [f"(load): {type(exc).__name__}: {exc}"]) from None
    if isinstance(found, (str, Path)):
        manifest = load_manifest_file(Path(found))
        if manifest.id != ep.name:
            raise ManifestError(source, [f"id: {manifest.id!r} must equal the entry point name {ep.name!r}"])
        return manifest
    if isinstance(found, Mapping):
        return parse_manifest(dict(found), source, ep.name)
    raise ManifestError(source, [f"(load): expected a dict or a manifest path, got {type(found).__name__}"])


def discover(plugins_dir: Path | None, env: Mapping[str, str]) -> dict[str, Plugin]:
    """Read every manifest; each one becomes a Plugin whose state says whether it may be loaded."""
    found: dict[str, Plugin] = {}

    def add(plugin_id: str, source: str, read) -> None:
        if plugin_id in found:
            found[f"{plugin_id}@{source}"] = Plugin(plugin_id, source, None, "failed",
                                                    f"duplicate id {plugin_id!r}, already defined by "
                                                    f"{found[plugin_id].source}")
            return
        try:
            found[plugin_id] = _configure(Plugin(plugin_id, source, read()), env)
        except ManifestError as exc:
            found[plugin_id] = Plugin(plugin_id, source, None, "failed", str(exc))

    if plugins_dir is not None and plugins_dir.is_dir():
        for path in sorted(plugins_dir.glob("*.toml")):
            add(path.stem, str(path), lambda path=path: load_manifest_file(path))
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        add(ep.name, f"entry point {ep.value}", lambda ep=ep: _entry_point_manifest(ep))
    return found


def _configure(plugin: Plugin, env: Mapping[str, str]) -> Plugin:
    """Decide disabled / needs-config before anything is imported, and resolve the service URL."""
    manifest = plugin.manifest
    if not manifest.enabled:
        plugin.state, plugin.reason = "disabled", "enabled = false in the manifest"
        return plugin
    missing = [name for name in manifest.required_env if not env.get(name)]
    if missing:
        plugin.state, plugin.reason = "needs-config", f"missing environment variable(s): {', '.join(missing)}"
        return plugin
    plugin.url = env.get(manifest.service.url_env) or manifest.service.default_url
    return plugin


def report_lines(plugins: Mapping[str, Plugin], locale: str) -> list[str]:
    """`id — state (reason)` lines, failures first, for /plugins and logs."""
    order = {"failed": 0, "needs-config": 1, "disabled": 2, "loaded": 3}
    lines = []
    for plugin in sorted(plugins.values(), key=lambda p: (order[p.state], p.id)):
        version = f" {plugin.manifest.version}" if plugin.manifest else ""
        line = f"`{plugin.id}`{version} — **{plugin.state}**"
        if plugin.reason:
            line += f": {plugin.reason}"
        lines += [line, *(f"  ⚠ {w}" for w in plugin.warnings)]
    return lines
