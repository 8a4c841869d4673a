import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException
from etl_fixtures import Postgres

from etl_platform.policy import ConfigurationError, RequestRejectedError
from etl_platform.quality.completeness import CompletenessCheckOperator
from etl_platform.quality.drift import DriftCheckOperator


@pytest.fixture
def orders_db(sqlite_db: Path) -> Path:
    with sqlite3.connect(sqlite_db) as db:
        db.execute("CREATE TABLE orders (id INTEGER, customer TEXT)")
        db.executemany("INSERT INTO orders VALUES (?, ?)", [(1, "a"), (2, None), (3, "c")])
    return sqlite_db


def completeness(**arguments: Any) -> CompletenessCheckOperator:
    return CompletenessCheckOperator(
        task_id="complete", table="orders", conn_id="sqlite_default", **arguments
    )


@pytest.mark.parametrize(
    ("arguments", "failed"),
    [
        ({"expected_rows": "3", "min_rows": 1, "required_columns": ["id"]}, []),
        ({"expected_rows": 4}, ["row_count_matches_source"]),
        ({"min_rows": 5}, ["row_count_at_least_minimum"]),
        ({"required_columns": ["id", "customer"]}, ["no_nulls_in_customer"]),
        ({"expected_rows": 3, "partition_clause": "id > 1"}, ["row_count_matches_source"]),
    ],
)
def test_completeness(arguments: dict, failed: list[str], orders_db: Path, context: dict) -> None:
    op = completeness(**arguments)
    if not failed:
        op.execute(context)
        return
    with pytest.raises(AirflowFailException) as error:  # not retried: the data will not change
        op.execute(context)
    for check in failed:
        assert f"Check: {check}" in str(error.value)
    passed = set(op.checks) - set(failed)
    assert all(f"Check: {check}," not in str(error.value) for check in passed)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [({}, "there is nothing to check"), ({"required_columns": ["a; DROP"]}, "is not a plain SQL name")],
)
def test_completeness_refuses_bad_arguments(arguments: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        completeness(**arguments)


def test_rendered_count_that_is_not_a_number_is_refused(orders_db: Path, context: dict) -> None:
    # Not retried (before: a ValueError, retried): the template or XCom it comes from must be fixed.
    with pytest.raises(AirflowFailException, match="row count 'None' is not a whole number"):
        completeness(expected_rows="None").execute(context)


def test_completeness_on_a_missing_table_fails_without_retry(
    orders_db: Path, context: dict, outcome: Any
) -> None:
    op = CompletenessCheckOperator(task_id="c", table="no_such_table", conn_id="sqlite_default", min_rows=1)
    assert outcome(op, context) == "failed-not-retried"  # before: the driver's error, retried
    with pytest.raises(
        RequestRejectedError,
        match=r"'sqlite_default' refused the checks of no_such_table \(OperationalError: no such table",
    ):
        op.execute(context)


@pytest.mark.postgres
def test_completeness_with_a_wrong_password_fails_without_retry(
    pg_reader: dict[str, Any], context: dict, outcome: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_PG", json.dumps({**pg_reader, "password": "wrong"}))
    op = CompletenessCheckOperator(task_id="c", table="orders", conn_id="pg", min_rows=1)
    assert outcome(op, context) == "failed-not-retried"  # before: retried, as if the server were down
    with pytest.raises(ConfigurationError, match=r"'pg' refused the checks of orders .*login and password"):
        op.execute(context)


def drift(value: Any, run_id: str, conn_id: str = "sqlite_default", **arguments: Any) -> dict[str, Any]:
    op = DriftCheckOperator(
        task_id="drift", value=value, dataset="orders", metric="rows", conn_id=conn_id, **arguments
    )
    return op.execute({"run_id": run_id})


def test_drift_passes_until_enough_history_then_compares_with_the_average(sqlite_db: Path) -> None:
    for number, value in enumerate([100, 110, 90]):
        assert drift(value, f"run_{number}", min_history=3)["passed"]
    assert drift("115", "run_3", min_history=3)["drift_percent"] == pytest.approx(15.0)
    with pytest.raises(AirflowFailException, match=r"rows of orders is 200, .*% from .*the limit is 20%"):
        drift(200, "run_4", min_history=3)
    # The rejected value does not move the average; the next normal value passes.
    assert drift(104, "run_5", min_history=3, window=3)["history"] == [115.0, 90.0, 110.0]
    with sqlite3.connect(sqlite_db) as db:
        recorded = db.execute(
            "SELECT run_id, value, passed FROM etl_quality_history ORDER BY recorded_at"
        ).fetchall()
    assert recorded[-2:] == [("run_4", 200.0, 0), ("run_5", 104.0, 1)]


def test_rerun_replaces_its_own_record(sqlite_db: Path) -> None:
    drift(100, "run_1")
    drift(100, "run_1")
    result = drift(100, "run_2")
    assert result["history"] == [100.0]


def test_a_history_table_that_cannot_hold_the_history_fails_without_retry(
    orders_db: Path, outcome: Any
) -> None:
    # "orders" exists with other columns: the check's SELECT fails. Before: the driver's error, retried.
    before = rows_of(orders_db)
    op = DriftCheckOperator(
        task_id="drift", value=1, dataset="d", metric="m", conn_id="sqlite_default", history_table="orders"
    )
    assert outcome(op, {"run_id": "run_1"}) == "failed-not-retried"
    with pytest.raises(
        RequestRejectedError,
        match=r"'sqlite_default' refused the history table orders \(OperationalError: no such column: "
        r"value\); nothing was recorded \(not retried\)",
    ):
        op.execute({"run_id": "run_1"})
    assert rows_of(orders_db) == before


def rows_of(db: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT * FROM orders ORDER BY id").fetchall()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"window": 0}, "window must be at least 1"),
        ({"window": 2, "min_history": 3}, "min_history between 0 and window"),
        ({"max_drift_percent": -1}, "max_drift_percent 0 or more"),
        ({"history_table": "history; DROP TABLE x"}, "is not a plain SQL name"),
    ],
)
def test_drift_refuses_bad_arguments_when_the_dag_is_parsed(arguments: dict, message: str) -> None:
    # window=0 read no history and passed every value; min_history above window never failed.
    with pytest.raises(ValueError, match=message):
        DriftCheckOperator(task_id="d", value=1, dataset="d", metric="m", conn_id="c", **arguments)


def test_drift_value_that_is_not_a_number_fails(sqlite_db: Path) -> None:
    with pytest.raises(AirflowFailException, match="rows of orders is '', not a number"):
        drift("", "run_1")


@pytest.mark.postgres
def test_drift_history_in_postgres(postgres: Postgres, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_PG", json.dumps(postgres.conn()))
    postgres.psql("DROP TABLE IF EXISTS quality_history")
    for number in range(3):
        drift(50, f"run_{number}", conn_id="pg", history_table="quality_history")
    with pytest.raises(AirflowFailException):
        drift(10, "run_3", conn_id="pg", history_table="quality_history")
    assert postgres.psql("SELECT count(*), sum(passed) FROM quality_history") == "4|3\n"
