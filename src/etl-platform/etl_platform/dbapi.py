"""Reaching a database through common.sql's hooks, with the failure policy's errors and safe names."""

from __future__ import annotations

import re
import sqlite3
import time
import uuid
from collections.abc import Callable
from typing import Any

from airflow.providers.common.sql.hooks.sql import DbApiHook
from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowException

from etl_platform.policy import ConfigurationError, RequestRejectedError, SourceUnavailableError

#: A table or column name we put into SQL: letters, digits and underscores, optionally schema-qualified.
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: SQLSTATE classes of conditions a later attempt can clear: connection exception (08), transaction
#: rollback (40: deadlock, serialization failure), insufficient resources (53), operator intervention
#: (57: a statement cancelled by ``statement_timeout``, a server shutting down), system error (58).
_TRANSIENT_SQLSTATE_CLASSES = frozenset({"08", "40", "53", "57", "58"})
#: Single SQLSTATEs of the same kind in other classes: lock_not_available (a ``lock_timeout`` or
#: ``NOWAIT`` met a lock another session holds), PostgreSQL's twin of SQLite's busy database.
_TRANSIENT_SQLSTATES = frozenset({"55P03"})
#: SQLite's primary result codes of the same kind: the database is locked by another connection, the
#: statement was interrupted (by the query timeout), a disk I/O error.
_TRANSIENT_SQLITE_CODES = frozenset(
    {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_INTERRUPT, sqlite3.SQLITE_IOERR}
)
#: What to fix for errors that only a change of the connection cures, by SQLSTATE or SQLSTATE class.
_LOGIN_FIX = "check the connection's login and password"
_DATABASE_FIX = "check the connection's schema, the name of the database"
_CONFIG_SQLSTATES = {"28": _LOGIN_FIX, "3D000": _DATABASE_FIX}
#: The same, read from the message when the driver gives no SQLSTATE: libpq reports a refused login
#: only as text (psycopg2's ``pgcode`` and psycopg's ``sqlstate`` are ``None`` then). These are the
#: server's and libpq's English messages: a server with another ``lc_messages`` is not recognised, and
#: its refusals stay retried as before.
_CONFIG_MESSAGES = (
    (re.compile(r"authentication failed for user|no password supplied|pg_hba\.conf"), _LOGIN_FIX),
    (re.compile(r'role "[^"]*" (does not exist|is not permitted to log in)'), _LOGIN_FIX),
    (re.compile(r'database "[^"]*" does not exist'), _DATABASE_FIX),
)
#: SQLite's primary result codes that the connection's path explains: a file that cannot be opened
#: (its folder is missing or not writable) or is not a database.
_CONFIG_SQLITE_CODES = {
    sqlite3.SQLITE_CANTOPEN: "check the connection's host, the database file: its folder must exist and be "
    "writable",
    sqlite3.SQLITE_NOTADB: "check the connection's host: the file there is not a SQLite database",
}
#: Database types whose statements :func:`limit_query_time` can time out.
QUERY_TIMEOUT_TYPES = ("postgres", "sqlite")
#: SQLite calls the progress handler every this many virtual-machine instructions (about 0.1 ms of work).
_SQLITE_PROGRESS_STEPS = 1_000


def get_db_hook(conn_id: str) -> DbApiHook:
    """Build the common.sql hook of a connection's type (SQLite, PostgreSQL, …).

    :param conn_id: the connection.
    :raises ConfigurationError: when the connection's type has no common.sql hook (not retried).
    :returns: the hook.
    """
    hook = BaseHook.get_connection(conn_id).get_hook()
    if not isinstance(hook, DbApiHook):
        raise ConfigurationError(
            f"connection {conn_id!r} has type {hook.conn_type!r}, whose hook {type(hook).__name__} is not a "
            "common.sql DbApiHook: use a database connection (sqlite, postgres, …)"
        )
    return hook


def connect(hook: DbApiHook) -> Any:
    """Open a DB-API connection with the transaction under our control.

    Python's sqlite3 commits before DDL and opens transactions lazily; in autocommit mode plus an
    explicit ``BEGIN`` (see :func:`begin`) a ``CREATE TABLE`` is rolled back with the rest.

    :param hook: the database's hook.
    :raises ConfigurationError: when the database refuses the connection's settings: a wrong login or
        password, a database that does not exist, an option the driver does not know (not retried).
    :raises SourceUnavailableError: when the database cannot be reached (Airflow retries).
    :returns: the connection.
    """
    try:
        conn = hook.get_conn()
    except Exception as error:
        raise _connect_error(hook.get_conn_id(), error) from None
    if isinstance(conn, sqlite3.Connection):
        conn.isolation_level = None
    return conn


