"""Reaching a database through common.sql's hooks, with the failure policy's errors and safe names."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from airflow.providers.common.sql.hooks.sql import DbApiHook
from airflow.sdk import BaseHook

from etl_platform.policy import SourceUnavailableError

#: A table or column name we put into SQL: letters, digits and underscores, optionally schema-qualified.
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


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
