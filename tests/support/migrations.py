"""Runs the real TypeORM migrations (db_migration_service) into a database, as deployments do."""

from __future__ import annotations

import fcntl
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from tests.support.db_roles import password_env

REPO_ROOT = Path(__file__).resolve().parents[2]
MIGRATION_SERVICE = REPO_ROOT / "db_migration_service"


class MigrationError(RuntimeError):
    """The build or the migration command failed; the message carries its output."""


def migration_service_present() -> bool:
    return (MIGRATION_SERVICE / "package.json").is_file()


def ensure_built() -> None:
    """Bring dist/ up to date through the Makefile's stamps, locked so parallel runs don't rebuild it at once."""
    lock_path = REPO_ROOT / ".tmp" / "migrations-build.lock"
    lock_path.parent.mkdir(exist_ok=True)
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = subprocess.run(["make", "-C", str(REPO_ROOT), "--no-print-directory", "-s", "migrations"],
                              capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise MigrationError(f"make migrations failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def run_migrations(database_url: str, db_passwords: Mapping[str, str] | None = None) -> str:
    """`npm run migrate` against database_url, which also lets each service role log in; returns its output.

    db_passwords maps *_DB_PASSWORD variables to values (make run's); by default the tests' fixed passwords.
    """
    cmd = ["npm", "--prefix", str(MIGRATION_SERVICE), "run", "migrate"]
    passwords = password_env() if db_passwords is None else dict(db_passwords)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **passwords, "DATABASE_URL": database_url})
    output = f"{done.stdout}\n{done.stderr}"
    if done.returncode != 0:
        raise MigrationError(f"{' '.join(cmd)} failed ({done.returncode}):\n{output}")
    return output