def _connect_error(conn_id: str, error: Exception) -> AirflowException:
    """Decide whether a failed connection attempt is retried: only if the database may come back.

    :param conn_id: the connection, named in the message.
    :param error: what the hook raised.
    :returns: a :class:`~etl_platform.policy.ConfigurationError` for settings only a person can fix, else
        a :class:`~etl_platform.policy.SourceUnavailableError`.
    """
    detail = describe_error(error)
    fix = config_fault(error)
    if fix is None and _is_dbapi_error(error) and not is_transient(error):
        fix = "check the connection's settings (host, port, schema and extra)"
    if fix is not None:
        return ConfigurationError(f"cannot connect to {conn_id!r} ({detail}): {fix} (not retried)")
    return SourceUnavailableError(f"cannot connect to {conn_id!r} ({detail}); Airflow will retry")


def _is_dbapi_error(error: BaseException) -> bool:
    """Say whether a driver raised the error (PEP 249's ``DatabaseError`` or ``InterfaceError``)."""
    return any(cls.__name__ in {"DatabaseError", "InterfaceError"} for cls in type(error).__mro__)


def describe_error(error: BaseException) -> str:
    """Name an error in one line for a message: its type and its text without line breaks.

    :param error: the error.
    :returns: ``"Type: text"``.
    """
    return f"{type(error).__name__}: {' '.join(str(error).split())}"


def require_query_timeout(hook: DbApiHook) -> None:
    """Check that :func:`limit_query_time` can limit the statements of a database type.

    :param hook: the database's hook.
    :raises ConfigurationError: for another type than PostgreSQL or SQLite, naming it and the fix (not
        retried: the connection's type is only known when the task runs).
    """
    if hook.conn_type not in QUERY_TIMEOUT_TYPES:
        raise ConfigurationError(
            f"query_timeout is not supported on {hook.conn_type!r} connections ({hook.get_conn_id()!r}), "
            f"only on {' and '.join(QUERY_TIMEOUT_TYPES)}: leave it unset and bound the task with "
            "execution_timeout"
        )


def limit_query_time(hook: DbApiHook, conn: Any, seconds: float) -> Callable[[], None]:
    """Make the database stop the connection's statements ``seconds`` from now, fetching included.

    PostgreSQL cancels a statement that runs longer than ``statement_timeout`` (set here for the
    session; the ``options`` argument of ``PostgresHook`` would do it at connection start, but a
    connection's own ``options`` extra replaces it). A server-side cursor (:func:`open_cursor`) runs
    its query in one ``FETCH`` statement per batch, so the returned function sets the time left before
    each one. SQLite has no such setting: a progress handler interrupts whatever runs on the
    connection, fetching rows included, once ``seconds`` have passed. Either way the driver raises an
    error that :func:`is_transient` recognises.

    :param hook: the database's hook; its ``conn_type`` says how to set the limit.
    :param conn: a connection from :func:`connect`.
    :param seconds: the limit, more than 0.
    :raises ConfigurationError: for a database type without a way to set it (see
        :func:`require_query_timeout`).
    :returns: a function to call before each fetch, which gives the database the time left.
    """
    require_query_timeout(hook)
    deadline = time.monotonic() + seconds
    if hook.conn_type == "postgres":

        def time_left() -> None:
            # statement_timeout=0 would mean no limit: past the deadline, 1 ms cancels the next statement.
            _set_statement_timeout(conn, max(round((deadline - time.monotonic()) * 1000), 1))

        time_left()
        return time_left
    conn.set_progress_handler(lambda: time.monotonic() > deadline, _SQLITE_PROGRESS_STEPS)
    return lambda: None


def _set_statement_timeout(conn: Any, milliseconds: int) -> None:
    cursor = conn.cursor()
    try:
        cursor.execute("SELECT set_config('statement_timeout', %s, false)", (f"{milliseconds}ms",))
    finally:
        cursor.close()


