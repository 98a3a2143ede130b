"""One chaos run per module: the stack starts, the scenario plays, the tests read what it left behind."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from buteco_dev import REPO_ROOT, migrations
from buteco_dev.credentials import auth_headers
from buteco_dev.postgres import find_bin_dir
from tests.chaos.scenario import Run, play_bounded
from tests.chaos.stack import ChaosStack

RUN_BOUND_S = 240.0
SUMMARY = REPO_ROOT / ".tmp" / "chaos" / "latest.json"


@dataclass
class Chaos:
    """What the tests read: the run's record, the database, and balance_api."""

    stack: ChaosStack
    run: Run
    ledger: httpx.Client

    def sql(self, statement: str, *params) -> list[tuple]:
        return self.stack.sql(statement, *params)

    @property
    def guild_ids(self) -> list[int]:
        return [guild.id for guild in self.run.economy.guilds]


@pytest.fixture(scope="module")
def chaos(tmp_path_factory) -> Iterator[Chaos]:
    if find_bin_dir() is None:
        pytest.skip("the chaos suite restarts a PostgreSQL server of its own: install one (make install)")
    if not migrations.migration_service_present():
        pytest.skip("db_migration_service/package.json does not exist yet: no schema to test against")
    stack = ChaosStack(tmp_path_factory.mktemp("chaos"))
    stack.start()
    try:
        run = play_bounded(stack, RUN_BOUND_S)
        SUMMARY.parent.mkdir(parents=True, exist_ok=True)
        SUMMARY.write_text(json.dumps({**run.figures(), "logs": str(stack.log_dir)}, indent=2, default=str))
        ledger = httpx.Client(base_url=stack.url("balance_api"), headers=auth_headers(), timeout=30, trust_env=False)
        with ledger:
            yield Chaos(stack, run, ledger)
    finally:
        stack.stop()
