import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk._shared.observability.metrics import stats as stats_module
from airflow.sdk._shared.observability.metrics.base_stats_logger import NoStatsLogger
from airflow.sdk.observability import stats
from etl_fixtures import HttpServer, Reply

from etl_platform.operators.http import HttpToArchiveOperator
from etl_platform.transfers.archive_to_sql import ArchiveToSqlOperator


class RecordingStats(NoStatsLogger):
    """A stats backend that keeps what it is sent, in place of StatsD (no statsd client is installed)."""

    sent: list[tuple[str, str, Any]] = []

    def incr(self, stat: str, count: int = 1, rate: float = 1, *, tags: Any = None) -> None:
        self.sent.append(("incr", stat, count))

    def gauge(
        self, stat: str, value: float, rate: float = 1, delta: bool = False, *, tags: Any = None
    ) -> None:
        self.sent.append(("gauge", stat, value))

    def timing(self, stat: str, dt: Any, *, tags: Any = None) -> None:
        self.sent.append(("timing", stat, dt))


@pytest.fixture
def recorded() -> Iterator[list[tuple[str, str, Any]]]:
    previous = stats_module._factory
    RecordingStats.sent = []
    stats.initialize(factory=RecordingStats, export_legacy_names=False)
    yield RecordingStats.sent
    stats.initialize(factory=previous or NoStatsLogger, export_legacy_names=False)


def test_transfer_metrics_go_to_stats_and_xcom(
    recorded: list, http_server: HttpServer, archive_root: Path, context: dict
) -> None:
    http_server.serve("/orders", Reply(body=b'[{"id": 1}, {"id": 2}, {"id": 3}]'))
    op = HttpToArchiveOperator(
        task_id="t", endpoint="/orders", source="orders-api", dataset="orders", name="o.jsonl"
    )
    metrics = op.execute(context)

    assert metrics["rows"] == 3 and metrics["bytes"] == len(b'{"id":1}\n') * 3
    assert len(metrics["sha256"]) == 64 and metrics["duration_seconds"] >= 0
    sent = {(kind, name): value for kind, name, value in recorded}
    assert sent[("incr", "etl_platform.orders-api.orders.transfers")] == 1
    assert sent[("gauge", "etl_platform.orders-api.orders.rows")] == 3
    assert sent[("gauge", "etl_platform.orders-api.orders.bytes")] == metrics["bytes"]
    duration = sent[("timing", "etl_platform.orders-api.orders.duration")]
    assert isinstance(duration, datetime.timedelta)
    assert duration.total_seconds() == pytest.approx(metrics["duration_seconds"], abs=0.001)


def test_load_metrics_go_to_stats_and_xcom(
    recorded: list, sqlite_db: Path, archive_root: Path, context: dict
) -> None:
    import datetime as dt

    from etl_platform.archive import Archive, ArchiveKey

    key = ArchiveKey(source="s", dataset="d", day=dt.date(2026, 11, 24), run_id="r", name="o.csv")
    with Archive(str(archive_root)).stage(key) as staged:
        staged.write(b"id\n1\n2\n")
        staged.commit(source_url="test", content_type="text/csv")
    result = ArchiveToSqlOperator(task_id="load", archive_paths=key.path, table="orders").execute(context)

    assert result["rows"] == 2
    sent = {(kind, name): value for kind, name, value in recorded}
    assert sent[("incr", "etl_platform.load.orders.loads")] == 1
    assert sent[("gauge", "etl_platform.load.orders.rows")] == 2
    assert sent[("timing", "etl_platform.load.orders.duration")].total_seconds() == pytest.approx(
        result["duration_seconds"], abs=0.001
    )
