import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from etl_fixtures import HttpServer, Reply, free_port

from etl_platform.hooks.archive import ArchiveHook
from etl_platform.operators.http import HttpToArchiveOperator


def test_connection_root_is_used(archive_root: Path) -> None:
    assert str(ArchiveHook().get_root()) == str(archive_root)


def test_without_a_default_connection_the_archive_is_a_local_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_ARCHIVE_DEFAULT", raising=False)
    assert str(ArchiveHook().get_root()) == os.path.join(os.environ["AIRFLOW_HOME"], "archive")


def test_a_named_connection_must_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(Exception, match="isn't defined"):
        ArchiveHook(archive_conn_id="no_such_archive").get_root()


def test_a_connection_without_root_says_how_to_fix_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_BARE", json.dumps({"conn_type": "etl_archive"}))
    with pytest.raises(ValueError, match=r"connection 'bare' has no 'root' in its extra field: set it to"):
        ArchiveHook(archive_conn_id="bare").get_root()


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A real S3 API (moto's server) on 127.0.0.1 with an empty bucket."""
    import boto3

    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    endpoint = f"http://127.0.0.1:{port}"
    # The server says when it listens (werkzeug's "Running on" line); read until then.
    assert server.stderr is not None
    for line in server.stderr:
        if "Running on" in line:
            break
    else:
        raise RuntimeError("moto_server exited before listening")
    # Keep reading its log so that a full pipe never blocks it.
    threading.Thread(target=server.stderr.read, daemon=True).start()
    client = boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1"
    )
    client.create_bucket(Bucket="archive")
    yield endpoint
    server.terminate()
    server.wait()


def test_the_archive_works_on_object_storage(
    s3_endpoint: str, http_server: HttpServer, context: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    monkeypatch.setenv(
        "AIRFLOW_CONN_S3_TEST",
        json.dumps(
            {
                "conn_type": "aws",
                "login": "k",
                "password": "s",
                "extra": {"endpoint_url": s3_endpoint, "region_name": "us-east-1"},
            }
        ),
    )
    monkeypatch.setenv(
        "AIRFLOW_CONN_ARCHIVE_S3",
        json.dumps(
            {
                "conn_type": "etl_archive",
                "extra": {"root": "s3://archive/platform", "storage_conn_id": "s3_test"},
            }
        ),
    )
    http_server.serve("/orders", Reply(body=b'[{"id": 1}]'))
    op = HttpToArchiveOperator(
        task_id="t",
        endpoint="/orders",
        source="api",
        dataset="orders",
        name="o.jsonl",
        archive_conn_id="archive_s3",
    )
    first = op.execute(context)
    again = op.execute(context)

    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="k",
        aws_secret_access_key="s",
        region_name="us-east-1",
    )
    keys = sorted(o["Key"] for o in client.list_objects_v2(Bucket="archive")["Contents"])
    assert keys == [f"platform/{first['path']}", f"platform/{first['path']}.manifest.json"]
    assert client.get_object(Bucket="archive", Key=keys[0])["Body"].read() == b'{"id":1}\n'
    assert first["created"] and not again["created"]
    archive = ArchiveHook(archive_conn_id="archive_s3").get_conn()
    assert archive.verify(first["path"]).sha256 == first["sha256"]