def open_cursor(hook: DbApiHook, conn: Any, batch_size: int) -> Any:
    """Open a cursor that holds about ``batch_size`` rows in memory, whatever the size of the result.

    PostgreSQL's drivers (psycopg 3, psycopg2) read a query's whole result into memory on ``execute``
    unless the cursor has a name: a named cursor is a server-side one (``DECLARE``, then one ``FETCH``
    per ``fetchmany``), so memory is bounded by the batch (bench/bench_sql_extract.py). It lives in the
    connection's transaction. SQLite's cursor already steps through the result as rows are fetched.
    On a server-side cursor, ``description`` may be empty until the first fetch (psycopg2).

    :param hook: the database's hook; its ``conn_type`` says which cursor.
    :param conn: a connection from :func:`connect`, not in autocommit mode.
    :param batch_size: rows per fetch, also the cursor's ``itersize`` (rows per ``FETCH`` when iterated).
    :returns: the cursor.
    """
    if hook.conn_type != "postgres":
        return conn.cursor()
    cursor = conn.cursor(name=f"etl_extract_{uuid.uuid4().hex}")
    cursor.itersize = batch_size
    return cursor


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
        ``False`` for a syntax error, a missing table or column, a permission or data error, and for the
        connection's own faults (:func:`config_fault`: a wrong password, a missing database).
    """
    if config_fault(error) is not None:
        return False
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        return code is not None and code & 0xFF in _TRANSIENT_SQLITE_CODES
    sqlstate = _sqlstate(error)
    if sqlstate:
        return sqlstate in _TRANSIENT_SQLSTATES or sqlstate[:2] in _TRANSIENT_SQLSTATE_CLASSES
    # No code: PEP 249's class (psycopg2 without a SQLSTATE lost the server before it answered).
    return any(cls.__name__ in {"OperationalError", "InterfaceError"} for cls in type(error).__mro__)


def config_fault(error: BaseException) -> str | None:
    """Say what to fix when a database error comes from the connection's settings, which no retry cures.

    Read from the SQLSTATE where the driver gives one (class 28, invalid authorization; 3D000, no such
    database), else from libpq's message (a refused login has no SQLSTATE in psycopg), and from SQLite's
    result code (the file cannot be opened, or is not a database).

    :param error: what the driver raised.
    :returns: the fix, e.g. ``"check the connection's login and password"``, or ``None``.
    """
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        return None if code is None else _CONFIG_SQLITE_CODES.get(code & 0xFF)
    sqlstate = _sqlstate(error)
    if sqlstate:
        return _CONFIG_SQLSTATES.get(sqlstate) or _CONFIG_SQLSTATES.get(sqlstate[:2])
    if not _is_dbapi_error(error):
        return None
    message = str(error)
    return next((fix for pattern, fix in _CONFIG_MESSAGES if pattern.search(message)), None)


def _sqlstate(error: BaseException) -> str:
    """Read a PostgreSQL driver's SQLSTATE (``pgcode`` in psycopg2, ``sqlstate`` in psycopg 3)."""
    return str(getattr(error, "pgcode", None) or getattr(error, "sqlstate", None) or "")


def database_error(conn_id: str, error: BaseException, doing: str, outcome: str = "") -> AirflowException:
    """Turn a driver's error into the failure policy's: retried only if it may pass.

    :param conn_id: the connection, named in the message.
    :param error: what the driver raised.
    :param doing: what failed, e.g. ``"'INSERT INTO orders'"``.
    :param outcome: what the failure left, e.g. ``"nothing was loaded into orders"``.
    :returns: a :class:`~etl_platform.policy.ConfigurationError` (the connection's settings), a
        :class:`~etl_platform.policy.SourceUnavailableError` (see :func:`is_transient`), or else a
        :class:`~etl_platform.policy.RequestRejectedError`.
    """
    detail = describe_error(error)
    after = f"; {outcome}" if outcome else ""
    fix = config_fault(error)
    if fix is not None:
        return ConfigurationError(f"{conn_id!r} refused {doing} ({detail}){after}: {fix} (not retried)")
    if is_transient(error):
        return SourceUnavailableError(
            f"{doing} on {conn_id!r} could not finish ({detail}){after}; Airflow will retry"
        )
    return RequestRejectedError(f"{conn_id!r} refused {doing} ({detail}){after} (not retried)")


def begin(conn: Any) -> None:
    """Start a transaction explicitly where the driver does not (sqlite3 in autocommit mode).

    :param conn: a connection from :func:`connect`.
    """
    if isinstance(conn, sqlite3.Connection):
        conn.execute("BEGIN")


def plain_name(name: str) -> str:
    """Check that a table or column name is a plain identifier (optionally ``schema.table``).

    :param name: the name.
    :raises ConfigurationError: when it is not, naming it (a :class:`ValueError`, not retried).
    :returns: the name.
    """
    if not all(_IDENTIFIER.fullmatch(part) for part in name.split(".")):
        raise ConfigurationError(
            f"{name!r} is not a plain SQL name (letters, digits, underscores; 'schema.table'): rename it"
        )
    return name


def quote_name(hook: DbApiHook, name: str) -> str:
    """Quote a table or column name for SQL, refusing names that would need escaping.

    Names come from DAG arguments and payload headers; common.sql's dialects escape only reserved
    words, so anything beyond plain identifiers is refused rather than guessed at.

    :param hook: the database's hook, whose ``escape_word_format`` quotes.
    :param name: ``table``, ``schema.table`` or a column name.
    :raises ConfigurationError: when a part of the name is not a plain identifier.
    :returns: the quoted name.
    """
    return ".".join(hook.escape_word_format.format(part) for part in plain_name(name).split("."))
