"""Reaching a database through common.sql's hooks, with the failure policy's errors and safe names."""

from __future__ import annotations

import re
import sqlite3
import time
from typing import Any

from airflow.providers.common.sql.hooks.sql import DbApiHook
from airflow.sdk import BaseHook

from etl_platform.policy import SourceUnavailableError

#: A table or column name we put into SQL: letters, digits and underscores, optionally schema-qualified.
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: SQLSTATE classes of conditions a later attempt can clear: connection exception (08), transaction
#: rollback (40: deadlock, serialization failure), insufficient resources (53), operator intervention
#: (57: a statement cancelled by ``statement_timeout``, a server shutting down), system error (58).
_TRANSIENT_SQLSTATE_CLASSES = frozenset({"08", "40", "53", "57", "58"})
#: SQLite's primary result codes of the same kind: the database is locked by another connection, the
#: statement was interrupted (by the query timeout), a disk I/O error.
_TRANSIENT_SQLITE_CODES = frozenset(
    {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_INTERRUPT, sqlite3.SQLITE_IOERR}
)
#: Database types whose statements :func:`limit_query_time` can time out.
QUERY_TIMEOUT_TYPES = ("postgres", "sqlite")
#: SQLite calls the progress handler every this many virtual-machine instructions (about 0.1 ms of work).
_SQLITE_PROGRESS_STEPS = 1_000


def get_db_hook(conn_id: str) -> DbApiHook:
    """Build the common.sql hook of a connection's type (SQLite, PostgreSQL, …).

    :param conn_id: the connection.
    :raises ValueError: when the connection's type has no common.sql hook.
    :returns: the hook.
    """
    hook = BaseHook.get_connection(conn_id).get_hook()
    if not isinstance(hook, DbApiHook):
        raise ValueError(
            f"connection {conn_id!r} has type {hook.conn_type!r}, whose hook {type(hook).__name__} is not a "
            "common.sql DbApiHook: use a database connection (sqlite, postgres, …)"
        )
    return hook


def connect(hook: DbApiHook) -> Any:
    """Open a DB-API connection with the transaction under our control.

    Python's sqlite3 commits before DDL and opens transactions lazily; in autocommit mode plus an
    explicit ``BEGIN`` (see :func:`begin`) a ``CREATE TABLE`` is rolled back with the rest.

    :param hook: the database's hook.
    :raises SourceUnavailableError: when the database cannot be reached (Airflow retries).
    :returns: the connection.
    """
    try:
        conn = hook.get_conn()
    except Exception as error:
        raise SourceUnavailableError(
            f"cannot connect to {hook.get_conn_id()!r} ({type(error).__name__}: {error}); Airflow will retry"
        ) from None
    if isinstance(conn, sqlite3.Connection):
        conn.isolation_level = None
    return conn


def require_query_timeout(hook: DbApiHook) -> None:
    """Check that :func:`limit_query_time` can limit the statements of a database type.

    :param hook: the database's hook.
    :raises ValueError: for another type than PostgreSQL or SQLite, naming it and the fix.
    """
    if hook.conn_type not in QUERY_TIMEOUT_TYPES:
        raise ValueError(
            f"query_timeout is not supported on {hook.conn_type!r} connections ({hook.get_conn_id()!r}), "
            f"only on {' and '.join(QUERY_TIMEOUT_TYPES)}: leave it unset and bound the task with "
            "execution_timeout"
        )


def limit_query_time(hook: DbApiHook, conn: Any, seconds: float) -> None:
    """Make the database stop the connection's statements after ``seconds``.

    PostgreSQL cancels each statement that runs longer (``statement_timeout`` for the session; the
    ``options`` argument of ``PostgresHook`` would do it at connection start, but a connection's own
    ``options`` extra replaces it). SQLite has no such setting: a progress handler interrupts whatever
    runs on the connection, fetching rows included, once ``seconds`` have passed from this call.
    Either way the driver raises an error that :func:`is_transient` recognises.

    :param hook: the database's hook; its ``conn_type`` says how to set the limit.
    :param conn: a connection from :func:`connect`.
    :param seconds: the limit, more than 0.
    :raises ValueError: for a database type without a way to set it (see :func:`require_query_timeout`).
    """
    require_query_timeout(hook)
    if hook.conn_type == "postgres":
        cursor = conn.cursor()
        try:
            cursor.execute(
                "SELECT set_config('statement_timeout', %s, false)", (f"{round(seconds * 1000)}ms",)
            )
        finally:
            cursor.close()
    else:
        deadline = time.monotonic() + seconds
        conn.set_progress_handler(lambda: time.monotonic() > deadline, _SQLITE_PROGRESS_STEPS)


def is_transient(error: BaseException) -> bool:
    """Say whether a database error may pass if the task runs again (Airflow should retry it).

    No library classifies DB-API errors this way (SQLAlchemy's dialects recognise lost connections
    only), so it is read from what drivers report: PostgreSQL's SQLSTATE (``pgcode`` in psycopg2,
    ``sqlstate`` in psycopg 3), SQLite's result code (``sqlite3`` raises ``OperationalError`` for syntax
    errors and missing tables too, so its class says nothing), else PEP 249's classes:
    ``OperationalError`` and ``InterfaceError`` are about the database's operation and the connection,
    the others about the statement or the data.

    :param error: what the driver raised.
    :returns: ``True`` for a lost or refused connection, a timeout, a lock or a shortage of resources;
        ``False`` for a syntax error, a missing table or column, a permission or data error.
    """
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        return code is not None and code & 0xFF in _TRANSIENT_SQLITE_CODES
    sqlstate = getattr(error, "pgcode", None) or getattr(error, "sqlstate", None)
    if sqlstate:
        return str(sqlstate)[:2] in _TRANSIENT_SQLSTATE_CLASSES
    # No code: PEP 249's class (psycopg2 without a SQLSTATE lost the server before it answered).
    return any(cls.__name__ in {"OperationalError", "InterfaceError"} for cls in type(error).__mro__)


def begin(conn: Any) -> None:
    """Start a transaction explicitly where the driver does not (sqlite3 in autocommit mode).

    :param conn: a connection from :func:`connect`.
    """
    if isinstance(conn, sqlite3.Connection):
        conn.execute("BEGIN")


def plain_name(name: str) -> str:
    """Check that a table or column name is a plain identifier (optionally ``schema.table``).

    :param name: the name.
    :raises ValueError: when it is not, naming it.
    :returns: the name.
    """
    if not all(_IDENTIFIER.fullmatch(part) for part in name.split(".")):
        raise ValueError(
            f"{name!r} is not a plain SQL name (letters, digits, underscores; 'schema.table'): rename it"
        )
    return name


def quote_name(hook: DbApiHook, name: str) -> str:
    """Quote a table or column name for SQL, refusing names that would need escaping.

    Names come from DAG arguments and payload headers; common.sql's dialects escape only reserved
    words, so anything beyond plain identifiers is refused rather than guessed at.

    :param hook: the database's hook, whose ``escape_word_format`` quotes.
    :param name: ``table``, ``schema.table`` or a column name.
    :raises ValueError: when a part of the name is not a plain identifier.
    :returns: the quoted name.
    """
    return ".".join(hook.escape_word_format.format(part) for part in plain_name(name).split("."))
