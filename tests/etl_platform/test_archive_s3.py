"""The archive on a real S3 API (moto's server on 127.0.0.1): publishing is create-if-absent there."""

import datetime
import hashlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from airflow.sdk import ObjectStoragePath
from etl_fixtures import HttpServer, Reply, free_port, race_two_writers

from etl_platform.archive import Archive, ArchiveConflictError, ArchiveKey, Manifest, Publishing
from etl_platform.hooks.archive import ArchiveHook
from etl_platform.operators.http import HttpToArchiveOperator
from etl_platform.policy import ConfigurationError

KEY = ArchiveKey(
    source="api", dataset="orders", day=datetime.date(2026, 11, 24), run_id="run_1", name="o.csv"
)
#: s3fs's smallest part: payloads larger than this go up as multipart uploads in the tests.
PART = 5 << 20


#: moto's own server answers requests on parallel threads, and checks ``If-None-Match`` before it writes:
#: two conditional writes racing on it can both pass (two multipart uploads completing at once did, every
#: time). S3 decides them atomically; so does moto's application served one request at a time.
SERIAL_MOTO_SERVER = """
import sys
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple

app = DomainDispatcherApplication(create_backend_app)
run_simple(sys.argv[1], int(sys.argv[2]), app, threaded=False, request_handler=MotoRequestHandler)
"""


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A real S3 API (moto, serving one request at a time) on 127.0.0.1 with an empty bucket."""
    import boto3

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERIAL_MOTO_SERVER, "127.0.0.1", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "MOTO_PORT": str(port)},
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


@pytest.fixture
def s3_conn(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The ``s3_test`` connection to the server."""
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
    return "s3_test"


@pytest.fixture
def s3(s3_endpoint: str) -> Any:
    """A boto3 client of the server, to see what the archive left there."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="k",
        aws_secret_access_key="s",
        region_name="us-east-1",
    )


@pytest.fixture
def prefix(request: pytest.FixtureRequest) -> str:
    """A folder of the bucket of this test alone (the server lives for the module)."""
    return request.node.name.replace("[", "-").replace("]", "")


@pytest.fixture
def archive(s3_conn: str, prefix: str, monkeypatch: pytest.MonkeyPatch) -> Archive:
    """An archive below ``s3://archive/{prefix}``, whose payloads above 5 MiB are uploaded in parts."""
    archive = Archive(ObjectStoragePath(f"s3://archive/{prefix}", conn_id=s3_conn))
    # s3fs buffers 50 MiB before starting a multipart upload; the tests reach that path with 5 MiB.
    monkeypatch.setattr(archive.root.fs, "default_block_size", PART)
    return archive


def keys(s3: Any, prefix: str) -> list[str]:
    listing = s3.list_objects_v2(Bucket="archive", Prefix=f"{prefix}/")
    return sorted(o["Key"][len(prefix) + 1 :] for o in listing.get("Contents", []))


def open_uploads(s3: Any, prefix: str) -> list[str]:
    return [
        u["Key"] for u in s3.list_multipart_uploads(Bucket="archive", Prefix=f"{prefix}/").get("Uploads", [])
    ]


def body(s3: Any, prefix: str, path: str) -> bytes:
    return bytes(s3.get_object(Bucket="archive", Key=f"{prefix}/{path}")["Body"].read())


def test_s3_publishes_create_if_absent(archive: Archive) -> None:
    assert Publishing.of(archive.root.fs) is Publishing.CREATE_IF_ABSENT


PAYLOADS = {
    "empty": (b"", b"id\n"),
    "one put": (b"id\n1\n", b"id\n2\n"),
    "multipart": (b"a" * (PART * 2 + 1), b"b" * (PART * 2 + 1)),
}


@pytest.mark.parametrize("size", list(PAYLOADS))
def test_a_writer_that_started_before_another_published_loses_without_overwriting(
    size: str, archive: Archive, s3: Any, prefix: str
) -> None:
    first, second = PAYLOADS[size]
    with archive.stage(KEY) as late, archive.stage(KEY) as early:
        late.write(second)
        early.write(first)
        early.commit(source_url="first", content_type="text/csv")
        with pytest.raises(ArchiveConflictError, match=hashlib.sha256(first).hexdigest()):
            late.commit(source_url="second", content_type="text/csv")
    assert body(s3, prefix, KEY.path) == first
    assert keys(s3, prefix) == [KEY.path, f"{KEY.path}.manifest.json"]
    assert open_uploads(s3, prefix) == []  # the refused upload is aborted, not left to cost money
    assert archive.verify(KEY.path).source_url == "first"


