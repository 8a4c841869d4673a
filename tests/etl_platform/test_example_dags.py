"""The example DAGs run end to end with ``dag.test()`` on a SQLite metadata DB, against real servers."""

import datetime
import importlib
import json
import pkgutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from airflow.sdk import DAG
from etl_fixtures import FtpServer, HttpServer, Reply, archived_files

UTC = datetime.UTC


#: Where the example DAGs live: every module in it is run below, found by walking the package.
EXAMPLES = "etl_platform.example_dags"


def example_dag_modules() -> list[str]:
    """Every module of ``example_dags/``: a new file is run by the tests without being listed anywhere."""
    package = importlib.import_module(EXAMPLES)
    return sorted(f"{EXAMPLES}.{found.name}" for found in pkgutil.iter_modules(package.__path__))


def dag_of(module: str) -> DAG:
    """The one DAG an example module defines."""
    dags = [value for value in vars(importlib.import_module(module)).values() if isinstance(value, DAG)]
    assert len(dags) == 1, f"{module} defines {len(dags)} DAGs; an example DAG file defines one"
    return dags[0]


#: dag.test() runs only DAGs it finds serialized from the DAGs folder: this one file brings in ours, every
#: module of the examples package as the walk above finds it.
DAG_FILE = f"""
import importlib
import pkgutil

from airflow.sdk import DAG  # the DAG processor reads files that mention airflow and DAG

import {EXAMPLES} as examples
for found in pkgutil.iter_modules(examples.__path__):
    for value in list(vars(importlib.import_module(f"{{examples.__name__}}.{{found.name}}")).values()):
        if isinstance(value, DAG):
            globals()[value.dag_id] = value

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


@dataclass
class World:
    """What an example DAG runs against: real servers, the archive folder, the warehouse, a scratch folder."""

    http: HttpServer
    ftp: FtpServer
    archive_root: Path
    warehouse: Path
    scratch: Path
    monkeypatch: pytest.MonkeyPatch


@dataclass(frozen=True)
class Scenario:
    """What an example DAG needs before its run, and what its run must have done besides succeeding.

    :param seed: puts the DAG's input in place (a server's answers, a file) and returns ``dag.test()``'s
        keyword arguments beyond the logical date (``run_conf``).
    :param verify: checks the run's effects: what the servers received, what was archived and loaded.
    """

    seed: Callable[[World, DAG], dict[str, Any]] = lambda world, dag: {}
    verify: Callable[[World, Any], None] = lambda world, run: None
    logical_date: datetime.datetime = field(default=datetime.datetime(2026, 11, 24, tzinfo=UTC))


def seed_api_ingest(world: World, dag: DAG) -> dict[str, Any]:
    world.http.serve("/orders", page([{"id": 1, "total": 9.5}], 2), page([{"id": 2, "total": 3.0}], None))
    return {}


def verify_api_ingest(world: World, run: Any) -> None:
    assert world.http.requests == ["/orders?page=1&day=2026-11-24", "/orders?page=2&day=2026-11-24"]
    with sqlite3.connect(world.warehouse) as db:
        assert db.execute("SELECT id, total FROM orders ORDER BY id").fetchall() == [
            ("1", "9.5"),
            ("2", "3.0"),
        ]
        assert db.execute("SELECT dataset, metric, value, passed FROM etl_quality_history").fetchall() == [
            ("orders", "rows", 2.0, 1)
        ]
    files = archived_files(world.archive_root)
    assert [f.split("/", 2)[:2] for f in files if not f.endswith(".manifest.json")] == [
        ["orders-api", "orders"],
        ["warehouse", "orders"],
    ]
    snapshot = next(f for f in files if f.endswith("orders.parquet"))
    assert pq.read_table(world.archive_root / snapshot).num_rows == 2


def seed_ftp_ingest(world: World, dag: DAG) -> dict[str, Any]:
    for task_id in ("wait_for_shipments", "ingest_shipments"):
        # The server grows files on each look: no need to wait between the two looks.
        world.monkeypatch.setattr(dag.get_task(task_id), "settle_seconds", 0)
    (world.ftp.root / "outbox").mkdir()
    (world.ftp.root / "outbox" / "shipments_1.csv").write_bytes(b"id,weight\n1,2.5\n2,7.0\n")
    (world.ftp.root / "outbox" / "shipments_growing.csv").write_bytes(b"id,weight\n")
    return {}


def verify_ftp_ingest(world: World, run: Any) -> None:
    with sqlite3.connect(world.warehouse) as db:
        assert db.execute("SELECT id, weight FROM shipments").fetchall() == [("1", "2.5"), ("2", "7.0")]
    assert sorted(p.name for p in (world.ftp.root / "done").iterdir()) == ["shipments_1.csv"]
    assert sorted(p.name for p in (world.ftp.root / "outbox").iterdir()) == ["shipments_growing.csv"]
    assert [f.rsplit("/", 1)[1] for f in archived_files(world.archive_root)] == [
        "shipments_1.csv",
        "shipments_1.csv.manifest.json",
    ]


# [START file_ingest_scenario]
def seed_file_ingest(world: World, dag: DAG) -> dict[str, Any]:
    """The partner's file for the run's day, in a drop folder the run is pointed at by its parameter."""
    (world.scratch / "returns_20261124.csv").write_bytes(b"id,reason\n1,damaged\n2,late\n")
    return {"run_conf": {"drop_folder": str(world.scratch)}}


def verify_file_ingest(world: World, run: Any) -> None:
    folder = f"partner-drop/returns/2026/11/24/{run.run_id}"
    assert archived_files(world.archive_root) == [
        f"{folder}/returns_20261124.csv",
        f"{folder}/returns_20261124.csv.manifest.json",
    ]
    with sqlite3.connect(world.warehouse) as db:
        assert db.execute("SELECT id, reason FROM returns").fetchall() == [("1", "damaged"), ("2", "late")]


# [END file_ingest_scenario]

#: By DAG id, the input of each example DAG that needs some, and the effects to check. A DAG without one
#: is run as it is and must succeed.
SCENARIOS: dict[str, Scenario] = {
    "example_api_ingest": Scenario(seed_api_ingest, verify_api_ingest),
    "example_ftp_ingest": Scenario(seed_ftp_ingest, verify_ftp_ingest),
    "example_file_ingest": Scenario(seed_file_ingest, verify_file_ingest),
}


def test_every_example_dag_is_found() -> None:
    # A walk that found nothing would let the test below pass without running anything.
    modules = example_dag_modules()
    assert {f"{EXAMPLES}.example_{name}_ingest" for name in ("api", "ftp", "file")} <= set(modules)
    dag_ids = {dag_of(module).dag_id for module in modules}
    assert set(SCENARIOS) <= dag_ids, f"scenarios for DAGs that do not exist: {set(SCENARIOS) - dag_ids}"


@pytest.mark.parametrize("module", example_dag_modules())
def test_every_example_dag_runs(
    module: str,
    airflow_db: None,
    orders_api: HttpServer,
    ftp_server: FtpServer,
    archive_root: Path,
    warehouse: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
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
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    world = World(orders_api, ftp_server, archive_root, warehouse, scratch, monkeypatch)
    dag = dag_of(module)
    scenario = SCENARIOS.get(dag.dag_id, Scenario())

    run = dag.test(logical_date=scenario.logical_date, **scenario.seed(world, dag))

    assert str(run.state) == "success", states(run)
    assert set(states(run).values()) == {"success"}
    scenario.verify(world, run)


def test_api_ingest_skips_downstream_on_an_empty_day(
    airflow_db: None, orders_api: HttpServer, archive_root: Path, warehouse: Path
) -> None:
    from etl_platform.example_dags.example_api_ingest import dag

    orders_api.serve("/orders", page([], None))
    run = dag.test(logical_date=datetime.datetime(2026, 11, 23, tzinfo=UTC))

    assert set(states(run).values()) == {"skipped"}
    assert archived_files(archive_root) == [] and not warehouse.exists()


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
