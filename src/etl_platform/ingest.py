"""What every ingest operator does around its fetch: name the archive key, and report what was moved."""

from __future__ import annotations

import datetime
from typing import Any

from etl_platform.archive import ArchiveKey
from etl_platform.metrics import TransferMetrics, emit


def archive_key(context: Any, *, source: str, dataset: str, name: str) -> ArchiveKey:
    """Name where the current run's payload goes.

    Runs triggered without a logical date (possible in Airflow 3) are filed under the day they ran.

    :param context: the task's Airflow context.
    :param source: the source system.
    :param dataset: the dataset.
    :param name: the payload's file name.
    :returns: the key.
    """
    when: datetime.datetime | None = context.get("logical_date")
    if when is None:
        when = context["dag_run"].run_after
    return ArchiveKey(source=source, dataset=dataset, day=when.date(), run_id=context["run_id"], name=name)


def report(log: Any, metrics: TransferMetrics, *, source: str, dataset: str) -> dict[str, Any]:
    """Log, emit to Airflow's stats, and return a transfer's metrics for XCom.

    :param log: the operator's logger.
    :param metrics: what was moved.
    :param source: the source system.
    :param dataset: the dataset.
    :returns: the metrics as the operator's XCom return value.
    """
    log.info(
        "archived %s: %s rows, %s bytes in %.3f s, sha256 %s%s",
        metrics.path,
        metrics.rows,
        metrics.bytes,
        metrics.duration_seconds,
        metrics.sha256,
        "" if metrics.created else " (already archived, nothing written)",
    )
    emit(metrics, source=source, dataset=dataset)
    return metrics.to_xcom()
