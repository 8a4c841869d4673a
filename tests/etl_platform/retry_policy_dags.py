"""One-task DAGs that show how Airflow treats the platform's errors: retried or failed at once."""

import datetime

from airflow.sdk import DAG

from etl_platform.operators.http import HttpToArchiveOperator

DAGS = {}
for status in (500, 404):
    with DAG(dag_id=f"retry_policy_{status}", schedule=None) as DAGS[status]:
        HttpToArchiveOperator(
            task_id="ingest",
            endpoint=f"/status_{status}",
            source="s",
            dataset="d",
            name="d.jsonl",
            request_retries=1,
            retry_backoff=0,
            retries=1,
            retry_delay=datetime.timedelta(0),
        )

# A configuration error (an archive connection without its root): no retry can fix it.
with DAG(dag_id="retry_policy_config", schedule=None) as DAGS["config"]:
    HttpToArchiveOperator(
        task_id="ingest",
        endpoint="/status_200",
        source="s",
        dataset="d",
        name="d.jsonl",
        archive_conn_id="archive_without_root",
        request_retries=1,
        retry_backoff=0,
        retries=1,
        retry_delay=datetime.timedelta(0),
    )
