"""Which database errors the failure policy retries, read from errors real databases raise."""

import sqlite3
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from airflow.providers.common.sql.hooks.sql import DbApiHook
from etl_fixtures import Postgres

from etl_platform.dbapi import is_transient, limit_query_time, require_query_timeout


def error_of(run: Any) -> BaseException:
    with pytest.raises(Exception) as caught:
        run()
    return caught.value


def test_sqlite_syntax_errors_and_missing_tables_are_not_transient() -> None:
    db = sqlite3.connect(":memory:")
    assert not is_transient(error_of(lambda: db.execute("SELEC 1")))
    assert not is_transient(error_of(lambda: db.execute("SELECT x FROM no_such_table")))
    assert not is_transient(error_of(lambda: db.execute("SELECT 1", (1,))))  # a wrong binding


def test_a_sqlite_database_locked_by_another_writer_is_transient(tmp_path: Path) -> None:
    holder = sqlite3.connect(tmp_path / "db", isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    waiter = sqlite3.connect(tmp_path / "db", timeout=0)
    error = error_of(lambda: waiter.execute("SELECT x FROM t"))
    assert "locked" in str(error) and is_transient(error)


class OtherDatabaseHook(DbApiHook):
    """A common.sql hook of a type whose statements this package cannot time out."""

    conn_name_attr = "other_conn_id"
    default_conn_name = "other_default"
    conn_type = "otherdb"


def test_a_query_timeout_on_another_database_type_names_it_and_the_fix() -> None:
    with pytest.raises(
        ValueError, match=r"not supported on 'otherdb' connections \('other_default'\).*execution_timeout"
    ):
        require_query_timeout(OtherDatabaseHook())


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("sql", "transient"),
    [
        ("SELEC 1", False),  # 42601 syntax error
        ("SELECT x FROM no_such_table", False),  # 42P01 undefined table
        ("SELECT 1 / 0", False),  # 22012 division by zero
        ("SELECT pg_sleep(30)", True),  # 57014 query canceled by statement_timeout
        ("SELECT pg_terminate_backend(pg_backend_pid())", True),  # 57P01, then the connection is gone
    ],
)
def test_postgres_errors(sql: str, transient: bool, postgres: Postgres) -> None:
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    db = psycopg2.connect(host="127.0.0.1", port=postgres.port, user="postgres", dbname="postgres")
    try:
        limit_query_time(PostgresHook(), db, 0.3)
        error = error_of(lambda: db.cursor().execute(sql))
    finally:
        db.close()
    assert isinstance(error, psycopg2.Error) and is_transient(error) is transient
