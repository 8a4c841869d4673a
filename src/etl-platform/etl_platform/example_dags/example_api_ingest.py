"""An API ingest pipeline: fetch paginated orders, archive them, load them, check them, export a snapshot."""

from __future__ import annotations

import datetime
from typing import Any

import requests
from airflow.sdk import DAG, task

from etl_platform.hooks.archive import ArchiveHook
from etl_platform.operators.http import HttpToArchiveOperator
from etl_platform.operators.sql import SqlToArchiveOperator
from etl_platform.quality.completeness import CompletenessCheckOperator
from etl_platform.quality.drift import DriftCheckOperator
from etl_platform.transfers.archive_to_sql import ArchiveToSqlOperator


def next_page(response: requests.Response) -> dict[str, Any] | None:
    """Follow the API's ``next`` page number until it is null."""
    following = response.json().get("next")
    return None if following is None else {"data": {"page": following}}


with DAG(
    dag_id="example_api_ingest",
    schedule="@daily",
    start_date=datetime.datetime(2026, 1, 1),
    catchup=False,
    default_args={"retries": 2, "retry_delay": datetime.timedelta(minutes=5)},
    tags=["example", "etl_platform"],
) as dag:
    # [START ingest_orders]
    ingest_orders = HttpToArchiveOperator(
        task_id="ingest_orders",
        http_conn_id="orders_api",
        endpoint="/orders",
        data={"page": 1, "day": "{{ ds }}"},
        records_key="items",
        pagination_function=next_page,
        source="orders-api",
        dataset="orders",
        name="orders.jsonl",
        on_empty="skip",
    )
    # [END ingest_orders]

    # [START load_orders]
    load_orders = ArchiveToSqlOperator(
        task_id="load_orders",
        archive_paths=ingest_orders.output,
        table="orders",
        conn_id="warehouse",
        mode="replace",
    )
    # [END load_orders]

    # [START check_orders]
    check_complete = CompletenessCheckOperator(
        task_id="check_complete",
        table="orders",
        conn_id="warehouse",
        expected_rows="{{ ti.xcom_pull(task_ids='ingest_orders')['rows'] }}",
        required_columns=["id", "total"],
    )
    check_drift = DriftCheckOperator(
        task_id="check_drift",
        value="{{ ti.xcom_pull(task_ids='load_orders')['rows'] }}",
        dataset="orders",
        metric="rows",
        conn_id="warehouse",
        max_drift_percent=50,
    )
    # [END check_orders]

    # [START export_orders]
    export_orders = SqlToArchiveOperator(
        task_id="export_orders",
        conn_id="warehouse",
        sql="SELECT id, total FROM orders ORDER BY id",
        source="warehouse",
        dataset="orders",
        name="orders.parquet",
        output_format="parquet",
    )
    # [END export_orders]

    # [START read_manifest]
    @task
    def report_archive(exported: dict[str, Any]) -> dict[str, Any]:
        """Read back what the archive recorded for the snapshot."""
        manifest = ArchiveHook().get_conn().read_manifest(exported["path"])
        return {"path": manifest.path, "sha256": manifest.sha256, "rows": manifest.rows}

    # [END read_manifest]

    ingest_orders >> load_orders >> [check_complete, check_drift] >> export_orders
    report_archive(export_orders.output)  # type: ignore[arg-type]  # resolved to the dict at run time
