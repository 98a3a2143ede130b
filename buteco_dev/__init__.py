"""Runs the stack on this machine, for `make run` (`python -m buteco_dev run`), the tests and the benchmarks.

PostgreSQL (postgres.py), the TypeORM migrations (migrations.py), service processes in any language
(processes.py), which services exist and how to run them (catalogue.py, launch.py, toolchains.py), who gets which
credential (credentials.py), the local Discord with its console (world.py, console.py), services added while it
runs (watch.py), and new services written from templates (scaffold.py, templates/).
"""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
