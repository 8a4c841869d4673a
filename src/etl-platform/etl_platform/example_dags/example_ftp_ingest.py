"""An FTP ingest pipeline: wait for a partner's files, archive the finished ones, load, check, move them."""

from __future__ import annotations

import contextlib
import datetime
import ftplib
import posixpath
from typing import Any

from airflow.sdk import DAG, task

from etl_platform.hooks.ftp import FtpArchiveHook
from etl_platform.operators.ftp import FtpToArchiveOperator
from etl_platform.quality.completeness import CompletenessCheckOperator
from etl_platform.sensors.ftp import FtpStableFileSensor
from etl_platform.transfers.archive_to_sql import ArchiveToSqlOperator

with DAG(
    dag_id="example_ftp_ingest",
    schedule="@hourly",
    start_date=datetime.datetime(2026, 1, 1),
    catchup=False,
    default_args={"retries": 3, "retry_delay": datetime.timedelta(minutes=2)},
    tags=["example", "etl_platform"],
) as dag:
    # [START wait_for_shipments]
    wait_for_shipments = FtpStableFileSensor(
        task_id="wait_for_shipments",
        ftp_conn_id="partner_ftp",
        directory="/outbox",
        pattern="shipments_*.csv",
        poke_interval=60,
        timeout=3600,
    )
    # [END wait_for_shipments]

    # [START ingest_shipments]
    ingest_shipments = FtpToArchiveOperator(
        task_id="ingest_shipments",
        ftp_conn_id="partner_ftp",
        directory="/outbox",
        pattern="shipments_*.csv",
        source="partner-ftp",
        dataset="shipments",
        on_empty="fail",
    )
    # [END ingest_shipments]

    # [START load_shipments]
    load_shipments = ArchiveToSqlOperator(
        task_id="load_shipments",
        archive_paths=ingest_shipments.output,
        table="shipments",
        conn_id="warehouse",
    )
    check_shipments = CompletenessCheckOperator(
        task_id="check_shipments",
        table="shipments",
        conn_id="warehouse",
        min_rows=1,
        required_columns=["id"],
    )
    # [END load_shipments]

    # [START move_taken_files]
    @task
    def move_taken_files(archived: list[dict[str, Any]]) -> list[str]:
        """Move the archived files to /done on the partner's server so they are not taken twice."""
        moved = []
        with FtpArchiveHook(ftp_conn_id="partner_ftp") as hook:
            with contextlib.suppress(ftplib.error_perm):  # it exists already
                hook.create_directory("/done")
            for entry in archived:
                name = posixpath.basename(entry["path"])
                hook.rename(f"/outbox/{name}", f"/done/{name}")
                moved.append(name)
        return moved

    # [END move_taken_files]

    wait_for_shipments >> ingest_shipments >> load_shipments >> check_shipments
    check_shipments >> move_taken_files(ingest_shipments.output)  # type: ignore[arg-type]  # resolved at run time
