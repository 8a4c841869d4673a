"""Transfer metrics: rows, bytes, duration and checksum of each run, to Airflow's stats and to XCom."""

from __future__ import annotations

import datetime
import time
from dataclasses import asdict, dataclass
from typing import Any

from airflow.sdk.observability import stats


@dataclass(frozen=True)
class TransferMetrics:
    """What one transfer moved.

    :param path: the archived payload's path below the archive root (``None`` when nothing was archived).
    :param rows: records moved, when the format has records.
    :param bytes: bytes moved.
    :param duration_seconds: wall time of the transfer.
    :param sha256: the payload's hex SHA-256 (``None`` when nothing was archived).
    :param source_url: where the payload came from.
    :param created: ``False`` when the same payload was already archived and nothing was written.
    """

    path: str | None
    rows: int | None
    bytes: int
    duration_seconds: float
    sha256: str | None
    source_url: str
    created: bool = True

    def to_xcom(self) -> dict[str, Any]:
        """Return the metrics as a JSON-serialisable dict, the operators' return value."""
        return asdict(self)


class Stopwatch:
    """Measure a transfer's wall time with a monotonic clock."""

    def __init__(self) -> None:
        self._start = time.monotonic()

    def elapsed(self) -> float:
        """Return the seconds since the stopwatch was created."""
        return time.monotonic() - self._start


def emit(metrics: TransferMetrics, *, source: str, dataset: str) -> None:
    """Send a transfer's metrics to Airflow's stats backend (StatsD, OpenTelemetry…), tagged by dataset.

    :param metrics: what was moved.
    :param source: the source system, a tag and part of the legacy StatsD name.
    :param dataset: the dataset, a tag and part of the legacy StatsD name.
    """
    tags = {"source": source, "dataset": dataset}
    prefix = f"etl_platform.{source}.{dataset}"
    stats.incr(f"{prefix}.transfers", tags=tags)
    stats.gauge(f"{prefix}.bytes", metrics.bytes, tags=tags)
    if metrics.rows is not None:
        stats.gauge(f"{prefix}.rows", metrics.rows, tags=tags)
    stats.timing(f"{prefix}.duration", datetime.timedelta(seconds=metrics.duration_seconds), tags=tags)


def emit_load(*, table: str, rows: int, duration_seconds: float) -> None:
    """Send a load's metrics to Airflow's stats backend, tagged by table.

    :param table: the table loaded into.
    :param rows: rows inserted.
    :param duration_seconds: wall time of the load.
    """
    tags = {"table": table}
    prefix = f"etl_platform.load.{table}"
    stats.incr(f"{prefix}.loads", tags=tags)
    stats.gauge(f"{prefix}.rows", rows, tags=tags)
    stats.timing(f"{prefix}.duration", datetime.timedelta(seconds=duration_seconds), tags=tags)
