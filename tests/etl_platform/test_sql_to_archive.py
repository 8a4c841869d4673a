import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from etl_fixtures import Postgres, archived_files, free_port

from etl_platform.operators.sql import SqlToArchiveOperator
from etl_platform.policy import ConfigurationError, RequestRejectedError, SourceUnavailableError

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
#: Counting to a billion takes SQLite minutes: only the query timeout ends it in a test.
ENDLESS_COUNT = (
    "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 1000000000) "
    "SELECT count(*) FROM n"
)
#: Twenty million rows, fetched two at a time: the first come at once, the rest take far beyond the timeout.
ENDLESS_ROWS = (
    "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 20000000) SELECT x FROM n"
)
FAULTS: dict[str, dict[str, Any]] = {
    "rows": {"sql": "SELECT id, total FROM orders ORDER BY id"},
    "rows within query_timeout": {"sql": "SELECT id, total FROM orders ORDER BY id", "query_timeout": 30},
    "no rows": {"sql": "SELECT id FROM cancelled"},
    "missing table": {"sql": "SELECT id FROM no_such_table"},
    "missing column": {"sql": "SELECT no_such_column FROM orders"},
    "syntax error": {"sql": "SELEC id FROM orders"},
    "runs past query_timeout": {"sql": ENDLESS_COUNT, "query_timeout": 0.2},
    "rows keep coming past query_timeout": {"sql": ENDLESS_ROWS, "query_timeout": 0.2},
}
ROWS = b"id,total\n1,9.5\n2,3.0\n3,4.25\n"
EXPECTED: dict[str, dict[str, tuple[str, bytes | None]]] = {
    "rows": {p: ("success", ROWS) for p in ALL},
    "rows within query_timeout": {p: ("success", ROWS) for p in ALL},
    "no rows": {
        "fail": ("failed-not-retried", None),
        "skip": ("skipped", None),
        "succeed": ("success", b"id\n"),
    },
    "missing table": {p: ("failed-not-retried", None) for p in ALL},
    "missing column": {p: ("failed-not-retried", None) for p in ALL},
    "syntax error": {p: ("failed-not-retried", None) for p in ALL},
    "runs past query_timeout": {p: ("failed-retried", None) for p in ALL},
    "rows keep coming past query_timeout": {p: ("failed-retried", None) for p in ALL},
}


@pytest.mark.parametrize("on_empty", ALL)
@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_matrix(
    fault: str, on_empty: str, orders_db: Path, archive_root: Path, context: dict, outcome: Any
) -> None:
    assert outcome(make_op(**FAULTS[fault], on_empty=on_empty), context) == EXPECTED[fault][on_empty][0]
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


@pytest.mark.parametrize(
    ("sql", "timeout", "error", "message"),
    [
        (
            "SELECT id FROM no_such_table",
            None,
            RequestRejectedError,
            r"the query on 'sqlite_default' failed \(OperationalError: no such table: no_such_table\); "
            r"fix the query \(not retried\)\. The query: SELECT id FROM no_such_table",
        ),
        (
            ENDLESS_COUNT,
            0.2,
            SourceUnavailableError,
            r"the query on 'sqlite_default' could not finish \(OperationalError: interrupted\); "
            r"Airflow will retry; if it needs more than query_timeout=0\.2 s, raise query_timeout or make "
            r"the query cheaper\. The query: WITH RECURSIVE",
        ),
    ],
    ids=["broken query", "timeout"],
)
def test_query_errors_name_the_connection_the_query_and_the_fix(
    sql: str,
    timeout: float | None,
    error: type,
    message: str,
    orders_db: Path,
    archive_root: Path,
    context: dict,
) -> None:
    with pytest.raises(error, match=message):
        make_op(sql=sql, query_timeout=timeout).execute(context)


def test_a_long_query_is_quoted_shortened() -> None:
    op = make_op(sql="SELECT " + ", ".join(f"c{n}" for n in range(100)) + " FROM t")
    message = str(op._query_error(sqlite3.OperationalError("no such column: c0")))
    assert "The query: SELECT c0, c1, c2" in message and message.endswith("…") and "FROM t" not in message


