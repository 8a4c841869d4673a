import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException
from etl_fixtures import Postgres

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
    with pytest.raises(ValueError, match="row count 'None' is not a whole number"):
        completeness(expected_rows="None").execute(context)


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
