"""Which database errors the failure policy retries, read from errors real databases raise."""

import json
import sqlite3
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from airflow.providers.common.sql.hooks.sql import DbApiHook
from etl_fixtures import Postgres, free_port

from etl_platform.dbapi import (
    connect,
    database_error,
    get_db_hook,
    is_transient,
    limit_query_time,
    require_query_timeout,
)
from etl_platform.policy import ConfigurationError, SourceUnavailableError


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
        ConfigurationError,
        match=r"not supported on 'otherdb' connections \('other_default'\).*execution_timeout",
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


def pg_hook(monkeypatch: pytest.MonkeyPatch, conn: dict[str, Any]) -> DbApiHook:
    """The PostgreSQL hook of a connection ``pg_login`` with the given settings."""
    monkeypatch.setenv("AIRFLOW_CONN_PG_LOGIN", json.dumps(conn))
    return get_db_hook("pg_login")


@pytest.mark.postgres
def test_the_right_password_connects(pg_reader: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    # The control for the refusals below: the role and the server's password check work.
    conn = connect(pg_hook(monkeypatch, pg_reader))
    try:
        cursor = conn.cursor()
        cursor.execute("SELECT current_user")
        assert cursor.fetchall() == [("reader",)]
    finally:
        conn.close()


LOGIN_FIX = r"check the connection's login and password \(not retried\)"
#: What a careless connection does, the server's answer, and the fix the error must name.
REFUSED = {
    # 28P01 invalid_password
    "wrong password": ({"password": "wrong"}, 'password authentication failed for user "reader"', LOGIN_FIX),
    # libpq itself: the server asked for a password and the connection has none
    "no password": ({"password": None}, "no password supplied", LOGIN_FIX),
    # 28P01 again: with password authentication an unknown role is told apart from a wrong password
    "unknown role": ({"login": "nobody"}, 'password authentication failed for user "nobody"', LOGIN_FIX),
    # 28000 invalid_authorization_specification: pg_hba.conf rejects the role
    "rejected role": ({"login": "refused"}, 'pg_hba.conf rejects connection .*user "refused"', LOGIN_FIX),
    # 3D000 invalid_catalog_name
    "no such database": (
        {"schema": "no_such_db"},
        'database "no_such_db" does not exist',
        r"check the connection's schema, the name of the database \(not retried\)",
    ),
    # a setting the driver does not know
    "unknown option": (
        {"extra": {"no_such_option": "1"}},
        'invalid connection option "no_such_option"',
        r"check the connection's settings \(host, port, schema and extra\) \(not retried\)",
    ),
}


@pytest.mark.postgres
@pytest.mark.parametrize("case", list(REFUSED))
def test_a_refused_login_is_a_configuration_error_naming_the_connection(
    case: str, pg_reader: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    change, answer, fix = REFUSED[case]
    hook = pg_hook(monkeypatch, {**pg_reader, **change})
    with pytest.raises(ConfigurationError, match=rf"cannot connect to 'pg_login' \(.*{answer}.*\): {fix}"):
        connect(hook)


@pytest.mark.postgres
def test_an_unreachable_server_is_still_retried(postgres: Postgres, monkeypatch: pytest.MonkeyPatch) -> None:
    hook = pg_hook(monkeypatch, {**postgres.conn(), "port": free_port()})
    with pytest.raises(SourceUnavailableError, match=r"cannot connect to 'pg_login' .*Airflow will retry"):
        connect(hook)


@pytest.mark.postgres
def test_a_lock_another_session_holds_is_transient(postgres: Postgres) -> None:
    # 55P03 lock_not_available: what lock_timeout or NOWAIT raise; SQLite's busy database is retried too.
    postgres.psql("DROP TABLE IF EXISTS locked; CREATE TABLE locked (x int)")
    holder = psycopg2.connect(host="127.0.0.1", port=postgres.port, user="postgres", dbname="postgres")
    waiter = psycopg2.connect(host="127.0.0.1", port=postgres.port, user="postgres", dbname="postgres")
    try:
        holder.cursor().execute("LOCK TABLE locked IN ACCESS EXCLUSIVE MODE")
        error = error_of(lambda: waiter.cursor().execute("LOCK TABLE locked NOWAIT"))
    finally:
        holder.close()
        waiter.close()
    assert getattr(error, "pgcode", None) == "55P03" and is_transient(error)


@pytest.mark.parametrize(
    ("make", "fix"),
    [
        ("missing folder", "its folder must exist and be writable"),
        ("not a database", "the file there is not a SQLite database"),
    ],
)
def test_a_sqlite_file_that_cannot_be_a_database_is_a_configuration_error(
    make: str, fix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "no_such_folder" / "db.sqlite"
    if make == "not a database":
        path = tmp_path / "notes.txt"
        path.write_bytes(b"not a database, " * 100)
    monkeypatch.setenv("AIRFLOW_CONN_LITE", json.dumps({"conn_type": "sqlite", "host": str(path)}))
    before = sorted(p.name for p in tmp_path.rglob("*"))
    hook = get_db_hook("lite")
    with pytest.raises(ConfigurationError, match=rf"'lite' .*{fix}"):
        conn = connect(hook)
        try:
            conn.execute("SELECT * FROM sqlite_master")  # SQLite reads the file's header lazily
        except sqlite3.Error as error:
            raise database_error("lite", error, "the query") from None
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing was created


def test_a_connection_without_a_database_hook_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_WEB", json.dumps({"conn_type": "http", "host": "127.0.0.1"}))
    with pytest.raises(
        ConfigurationError, match=r"connection 'web' has type 'http'.*use a database connection"
    ):
        get_db_hook("web")