@pytest.mark.parametrize("timeout", [0, -1.5])
def test_query_timeout_must_be_positive(timeout: float) -> None:
    with pytest.raises(ValueError, match=rf"query_timeout={timeout} must be a number of seconds above 0"):
        make_op(query_timeout=timeout)


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("sql", "expected", "message"),
    [
        ("SELECT id FROM pg_orders ORDER BY id", "success", None),
        ("SELECT pg_sleep(30)", "failed-retried", "canceling statement due to statement timeout"),
        ("SELECT id FROM no_such_table", "failed-not-retried", 'relation "no_such_table" does not exist'),
        ("SELEC id FROM pg_orders", "failed-not-retried", 'syntax error at or near "SELEC"'),
        ("SELECT 1 / (id - id) FROM pg_orders", "failed-not-retried", "division by zero"),
        ("SELECT pg_terminate_backend(pg_backend_pid())", "failed-retried", "terminating connection"),
        # Each fetch of two rows takes 0.1 s, the whole result 2 s: the limit holds across fetches.
        (
            "SELECT g AS id, pg_sleep(0.05)::text AS slept FROM generate_series(1, 40) g",
            "failed-retried",
            "canceling statement due to statement timeout",
        ),
    ],
    ids=[
        "within the timeout",
        "past the timeout",
        "missing table",
        "syntax error",
        "data error",
        "lost",
        "rows keep coming past the timeout",
    ],
)
def test_postgres_faults(
    sql: str,
    expected: str,
    message: str | None,
    postgres: Postgres,
    archive_root: Path,
    context: dict,
    outcome: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    postgres.psql(
        "DROP TABLE IF EXISTS pg_orders; CREATE TABLE pg_orders (id int); "
        "INSERT INTO pg_orders VALUES (1), (2)"
    )
    monkeypatch.setenv("AIRFLOW_CONN_PG", json.dumps(postgres.conn()))
    op = make_op(conn_id="pg", sql=sql, query_timeout=0.5)
    assert outcome(op, context) == expected
    if message is None:
        assert (archive_root / RUN_FOLDER / "orders.csv").read_bytes() == b"id\n1\n2\n"
    else:
        assert archived_files(archive_root) == []
        with pytest.raises(Exception, match=rf"the query on 'pg' .*{message}.*The query: {re.escape(sql)}"):
            op.execute(context)


def fetches_logged(postgres: Postgres, marker: str) -> list[str]:
    """The statements the server logged for the cursor whose query holds ``marker``, in order."""
    log = (postgres.folder / "log").read_text()
    # A statement sent with the simple protocol, or with the extended one (psycopg 3's cursor).
    statements = re.findall(r"LOG:  (?:statement|execute [^:]*): (.*)", log)
    declare = next(s for s in statements if marker in s and s.startswith("DECLARE"))
    cursor = re.match(r'DECLARE "?(\w+)"?', declare)
    assert cursor is not None
    return [s for s in statements if cursor.group(1) in s]


@pytest.mark.postgres
def test_postgres_rows_are_streamed_batch_by_batch_through_a_server_side_cursor(
    postgres: Postgres, archive_root: Path, context: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server logs what the task asks of it (log_statement=all, this session only): a cursor declared
    # on the server and fetched batch_size rows at a time, never the whole result at once.
    conn = {**postgres.conn(), "extra": {"options": "-c log_statement=all"}}
    monkeypatch.setenv("AIRFLOW_CONN_PG", json.dumps(conn))
    marker = "streamed_5_rows"
    sql = f"SELECT g AS id FROM generate_series(1, 5) g /* {marker} */"
    metrics = make_op(conn_id="pg", sql=sql, batch_size=2).execute(context)

    statements = fetches_logged(postgres, marker)
    assert statements[0].startswith("DECLARE") and statements[0].endswith(sql)
    # Two, two, one, then the empty fetch that ends the result.
    assert [re.sub(r'FROM "?\w+"?', "FROM cursor", s) for s in statements[1:]] == [
        "FETCH FORWARD 2 FROM cursor"
    ] * 4
    assert (archive_root / RUN_FOLDER / "orders.csv").read_bytes() == b"id\n1\n2\n3\n4\n5\n"
    assert metrics["rows"] == 5


@pytest.mark.postgres
def test_postgres_empty_result_keeps_its_header(
    postgres: Postgres, archive_root: Path, context: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A server-side cursor describes its columns only once fetched from (psycopg2): the header must come.
    monkeypatch.setenv("AIRFLOW_CONN_PG", json.dumps(postgres.conn()))
    sql = "SELECT 1 AS id, 'x' AS city WHERE false"
    make_op(conn_id="pg", sql=sql, on_empty="succeed").execute(context)
    assert archived_files(archive_root) == [
        f"{RUN_FOLDER}/orders.csv",
        f"{RUN_FOLDER}/orders.csv.manifest.json",
    ]
    assert (archive_root / RUN_FOLDER / "orders.csv").read_bytes() == b"id,city\n"


@pytest.mark.postgres
@pytest.mark.parametrize("on_empty", ALL)
def test_a_wrong_password_is_not_retried_and_names_the_connection(
    on_empty: str,
    pg_reader: dict[str, Any],
    archive_root: Path,
    context: dict,
    outcome: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_PG", json.dumps({**pg_reader, "password": "wrong"}))
    op = make_op(conn_id="pg", sql="SELECT 1 AS id", on_empty=on_empty)
    assert outcome(op, context) == "failed-not-retried"  # before: retried, as if the server were down
    assert archived_files(archive_root) == []
    with pytest.raises(
        ConfigurationError,
        match=r"cannot connect to 'pg' \(OperationalError: .*password authentication failed for user "
        r"\"reader\"\): check the connection's login and password \(not retried\)",
    ):
        op.execute(context)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            {"name": "../orders.csv"},
            r"archive key name='\.\./orders\.csv' must be one non-empty path segment",
        ),
        ({"query_timeout": 5}, r"query_timeout is not supported on 'otherdb' connections \('other'\)"),
        ({"archive_conn_id": "bare"}, r"connection 'bare' has no 'root' in its extra field"),
        ({"conn_id": "web"}, r"connection 'web' has type 'http'.*use a database connection"),
    ],
    ids=["rendered name", "query_timeout on another database", "archive without root", "not a database"],
)
def test_settings_known_only_when_the_task_runs_fail_without_retry(
    arguments: dict[str, Any],
    message: str,
    orders_db: Path,
    archive_root: Path,
    context: dict,
    outcome: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from airflow.providers.common.sql.hooks.sql import DbApiHook

    # No other database's provider is installed here: a common.sql hook of a type we cannot time out.
    class OtherDatabaseHook(DbApiHook):
        conn_name_attr = "other_conn_id"
        default_conn_name = "other"
        conn_type = "otherdb"

    if "query_timeout" in arguments:
        arguments = {**arguments, "conn_id": "other"}
        monkeypatch.setattr("etl_platform.operators.sql.get_db_hook", lambda conn_id: OtherDatabaseHook())
    monkeypatch.setenv("AIRFLOW_CONN_BARE", json.dumps({"conn_type": "etl_archive"}))
    monkeypatch.setenv("AIRFLOW_CONN_WEB", json.dumps({"conn_type": "http", "host": "127.0.0.1"}))
    op = make_op(**arguments)
    assert outcome(op, context) == "failed-not-retried"  # before: a ValueError, retried
    with pytest.raises(ConfigurationError, match=message):
        op.execute(context)
    assert archived_files(archive_root) == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"batch_size": 0}, "batch_size=0 must be at least 1 row"),
        ({"source": "ware/house"}, "archive key source='ware/house' must be one non-empty path segment"),
        ({"dataset": ".orders"}, "archive key dataset='.orders' must be one non-empty path segment"),
    ],
)
def test_bad_arguments_are_refused_when_the_dag_is_parsed(arguments: dict[str, Any], message: str) -> None:
    # batch_size=0 fetched nothing and reported an empty source; a bad source failed every run.
    with pytest.raises(ValueError, match=re.escape(message)):
        make_op(**arguments)