@pytest.mark.parametrize("size", list(PAYLOADS))
@pytest.mark.parametrize("same", [True, False], ids=["same bytes", "other bytes"])
def test_two_writers_racing_for_one_key_one_publishes_and_nothing_is_overwritten(
    size: str, same: bool, archive: Archive, s3: Any, prefix: str
) -> None:
    payloads = (PAYLOADS[size][0],) * 2 if same else PAYLOADS[size]
    # Both writers reach commit() together: before, the key was checked, then the file moved, and both
    # could pass the check and publish, the second overwriting the first.
    outcomes = race_two_writers(archive, KEY, payloads)

    winner = next(n for n, outcome in outcomes.items() if outcome == "created")
    loser = 1 - winner
    if same:
        assert outcomes[loser] == "no-op"
    else:
        assert isinstance(outcomes[loser], ArchiveConflictError)
    assert body(s3, prefix, KEY.path) == payloads[winner]
    assert keys(s3, prefix) == [KEY.path, f"{KEY.path}.manifest.json"]
    assert open_uploads(s3, prefix) == []
    manifest = archive.verify(KEY.path)
    assert manifest.source_url == f"writer {winner}"  # a manifest rebuilt by the loser never replaces it


def test_a_payload_that_fails_while_uploading_leaves_nothing(archive: Archive, s3: Any, prefix: str) -> None:
    with pytest.raises(RuntimeError), archive.stage(KEY) as staged:
        staged.write(b"x" * (PART * 2))  # two parts are on the server, in an upload nobody sees
        assert open_uploads(s3, prefix) == [f"{prefix}/{KEY.path}"]
        raise RuntimeError("source went away")
    assert keys(s3, prefix) == []
    assert open_uploads(s3, prefix) == []


def test_an_empty_payload_is_published_create_if_absent_too(archive: Archive, s3: Any, prefix: str) -> None:
    with archive.stage(KEY) as staged:
        staged.commit(source_url="first", content_type="text/csv")
    assert staged.created and body(s3, prefix, KEY.path) == b""
    with archive.stage(KEY) as again:
        again.commit(source_url="again", content_type="text/csv")
    assert not again.created
    # A payload another writer published, without a manifest yet: the empty one must not replace it.
    other = ArchiveKey(**{**KEY.__dict__, "name": "other.csv"})
    s3.put_object(Bucket="archive", Key=f"{prefix}/{other.path}", Body=b"id\n1\n")
    with pytest.raises(ArchiveConflictError), archive.stage(other) as empty:
        empty.commit(source_url="empty", content_type="text/csv")
    assert body(s3, prefix, other.path) == b"id\n1\n"


def test_a_rebuilt_manifest_never_replaces_a_written_one(archive: Archive, s3: Any, prefix: str) -> None:
    with archive.stage(KEY) as staged:
        staged.write(b"id\n1\n")
        written = staged.commit(source_url="http://api/orders", content_type="text/csv")
    rebuilt = Manifest(KEY.path, written.size, written.sha256, "unknown (manifest rebuilt)", "", "", None)
    assert archive._add_manifest(rebuilt) == written
    assert json.loads(body(s3, prefix, f"{KEY.path}.manifest.json"))["source_url"] == "http://api/orders"


