"""The real TypeORM migrations (db_migration_service) run into a database, as deployments run them.

ensure_built() brings dist/ up to date through the Makefile; run_migrations() applies what is pending and lets each
service role log in with the password its <ROLE>_DB_PASSWORD variable gives (the tests' fixed ones by default);
npm_script() runs any other script of the migrator (revert, logins) and hands back its result unchecked.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
from collections.abc import Mapping

from . import REPO_ROOT
from .credentials import password_env

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
        done = subprocess.run(
            ["make", "-C", str(REPO_ROOT), "--no-print-directory", "-s", "migrations"],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    if done.returncode != 0:
        raise MigrationError(f"make migrations failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def npm_script(script: str, database_url: str, env: Mapping[str, str]) -> subprocess.CompletedProcess:
    """`npm run <script>` of the migrator against database_url, with env on top of this process's environment."""
    return subprocess.run(
        ["npm", "--prefix", str(MIGRATION_SERVICE), "run", script],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, **env, "DATABASE_URL": database_url},
    )


def run_migrations(database_url: str, db_passwords: Mapping[str, str] | None = None) -> str:
    """`npm run migrate` against database_url, which also lets each service role log in; returns its output.

    db_passwords maps *_DB_PASSWORD variables to values (make run's); by default the tests' fixed passwords.
    """
    done = npm_script("migrate", database_url, password_env() if db_passwords is None else db_passwords)
    output = f"{done.stdout}\n{done.stderr}"
    if done.returncode != 0:
        raise MigrationError(f"npm --prefix {MIGRATION_SERVICE} run migrate failed ({done.returncode}):\n{output}")
    return output
