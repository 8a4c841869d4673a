"""What every ingest operator does around its fetch: time it, stage it in the archive, report it."""

from __future__ import annotations

import datetime
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

from etl_platform.archive import ArchiveKey, Manifest, StagedPayload
from etl_platform.hooks.archive import ArchiveHook
from etl_platform.metrics import Stopwatch, TransferMetrics, emit

if TYPE_CHECKING:
    from airflow.sdk import Context


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


class IngestingTask(Protocol):
    """What :class:`IngestRun` reads of an ingest operator: its archive and the names in the archive path."""

    archive_conn_id: str
    source: str
    dataset: str

    @property
    def log(self) -> Any:
        """The operator's logger."""


class IngestRun:
    """One run of an ingest operator's ``execute``: the frame around its fetch.

    Creating it starts the transfer's stopwatch and opens the archive of the operator's
    ``archive_conn_id``; :meth:`stage` opens a payload under the run's key; :meth:`report` turns a
    committed payload into the transfer's metrics (logged, sent to Airflow's stats, returned for XCom).
    The operator itself fetches, validates, refuses empty input (:func:`~etl_platform.policy.refuse_empty`)
    and commits::

        run = IngestRun(self, context)
        with run.stage(self.name) as staged:
            ...  # write the payload into staged
            manifest = staged.commit(source_url=url, content_type="text/csv", rows=rows)
        return run.report(staged, manifest, source_url=url)

    :param operator: the ingest operator.
    :param context: the task's Airflow context.
    """

    def __init__(self, operator: IngestingTask, context: Context) -> None:
        self.operator = operator
        self.context = context
        self.stopwatch = Stopwatch()
        self.archive = ArchiveHook(archive_conn_id=operator.archive_conn_id).get_conn()

    def stage(self, name: str) -> AbstractContextManager[StagedPayload]:
        """Open the payload ``name`` of this run for writing; what is not committed is removed.

        :param name: the payload's file name.
        :returns: a context manager giving the :class:`~etl_platform.archive.StagedPayload`.
        """
        key = archive_key(self.context, source=self.operator.source, dataset=self.operator.dataset, name=name)
        return self.archive.stage(key)

    def report(
        self,
        staged: StagedPayload,
        manifest: Manifest,
        *,
        source_url: str,
        duration_seconds: float | None = None,
    ) -> dict[str, Any]:
        """Log, emit to Airflow's stats, and return the metrics of one committed payload.

        :param staged: the committed payload.
        :param manifest: what its commit returned (the archived manifest when the payload was there).
        :param source_url: where this run fetched it from.
        :param duration_seconds: the transfer's wall time; by default the time since the run began.
        :returns: the metrics as the operator's XCom return value.
        """
        metrics = TransferMetrics(
            path=manifest.path,
            rows=manifest.rows,
            bytes=manifest.size,
            duration_seconds=self.stopwatch.elapsed() if duration_seconds is None else duration_seconds,
            sha256=manifest.sha256,
            source_url=source_url,
            created=staged.created,
        )
        return report(self.operator.log, metrics, source=self.operator.source, dataset=self.operator.dataset)
