import json
import sqlite3
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from etl_fixtures import Postgres, archived_files, free_port

from etl_platform.operators.sql import SqlToArchiveOperator

RUN_FOLDER = "warehouse/orders/2026/11/24/scheduled_1"


def make_op(**overrides: Any) -> SqlToArchiveOperator:
    arguments: dict[str, Any] = {
        "task_id": "export_orders",
        "sql": "SELECT id, total FROM orders ORDER BY id",
        "conn_id": "sqlite_default",
        "source": "warehouse",
        "dataset": "orders",
        "name": "orders.csv",
        "batch_size": 2,
        **overrides,
    }
    return SqlToArchiveOperator(**arguments)


@pytest.fixture
def orders_db(sqlite_db: Path) -> Path:
    with sqlite3.connect(sqlite_db) as db:
        db.execute("CREATE TABLE orders (id INTEGER, total REAL)")
        db.executemany("INSERT INTO orders VALUES (?, ?)", [(1, 9.5), (2, 3.0), (3, 4.25)])
        db.execute("CREATE TABLE cancelled (id INTEGER)")
    return sqlite_db


ALL = ("fail", "skip", "succeed")
FAULTS = {
    "rows": "SELECT id, total FROM orders ORDER BY id",
    "no rows": "SELECT id FROM cancelled",
    "bad query": "SELECT id FROM no_such_table",
}
EXPECTED: dict[str, dict[str, tuple[str, bytes | None]]] = {
    "rows": {p: ("success", b"id,total\n1,9.5\n2,3.0\n3,4.25\n") for p in ALL},
    "no rows": {
        "fail": ("failed-not-retried", None),
        "skip": ("skipped", None),
        "succeed": ("success", b"id\n"),
    },
    "bad query": {p: ("failed-not-retried", None) for p in ALL},
}


@pytest.mark.parametrize("on_empty", ALL)
@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_matrix(
    fault: str, on_empty: str, orders_db: Path, archive_root: Path, context: dict, outcome: Any
) -> None:
    assert outcome(make_op(sql=FAULTS[fault], on_empty=on_empty), context) == EXPECTED[fault][on_empty][0]
    payload = EXPECTED[fault][on_empty][1]
    if payload is None:
        assert archived_files(archive_root) == []
    else:
        assert (archive_root / RUN_FOLDER / "orders.csv").read_bytes() == payload


@pytest.mark.parametrize("on_empty", ALL)
def test_unreachable_database_is_retried(
    on_empty: str, archive_root: Path, context: dict, outcome: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_GONE",
        json.dumps({"conn_type": "postgres", "host": "127.0.0.1", "port": free_port(), "login": "x"}),
    )
    assert outcome(make_op(conn_id="gone", on_empty=on_empty), context) == "failed-retried"
    assert archived_files(archive_root) == []


def test_parquet_keeps_types_and_batches(orders_db: Path, archive_root: Path, context: dict) -> None:
    metrics = make_op(output_format="parquet", name="orders.parquet").execute(context)
    path = archive_root / RUN_FOLDER / "orders.parquet"
    table = pq.read_table(path)
    assert table.to_pylist() == [{"id": 1, "total": 9.5}, {"id": 2, "total": 3.0}, {"id": 3, "total": 4.25}]
    assert str(table.schema.field("id").type) == "int64"
    assert pq.ParquetFile(path).num_row_groups == 2  # batch_size=2: rows are streamed, not collected
    assert metrics["rows"] == 3 and metrics["bytes"] == path.stat().st_size


def test_parquet_batch_with_other_types_is_a_data_error(
    sqlite_db: Path, archive_root: Path, context: dict
) -> None:
    with sqlite3.connect(sqlite_db) as db:
        db.execute("CREATE TABLE mixed (v)")
        db.executemany("INSERT INTO mixed VALUES (?)", [(1,), (2,), ("three",)])
    op = make_op(sql="SELECT v FROM mixed ORDER BY rowid", output_format="parquet", name="m.parquet")
    with pytest.raises(Exception, match="rows 3-3 do not fit the types of the first batch"):
        op.execute(context)
    assert archived_files(archive_root) == []


@pytest.mark.postgres
def test_postgres_query_to_csv(
    postgres: Postgres, archive_root: Path, context: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    postgres.psql(
        "DROP TABLE IF EXISTS pg_orders; CREATE TABLE pg_orders (id int, city text); "
        "INSERT INTO pg_orders VALUES (1, 'Lyon'), (2, 'Köln, DE')"
    )
    monkeypatch.setenv("AIRFLOW_CONN_PG", json.dumps(postgres.conn()))
    metrics = make_op(
        conn_id="pg",
        sql="SELECT id, city FROM pg_orders WHERE id >= %(low)s ORDER BY id",
        parameters={"low": 1},
    ).execute(context)
    assert (archive_root / RUN_FOLDER / "orders.csv").read_text() == 'id,city\n1,Lyon\n2,"Köln, DE"\n'
    assert metrics["rows"] == 2 and metrics["source_url"] == "postgres://pg"
