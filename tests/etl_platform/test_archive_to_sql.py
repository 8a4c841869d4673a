import datetime
import json
import sqlite3
from pathlib import Path
from typing import Any

import psycopg2
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from etl_fixtures import Postgres

from etl_platform.archive import Archive, ArchiveKey
from etl_platform.formats import CONTENT_TYPES
from etl_platform.policy import ConfigurationError, DataError, SourceUnavailableError
from etl_platform.transfers.archive_to_sql import ArchiveToSqlOperator


def archive_payload(root: Path, name: str, data: bytes, kind: str) -> str:
    key = ArchiveKey(source="s", dataset="d", day=datetime.date(2026, 11, 24), run_id="r", name=name)
    with Archive(str(root)).stage(key) as staged:
        staged.write(data)
        staged.commit(source_url="test", content_type=CONTENT_TYPES[kind])
    return key.path


def rows(db: Path, sql: str = "SELECT * FROM orders ORDER BY 1") -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def make_op(paths: Any, **overrides: Any) -> ArchiveToSqlOperator:
    arguments: dict[str, Any] = {"task_id": "load", "table": "orders", "batch_size": 2, **overrides}
    return ArchiveToSqlOperator(archive_paths=paths, **arguments)


CSV = b"id,total\n1,9.5\n2,3.0\n3,4.25\n"


def test_csv_loads_into_a_new_table(sqlite_db: Path, archive_root: Path, context: dict) -> None:
    path = archive_payload(archive_root, "orders.csv", CSV, "csv")
    result = make_op({"path": path, "rows": 3}).execute(context)
    assert rows(sqlite_db) == [("1", "9.5"), ("2", "3.0"), ("3", "4.25")]
    assert result["rows"] == 3 and result["paths"] == [path]


def test_jsonl_and_parquet_load_in_one_go(sqlite_db: Path, archive_root: Path, context: dict) -> None:
    jsonl = archive_payload(archive_root, "a.jsonl", b'{"id": 1, "tags": ["x"]}\n{"id": 2}\n', "jsonl")
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table({"id": [3], "tags": [None]}), sink)
    parquet = archive_payload(archive_root, "b.parquet", sink.getvalue().to_pybytes(), "parquet")
    make_op([jsonl, parquet]).execute(context)
    # The table was created from the JSON Lines payload: text columns, which SQLite casts the numbers to.
    assert rows(sqlite_db) == [("1", '["x"]'), ("2", None), ("3", None)]


def test_replace_empties_the_table_in_the_same_transaction(
    sqlite_db: Path, archive_root: Path, context: dict
) -> None:
    path = archive_payload(archive_root, "orders.csv", CSV, "csv")
    make_op(path).execute(context)
    make_op(path, mode="replace").execute(context)
    assert len(rows(sqlite_db)) == 3
    make_op(path).execute(context)
    assert len(rows(sqlite_db)) == 6


def test_damaged_payload_leaves_the_table_as_it_was(
    sqlite_db: Path, archive_root: Path, context: dict
) -> None:
    good = archive_payload(archive_root, "good.csv", CSV, "csv")
    make_op(good).execute(context)
    damaged = archive_payload(archive_root, "damaged.csv", b"id,total\n7,1\n8,2\n9,3\n", "csv")
    (archive_root / damaged).write_bytes(b"id,total\n7,1\n8,2\n9,4\n")  # same size, other bytes
    with pytest.raises(Exception, match=r"sha256.*its manifest says"):
        make_op([good, damaged], mode="replace").execute(context)
    assert rows(sqlite_db) == [("1", "9.5"), ("2", "3.0"), ("3", "4.25")]


def test_failed_load_into_a_new_table_leaves_no_table(
    sqlite_db: Path, archive_root: Path, context: dict
) -> None:
    bad = archive_payload(archive_root, "bad.csv", b"id,total\n1,2\n3,4\n5,6,7\n", "csv")
    with pytest.raises(Exception, match="line 4: 3 fields"):
        make_op(bad).execute(context)
    assert rows(sqlite_db, "SELECT name FROM sqlite_master WHERE name = 'orders'") == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"archive_paths": "s/d/2026/11/24/r/missing.csv"}, r"nothing is archived at .*missing\.csv"),
        ({"archive_paths": [{"rows": 1}]}, "give archive paths, or the ingest task's output"),
        ({"table": "orders; DROP TABLE x"}, "is not a plain SQL name"),
    ],
)
def test_bad_arguments_say_what_to_fix(
    arguments: dict, message: str, sqlite_db: Path, archive_root: Path, context: dict
) -> None:
    op = ArchiveToSqlOperator(task_id="load", **{"archive_paths": "x", "table": "orders", **arguments})
    with pytest.raises(Exception, match=message):
        op.execute(context)


