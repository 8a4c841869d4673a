"""A file-drop ingest: archive the CSV file a partner leaves in a shared folder each day, then load it."""

from __future__ import annotations

import datetime

from airflow.sdk import DAG, Param

from etl_platform.operators.file import FileToArchiveOperator
from etl_platform.transfers.archive_to_sql import ArchiveToSqlOperator

with DAG(
    dag_id="example_file_ingest",
    schedule="@daily",
    start_date=datetime.datetime(2026, 1, 1),
    catchup=False,
    # A missing file is retried: the partner may be late.
    default_args={"retries": 3, "retry_delay": datetime.timedelta(minutes=10)},
    # The share's mount point differs between deployments: a parameter, which a manual run may change.
    params={"drop_folder": Param("/srv/partner-drop", type="string")},
    tags=["example", "etl_platform"],
) as dag:
    # [START ingest_returns]
    ingest_returns = FileToArchiveOperator(
        task_id="ingest_returns",
        path="{{ params.drop_folder }}/returns_{{ ds_nodash }}.csv",
        source="partner-drop",
        dataset="returns",
        on_empty="skip",
    )
    # [END ingest_returns]

    load_returns = ArchiveToSqlOperator(
        task_id="load_returns",
        archive_paths=ingest_returns.output,
        table="returns",
        conn_id="warehouse",
    )

    ingest_returns >> load_returns