def test_the_archive_works_on_object_storage(
    s3_conn: str, s3: Any, http_server: HttpServer, context: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_ARCHIVE_S3",
        json.dumps(
            {
                "conn_type": "etl_archive",
                "extra": {"root": "s3://archive/platform", "storage_conn_id": s3_conn},
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

    assert keys(s3, "platform") == [first["path"], f"{first['path']}.manifest.json"]
    assert body(s3, "platform", first["path"]) == b'{"id":1}\n'
    assert first["created"] and not again["created"]
    archive = ArchiveHook(archive_conn_id="archive_s3").get_conn()
    assert archive.verify(first["path"]).sha256 == first["sha256"]


def conditional_conflict(operation: str) -> Any:
    """The ``ClientError`` botocore raises for S3's answer 409 ConditionalRequestConflict."""
    from botocore.exceptions import ClientError

    return ClientError(
        {
            "Error": {
                "Code": "ConditionalRequestConflict",
                "Message": "A conflicting operation occurred. If using PutObject you can retry the request.",
            },
            "ResponseMetadata": {"HTTPStatusCode": 409},
        },
        operation,
    )


def test_a_409_conditional_conflict_means_the_key_is_being_taken() -> None:
    # No local S3 (moto, MinIO) answers 409 here: AWS S3 does, when two conditional writes to one key
    # complete at the same moment. The error is botocore's own, turned into what s3fs raises.
    from botocore.exceptions import ClientError
    from s3fs.errors import translate_boto_error

    from etl_platform.archive import _key_taken

    raised = translate_boto_error(conditional_conflict("CompleteMultipartUpload"))
    assert type(raised) is OSError and not isinstance(raised, FileExistsError)  # what reached the operator
    assert _key_taken(raised) and _key_taken(conditional_conflict("PutObject"))
    precondition = ClientError(
        {"Error": {"Code": "PreconditionFailed", "Condition": "If-None-Match"}}, "PutObject"
    )
    assert _key_taken(translate_boto_error(precondition))  # 412, as before
    other = ClientError({"Error": {"Code": "OperationAborted"}, "ResponseMetadata": {}}, "PutObject")
    assert not _key_taken(translate_boto_error(other))  # another 409 is no race for the key


#: The conditional write each payload size completes with.
COMPLETING = {"empty": "PutObject", "one put": "PutObject", "multipart": "CompleteMultipartUpload"}


@contextmanager
def answer_409_to_the_exclusive_write(
    archive: Archive, operation: str, before: Any = None
) -> Iterator[list[str]]:
    """Make the store answer the archive's conditional write with 409, as AWS S3 does under a race.

    moto has no such answer: the s3fs client's own botocore event for the call answers instead of the
    server (everything else reaches moto). ``before`` runs first, as the other writer's completion.
    Only the first exclusive write of the block, the payload's, is answered so.

    :returns: a context manager giving the operations answered so.
    """
    fs = archive.root.fs
    fs.invalidate_cache()
    fs.ls("archive")  # opens the client
    answered: list[str] = []

    def conflict(params: dict[str, Any], **_: Any) -> Any:
        if answered or params.get("headers", {}).get("If-None-Match") != "*":
            return None  # not the payload's exclusive write (a manifest's comes after it): moto answers
        answered.append(operation)
        if before is not None:
            before()
        response = conditional_conflict(operation).response
        return type("Http", (), {"status_code": 409, "headers": {}})(), response

    event = f"before-call.s3.{operation}"
    fs.s3.meta.events.register_first(event, conflict)
    try:
        yield answered
    finally:
        fs.s3.meta.events.unregister(event, conflict)  # the file system and its client are cached


@pytest.mark.parametrize("size", list(PAYLOADS))
@pytest.mark.parametrize("other", ["nothing yet", "same bytes", "other bytes"])
def test_a_409_from_a_racing_writer_is_a_conflict_a_no_op_or_retried(
    size: str, other: str, archive: Archive, s3: Any, prefix: str
) -> None:
    from etl_platform.archive import ArchiveBusyError

    mine, theirs = PAYLOADS[size]
    if other == "same bytes":
        theirs = mine
    published: Any = (
        None
        if other == "nothing yet"
        else (lambda: s3.put_object(Bucket="archive", Key=f"{prefix}/{KEY.path}", Body=theirs))
    )
    with (
        answer_409_to_the_exclusive_write(archive, COMPLETING[size], published) as answered,
        archive.stage(KEY) as staged,
    ):
        staged.write(mine)
        if other == "same bytes":
            staged.commit(source_url="mine", content_type="text/csv")
            assert not staged.created
        elif other == "other bytes":
            with pytest.raises(ArchiveConflictError, match=hashlib.sha256(theirs).hexdigest()):
                staged.commit(source_url="mine", content_type="text/csv")
        else:
            # Before: a plain OSError. The other writer may still fail: Airflow retries.
            with pytest.raises(ArchiveBusyError, match="another writer was publishing"):
                staged.commit(source_url="mine", content_type="text/csv")
    assert answered == [COMPLETING[size]]
    expected = [] if other == "nothing yet" else [KEY.path, f"{KEY.path}.manifest.json"]
    assert keys(s3, prefix) == expected
    if other != "nothing yet":
        assert body(s3, prefix, KEY.path) == theirs
    assert open_uploads(s3, prefix) == []  # the refused upload is aborted


def test_a_bucket_that_does_not_exist_is_never_created(
    s3_conn: str,
    s3: Any,
    http_server: HttpServer,
    context: dict,
    outcome: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Before, the archive made the payload's folder with s3fs's mkdir, which creates a missing bucket
    # (moto refuses the creation here, and the task was retried without end).
    monkeypatch.setenv(
        "AIRFLOW_CONN_ARCHIVE_TYPO",
        json.dumps(
            {
                "conn_type": "etl_archive",
                "extra": {"root": "s3://archvie/platform", "storage_conn_id": s3_conn},
            }
        ),
    )
    http_server.serve("/orders", Reply(body=b'[{"id": 1}]'))
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    op = HttpToArchiveOperator(
        task_id="t",
        endpoint="/orders",
        source="api",
        dataset="orders",
        name="o.jsonl",
        archive_conn_id="archive_typo",
    )
    assert outcome(op, context) == "failed-not-retried"
    with pytest.raises(
        ConfigurationError, match=r"s3://s3_test@archvie/platform/.*does not exist.*its bucket must exist"
    ):
        op.execute(context)
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == buckets
