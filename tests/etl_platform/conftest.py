"""Fixtures of the platform's tests: real servers on 127.0.0.1, an archive folder, SQL databases."""

from __future__ import annotations

import datetime
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from etl_fixtures import PG_BIN, FtpServer, HttpServer, Postgres, connection_env, free_port, outcome_of

# --- HTTP ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def http_server_session() -> Iterator[HttpServer]:
    server = HttpServer()
    yield server
    server.close()


@pytest.fixture
def http_server(http_server_session: HttpServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[HttpServer]:
    """The session's HTTP server, emptied for this test, reachable as the ``http_default`` connection."""
    http_server_session.reset()
    port = http_server_session.server.server_address[1]
    monkeypatch.setenv(
        "AIRFLOW_CONN_HTTP_DEFAULT", connection_env({"conn_type": "http", "host": "127.0.0.1", "port": port})
    )
    yield http_server_session
    http_server_session.release.set()


# --- archive ------------------------------------------------------------------------------------------


@pytest.fixture
def archive_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty archive folder, the root of the ``archive_default`` connection."""
    root = tmp_path / "archive"
    root.mkdir()
    monkeypatch.setenv(
        "AIRFLOW_CONN_ARCHIVE_DEFAULT",
        connection_env({"conn_type": "etl_archive", "extra": {"root": str(root)}}),
    )
    return root


@pytest.fixture
def context() -> dict[str, Any]:
    """The parts of an Airflow task context the operators read."""
    return {
        "logical_date": datetime.datetime(2026, 11, 24, tzinfo=datetime.UTC),
        "run_id": "scheduled_1",
    }


# --- FTP ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def ftp_server_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FtpServer]:
    server = FtpServer(tmp_path_factory.mktemp("ftp"))
    yield server
    server.close()


@pytest.fixture
def ftp_server(ftp_server_session: FtpServer, monkeypatch: pytest.MonkeyPatch) -> FtpServer:
    """The session's FTP server with an empty folder, reachable as the ``ftp_default`` connection."""
    ftp_server_session.reset()
    monkeypatch.setenv(
        "AIRFLOW_CONN_FTP_DEFAULT",
        connection_env(
            {
                "conn_type": "ftp",
                "host": "127.0.0.1",
                "port": ftp_server_session.port,
                "login": "etl",
                "password": "secret",
            }
        ),
    )
    return ftp_server_session


# --- SQL ----------------------------------------------------------------------------------------------


@pytest.fixture
def sqlite_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty SQLite database, the ``sqlite_default`` connection."""
    path = tmp_path / "warehouse.db"
    monkeypatch.setenv(
        "AIRFLOW_CONN_SQLITE_DEFAULT", connection_env({"conn_type": "sqlite", "host": str(path)})
    )
    return path


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A throwaway PostgreSQL 15 cluster started from Debian's binaries as the ``postgres`` user.

    ``postgres`` logs in without a password; other roles need theirs (see :func:`pg_reader`).
    """
    folder = Path(tempfile.mkdtemp(prefix="etl-pg-"))
    shutil.chown(folder, "postgres", "postgres")
    port = free_port()
    as_postgres = ["runuser", "-u", "postgres", "--"]
    data = folder / "data"
    subprocess.run(
        [*as_postgres, str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
    )
    # The tests' own user is trusted; every other role must log in with its password (scram-sha-256), and
    # the role "refused" has no way in at all, so that a refused login can be tested (SQLSTATE 28P01, 28000).
    (data / "pg_hba.conf").write_text(
        "local all all trust\n"
        "host all postgres 127.0.0.1/32 trust\n"
        "host all refused 127.0.0.1/32 reject\n"
        "host all all 127.0.0.1/32 scram-sha-256\n"
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [
            *as_postgres,
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-w",
            "-l",
            str(folder / "log"),
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield Postgres(port=port, folder=folder)
    finally:
        subprocess.run(
            [*as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"], capture_output=True
        )
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_reader(postgres: Postgres) -> dict[str, Any]:
    """A role that must log in with its password, ``reader`` / ``right``: its connection without a conn id."""
    postgres.psql("DROP ROLE IF EXISTS reader; CREATE ROLE reader LOGIN PASSWORD 'right'")
    return {**postgres.conn(), "login": "reader", "password": "right"}


# --- outcomes -----------------------------------------------------------------------------------------


@pytest.fixture
def outcome() -> Any:
    return outcome_of