@pytest.mark.postgres
def test_postgres_load_is_one_transaction(
    postgres: Postgres, archive_root: Path, context: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_PG", json.dumps(postgres.conn()))
    postgres.psql("DROP TABLE IF EXISTS public.orders")
    good = archive_payload(archive_root, "good.csv", CSV, "csv")
    make_op(good, conn_id="pg", table="public.orders").execute(context)
    assert postgres.psql("SELECT id, total FROM public.orders ORDER BY id") == "1|9.5\n2|3.0\n3|4.25\n"

    other = archive_payload(archive_root, "other.csv", b"id,missing_column\n4,x\n", "csv")
    with pytest.raises(Exception, match=r"(?s)refused 'INSERT INTO.*nothing was loaded"):
        make_op([good, other], conn_id="pg", table="public.orders", mode="replace").execute(context)
    assert postgres.psql("SELECT count(*) FROM public.orders") == "3\n"


@pytest.mark.postgres
def test_a_table_locked_by_another_session_is_retried_and_left_as_it_was(
    postgres: Postgres, archive_root: Path, context: dict, outcome: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # lock_timeout makes the server give up waiting at once (SQLSTATE 55P03) instead of blocking the test.
    conn = {**postgres.conn(), "extra": {"options": "-c lock_timeout=50"}}
    monkeypatch.setenv("AIRFLOW_CONN_PG", json.dumps(conn))
    postgres.psql("DROP TABLE IF EXISTS locked_orders; CREATE TABLE locked_orders (id text, total text)")
    path = archive_payload(archive_root, "o.csv", CSV, "csv")
    holder = psycopg2.connect(host="127.0.0.1", port=postgres.port, user="postgres", dbname="postgres")
    try:
        holder.cursor().execute("LOCK TABLE locked_orders IN ACCESS EXCLUSIVE MODE")
        op = make_op(path, conn_id="pg", table="locked_orders")
        assert outcome(op, context) == "failed-retried"  # before: failed, not retried, as a broken statement
        with pytest.raises(
            SourceUnavailableError, match=r"lock timeout.*nothing was loaded into locked_orders"
        ):
            op.execute(context)
    finally:
        holder.close()
    assert postgres.psql("SELECT count(*) FROM locked_orders") == "0\n"


@pytest.mark.postgres
def test_a_wrong_password_is_not_retried(
    pg_reader: dict[str, Any],
    postgres: Postgres,
    archive_root: Path,
    context: dict,
    outcome: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_PG", json.dumps({**pg_reader, "password": "wrong"}))
    postgres.psql("DROP TABLE IF EXISTS reader_orders")
    op = make_op(archive_payload(archive_root, "o.csv", CSV, "csv"), conn_id="pg", table="reader_orders")
    assert outcome(op, context) == "failed-not-retried"
    with pytest.raises(ConfigurationError, match=r"cannot connect to 'pg' .*check the connection's login"):
        op.execute(context)
    assert postgres.psql("SELECT to_regclass('reader_orders') IS NULL") == "t\n"


def test_a_column_that_is_not_a_plain_name_is_a_data_error(
    sqlite_db: Path, archive_root: Path, context: dict, outcome: Any
) -> None:
    path = archive_payload(archive_root, "o.csv", b'id,"total; DROP TABLE x"\n1,9.5\n', "csv")
    op = make_op(path)
    assert outcome(op, context) == "failed-not-retried"  # before: a ValueError, retried
    with pytest.raises(DataError, match=r"s/d/2026/11/24/r/o\.csv has a column named 'total; DROP TABLE x'"):
        op.execute(context)
    assert not sqlite_db.exists() or rows(sqlite_db, "SELECT name FROM sqlite_master") == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"table": "orders; DROP TABLE x"}, "is not a plain SQL name"),
        ({"archive_paths": [{"rows": 1}]}, "give archive paths, or the ingest task's output"),
    ],
    ids=["rendered table", "rendered paths"],
)
def test_templated_arguments_that_cannot_work_fail_without_retry(
    arguments: dict, message: str, sqlite_db: Path, archive_root: Path, context: dict, outcome: Any
) -> None:
    op = ArchiveToSqlOperator(task_id="load", **{"archive_paths": "x", "table": "orders", **arguments})
    assert outcome(op, context) == "failed-not-retried"  # before: a ValueError, retried
    with pytest.raises(ConfigurationError, match=message):
        op.execute(context)


def test_batch_size_below_one_is_refused_when_the_dag_is_parsed() -> None:
    # batch_size=0 read no batch at all: the task loaded nothing and succeeded.
    with pytest.raises(ValueError, match="batch_size=0 must be at least 1 row"):
        make_op("x", batch_size=0)
