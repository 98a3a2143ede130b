"""The SQLAlchemy models of every service match the schema the real TypeORM migrations build."""

import importlib
import pkgutil
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from service_kit.db import Base
from service_kit.settings import psycopg2_url

REPO = Path(__file__).resolve().parent.parent
DRIFT_KINDS = {
    "add_table",
    "remove_table",
    "add_column",
    "remove_column",
    "modify_type",
    "modify_nullable",
    "add_fk",
    "remove_fk",
}
MIGRATOR_TABLES = {"typeorm_migrations"}


def _import_every_service_model() -> list[str]:
    """Import each top-level package's models.py, so a new service is checked without editing this test."""
    imported = []
    for module in pkgutil.iter_modules([str(REPO)]):
        if module.ispkg and (REPO / module.name / "models.py").exists():
            importlib.import_module(f"{module.name}.models")
            imported.append(module.name)
    return imported


def _flatten(diffs: list) -> list[tuple]:
    flat = []
    for diff in diffs:
        flat.extend(diff if isinstance(diff, list) else [diff])
    return flat


def test_models_match_the_migrated_database(database_url):
    services = _import_every_service_model()
    assert {"balance_api"} <= set(services)
    engine = create_engine(psycopg2_url(database_url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diffs = [d for d in _flatten(compare_metadata(context, Base.metadata)) if d[0] in DRIFT_KINDS]
            database_tables = set(inspect(connection).get_table_names()) - MIGRATOR_TABLES
    finally:
        engine.dispose()
    drift = [d for d in diffs if not (d[0] == "remove_table" and d[1].name in MIGRATOR_TABLES)]
    assert drift == [], f"models and migrations disagree: {drift}"
    assert database_tables == set(Base.metadata.tables), "every table must be mapped by exactly one service"
