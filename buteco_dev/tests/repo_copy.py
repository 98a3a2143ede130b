"""A throwaway copy of this working tree, for tests that add services to a repository (never to the real one).

Files keep their modification times, so the Makefile's stamps still hold; the migrator's node_modules are hard
links (npm ci would replace the directory, never write into a file) and its dist/ a copy, so nothing is rebuilt.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from buteco_dev import REPO_ROOT

SKIP = {".git", ".venv", "node_modules", "dist", ".run", ".tmp", "__pycache__", ".pytest_cache", ".hypothesis"}


def copy_repository(target: Path) -> Path:
    """target/ holding the working tree as it is now, minus what is generated or ignored."""
    for directory, subdirs, files in os.walk(REPO_ROOT):
        subdirs[:] = [name for name in subdirs if name not in SKIP]
        where = target / Path(directory).relative_to(REPO_ROOT)
        where.mkdir(parents=True, exist_ok=True)
        for name in files:
            if not name.endswith((".pyc", ".partial")) and name != ".env":  # a developer's secrets stay home
                shutil.copy2(Path(directory) / name, where / name)
    migrator = REPO_ROOT / "db_migration_service"
    for name, how in (("node_modules", _link), ("dist", shutil.copy2)):
        if (migrator / name).is_dir():
            shutil.copytree(migrator / name, target / migrator.name / name, symlinks=True, copy_function=how)
    return target


def _link(source: str, destination: str) -> None:
    try:
        os.link(source, destination)
    except OSError:  # another file system
        shutil.copy2(source, destination)
