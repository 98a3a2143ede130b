"""Postgres.restart(): the chaos suite's PostgreSQL restart keeps the port and the data, and breaks live sessions."""

from __future__ import annotations

import psycopg2
import pytest

from buteco_dev.postgres import Postgres, find_bin_dir, query

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(find_bin_dir() is None, reason="no PostgreSQL server binaries installed"),
]


def test_a_restart_keeps_port_and_data_and_drops_open_connections():
    with Postgres.throwaway() as server:
        url, port = server.url, server.port
        query(url, "CREATE TABLE kept (n int)")
        query(url, "INSERT INTO kept VALUES (7)")
        open_connection = psycopg2.connect(url)
        try:
            took = server.restart(pause_s=0.2)
            assert 0.2 <= took < 15
            with pytest.raises(psycopg2.OperationalError), open_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        finally:
            open_connection.close()
        assert (server.port, server.url) == (port, url)
        assert query(url, "SELECT n FROM kept") == [(7,)]


def test_a_server_never_started_cannot_restart():
    with pytest.raises(RuntimeError, match="not started"):
        Postgres.throwaway().restart()
