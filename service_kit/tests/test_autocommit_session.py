"""AutocommitSession: its statements open no transaction, and the connection goes back to the pool transactional."""

from sqlalchemy import text
from sqlalchemy.orm import Session

from service_kit.db import AutocommitSession, create_db_engine
from service_kit.settings import DatabaseSettings


def _engine(database_url: str):
    settings = DatabaseSettings(database_url=database_url, db_pool_size=1)  # one connection: the next takes it
    return create_db_engine(settings, "kit-test")


def test_a_statement_runs_with_no_transaction_open_and_commits_alone(database_url):
    engine = _engine(database_url)
    try:
        with AutocommitSession(engine) as session:
            assert session.execute(text("SELECT txid_current_if_assigned() IS NULL")).scalar_one()
            driver = session.connection().connection.dbapi_connection
            assert driver.autocommit and driver.info.transaction_status == 0  # idle: no BEGIN was sent
            session.execute(text("CREATE TEMPORARY TABLE seen (n int)"))
            session.rollback()  # nothing to roll back: the statement committed when it ran
            assert session.execute(text("SELECT count(*) FROM seen")).scalar_one() == 0
    finally:
        engine.dispose()


def test_the_next_session_on_that_connection_opens_transactions_again(database_url):
    engine = _engine(database_url)
    try:
        with AutocommitSession(engine) as session:
            first = session.connection().connection.dbapi_connection
        with Session(engine) as session:
            session.execute(text("SELECT 1"))
            driver = session.connection().connection.dbapi_connection
            assert driver is first and not driver.autocommit and driver.info.transaction_status == 2  # in a transaction
    finally:
        engine.dispose()
