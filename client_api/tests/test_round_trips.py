"""What PostgreSQL receives per client_api request, from its own statement log: each route is one statement, and a
member registering again under the same name writes nothing (the bot registers on every command)."""

import re

import httpx
import pytest

from buteco_dev.credentials import auth_headers
from buteco_dev.migrations import run_migrations
from buteco_dev.postgres import Postgres, create_database, find_bin_dir, query
from buteco_dev.processes import python_service
from buteco_dev.seed import new_snowflake
from buteco_dev.statement_log import SETTINGS, mark, statements_since

_ROW_VERSION = "SELECT xmin::text, updated_at FROM users WHERE discord_id = %s"


def _one_statement(server: Postgres, call) -> None:
    since = mark(server)
    assert call().status_code == 200
    sent = [statement for application, statement in statements_since(server, since) if application == "client_api"]
    assert len(sent) == 1 and not re.match(r"BEGIN|COMMIT|ROLLBACK|SET", sent[0]), sent


@pytest.mark.slow
@pytest.mark.skipif(find_bin_dir() is None, reason="no PostgreSQL server binaries (make install)")
def test_each_route_is_one_statement_and_an_unchanged_member_writes_nothing(tmp_path):
    with Postgres.throwaway(settings=SETTINGS) as server:
        url = create_database(server.url, "wire")
        run_migrations(url)
        service = python_service("client_api.main", database_url=url, log_dir=tmp_path).start()
        try:
            with httpx.Client(base_url=service.url, headers=auth_headers(), timeout=10, trust_env=False) as api:
                member = new_snowflake()
                body = {"discord_id": str(member), "display_name": "ana"}
                assert api.post("/users", json=body).status_code == 201
                version = query(url, _ROW_VERSION, member)
                calls = [
                    lambda: api.post("/users", json=body),
                    lambda: api.post("/users", json={"discord_id": str(member)}),
                    lambda: api.get(f"/users/by-discord/{member}"),
                ]
                for call in calls:
                    _one_statement(server, call)
                assert query(url, _ROW_VERSION, member) == version, "an unchanged member got a new row version"
                _one_statement(server, lambda: api.post("/users", json={**body, "display_name": "ana maria"}))
                assert query(url, _ROW_VERSION, member) != version
                _one_statement(server, lambda: api.get("/users", params={"limit": 5}))
        finally:
            service.stop()
