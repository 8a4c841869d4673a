"""The example DAGs run end to end with ``dag.test()`` on a SQLite metadata DB, against real servers."""

import datetime
import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from etl_fixtures import FtpServer, HttpServer, Reply, archived_files

UTC = datetime.UTC


#: dag.test() runs only DAGs it finds serialized from the DAGs folder: this one file brings in ours.
DAG_FILE = """
from airflow.sdk import DAG  # the DAG processor reads files that mention airflow and DAG
from etl_platform.example_dags.example_api_ingest import dag as example_api_ingest
from etl_platform.example_dags.example_ftp_ingest import dag as example_ftp_ingest
from retry_policy_dags import DAGS
retry_policy_500, retry_policy_404, retry_policy_config = DAGS[500], DAGS[404], DAGS["config"]
"""


@pytest.fixture(scope="session")
def airflow_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Point Airflow at a DAGs folder holding our DAGs, and migrate the metadata DB once (about 12 s)."""
    from airflow import settings

    dags = tmp_path_factory.mktemp("dags")
    (dags / "platform_dags.py").write_text(DAG_FILE)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(dags))
        # Airflow reads the setting once, when it is first imported, which other tests may have done.
        patch.setattr(settings, "DAGS_FOLDER", str(dags))
        subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True)
        yield


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "warehouse.db"
    monkeypatch.setenv("AIRFLOW_CONN_WAREHOUSE", json.dumps({"conn_type": "sqlite", "host": str(path)}))
    return path


def states(run: Any) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in run.get_task_instances()}


def page(items: list[dict[str, Any]], following: int | None) -> Reply:
    return Reply(body=json.dumps({"items": items, "next": following}).encode())


@pytest.fixture
def orders_api(http_server: HttpServer, monkeypatch: pytest.MonkeyPatch) -> HttpServer:
    port = http_server.server.server_address[1]
    monkeypatch.setenv(
        "AIRFLOW_CONN_ORDERS_API", json.dumps({"conn_type": "http", "host": "127.0.0.1", "port": port})
    )
    return http_server


def test_api_ingest_runs_end_to_end(
    airflow_db: None, orders_api: HttpServer, archive_root: Path, warehouse: Path
) -> None:
    from etl_platform.example_dags.example_api_ingest import dag

    orders_api.serve("/orders", page([{"id": 1, "total": 9.5}], 2), page([{"id": 2, "total": 3.0}], None))
    run = dag.test(logical_date=datetime.datetime(2026, 11, 24, tzinfo=UTC))

    assert str(run.state) == "success", states(run)
    assert set(states(run).values()) == {"success"}
    assert orders_api.requests == ["/orders?page=1&day=2026-11-24", "/orders?page=2&day=2026-11-24"]
    with sqlite3.connect(warehouse) as db:
        assert db.execute("SELECT id, total FROM orders ORDER BY id").fetchall() == [
            ("1", "9.5"),
            ("2", "3.0"),
        ]
        assert db.execute("SELECT dataset, metric, value, passed FROM etl_quality_history").fetchall() == [
            ("orders", "rows", 2.0, 1)
        ]
    files = archived_files(archive_root)
    assert [f.split("/", 2)[:2] for f in files if not f.endswith(".manifest.json")] == [
        ["orders-api", "orders"],
        ["warehouse", "orders"],
    ]
    snapshot = next(f for f in files if f.endswith("orders.parquet"))
    assert pq.read_table(archive_root / snapshot).num_rows == 2


def test_api_ingest_skips_downstream_on_an_empty_day(
    airflow_db: None, orders_api: HttpServer, archive_root: Path, warehouse: Path
) -> None:
    from etl_platform.example_dags.example_api_ingest import dag

    orders_api.serve("/orders", page([], None))
    run = dag.test(logical_date=datetime.datetime(2026, 11, 23, tzinfo=UTC))

    assert set(states(run).values()) == {"skipped"}
    assert archived_files(archive_root) == [] and not warehouse.exists()


def test_ftp_ingest_runs_end_to_end(
    airflow_db: None,
    ftp_server: FtpServer,
    archive_root: Path,
    warehouse: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from etl_platform.example_dags.example_ftp_ingest import dag

    monkeypatch.setenv(
        "AIRFLOW_CONN_PARTNER_FTP",
        json.dumps(
            {
                "conn_type": "ftp",
                "host": "127.0.0.1",
                "port": ftp_server.port,
                "login": "etl",
                "password": "secret",
            }
        ),
    )
    for task_id in ("wait_for_shipments", "ingest_shipments"):
        monkeypatch.setattr(dag.get_task(task_id), "settle_seconds", 0)  # the server grows files on each look
    (ftp_server.root / "outbox").mkdir()
    (ftp_server.root / "outbox" / "shipments_1.csv").write_bytes(b"id,weight\n1,2.5\n2,7.0\n")
    (ftp_server.root / "outbox" / "shipments_growing.csv").write_bytes(b"id,weight\n")

    run = dag.test(logical_date=datetime.datetime(2026, 11, 24, 10, tzinfo=UTC))

    assert str(run.state) == "success", states(run)
    with sqlite3.connect(warehouse) as db:
        assert db.execute("SELECT id, weight FROM shipments").fetchall() == [("1", "2.5"), ("2", "7.0")]
    assert sorted(p.name for p in (ftp_server.root / "done").iterdir()) == ["shipments_1.csv"]
    assert sorted(p.name for p in (ftp_server.root / "outbox").iterdir()) == ["shipments_growing.csv"]
    assert [f.rsplit("/", 1)[1] for f in archived_files(archive_root)] == [
        "shipments_1.csv",
        "shipments_1.csv.manifest.json",
    ]


@pytest.mark.parametrize(("status", "tries", "requests"), [(500, 2, 4), (404, 1, 1)])
def test_airflow_retries_unreachable_sources_but_not_rejected_requests(
    airflow_db: None, http_server: HttpServer, archive_root: Path, status: int, tries: int, requests: int
) -> None:
    from retry_policy_dags import DAGS

    http_server.serve(f"/status_{status}", Reply(status=status))
    run = DAGS[status].test(logical_date=datetime.datetime(2026, 11, 24, tzinfo=UTC))

    (ti,) = run.get_task_instances()
    assert str(ti.state) == "failed" and ti.try_number == tries
    assert len(http_server.requests) == requests


def test_airflow_does_not_retry_a_configuration_error(
    airflow_db: None, http_server: HttpServer, archive_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from retry_policy_dags import DAGS

    monkeypatch.setenv("AIRFLOW_CONN_ARCHIVE_WITHOUT_ROOT", json.dumps({"conn_type": "etl_archive"}))
    http_server.serve("/status_200", Reply(body=b"[]"))
    run = DAGS["config"].test(logical_date=datetime.datetime(2026, 11, 24, tzinfo=UTC))

    (ti,) = run.get_task_instances()
    assert str(ti.state) == "failed" and ti.try_number == 1  # before: a ValueError, tried twice
    assert http_server.requests == [] and archived_files(archive_root) == []


def test_a_failed_check_stops_the_export(
    airflow_db: None, orders_api: HttpServer, archive_root: Path, warehouse: Path
) -> None:
    from etl_platform.example_dags.example_api_ingest import dag

    orders_api.serve("/orders", page([{"id": 1, "total": 9.5}, {"id": 2, "total": None}], None))
    run = dag.test(logical_date=datetime.datetime(2026, 11, 22, tzinfo=UTC))

    assert str(run.state) == "failed"
    assert states(run) == {
        "ingest_orders": "success",
        "load_orders": "success",
        "check_complete": "failed",
        "check_drift": "success",
        "export_orders": "upstream_failed",
        "report_archive": "upstream_failed",
    }
    assert not any(f.startswith("warehouse/") for f in archived_files(archive_root))
