"""FileToArchiveOperator on real files in a temporary folder, archiving into a real archive on disk."""

import ctypes
import hashlib
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from etl_fixtures import archived_files

from etl_platform.archive import ArchiveConflictError
from etl_platform.operators.file import FileToArchiveOperator
from etl_platform.policy import ConfigurationError, DataError, SourceUnavailableError

RUN_FOLDER = "partner-drop/returns/2026/11/24/scheduled_1"
COMPLETE = b"id,reason\n1,damaged\n2,late\n"
ALL = ("fail", "skip", "succeed")


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    """The folder the partner drops its files into."""
    folder = tmp_path / "drop"
    folder.mkdir()
    return folder


def make_op(drop: Path, **overrides: Any) -> FileToArchiveOperator:
    arguments: dict[str, Any] = {
        "task_id": "ingest_returns",
        "path": str(drop / "returns.csv"),
        "source": "partner-drop",
        "dataset": "returns",
        **overrides,
    }
    return FileToArchiveOperator(**arguments)


def archived_payloads(root: Path) -> dict[str, bytes]:
    """The archived files by name, each checked to have its manifest."""
    files = archived_files(root)
    assert all(f"{f}.manifest.json" in files for f in files if not f.endswith(".manifest.json"))
    assert all(f.startswith(f"{RUN_FOLDER}/") for f in files)
    return {f.rsplit("/", 1)[1]: (root / f).read_bytes() for f in files if not f.endswith(".manifest.json")}


FAULTS: dict[str, bytes] = {
    "complete file": COMPLETE,
    "empty file": b"",
    "header only": b"id,reason\n",
    "corrupt csv": b"id,reason\n1,damaged,oops\n",
    "not utf-8": b"id,reason\n1,\xff\xfe\n",
}
#: fault -> on_empty -> (outcome, files archived afterwards with their bytes)
EXPECTED: dict[str, dict[str, tuple[str, dict[str, bytes]]]] = {
    "complete file": {p: ("success", {"returns.csv": COMPLETE}) for p in ALL},
    "empty file": {
        "fail": ("failed-not-retried", {}),
        "skip": ("skipped", {}),
        "succeed": ("success", {"returns.csv": b""}),
    },
    "header only": {
        "fail": ("failed-not-retried", {}),
        "skip": ("skipped", {}),
        "succeed": ("success", {"returns.csv": b"id,reason\n"}),
    },
    "corrupt csv": {p: ("failed-not-retried", {}) for p in ALL},
    "not utf-8": {p: ("failed-not-retried", {}) for p in ALL},
}


@pytest.mark.parametrize("on_empty", ALL)
@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_matrix(
    fault: str, on_empty: str, drop: Path, archive_root: Path, context: dict, outcome: Any
) -> None:
    (drop / "returns.csv").write_bytes(FAULTS[fault])
    expected_outcome, expected_files = EXPECTED[fault][on_empty]

    assert outcome(make_op(drop, on_empty=on_empty), context) == expected_outcome

    assert archived_payloads(archive_root) == expected_files
    assert (drop / "returns.csv").read_bytes() == FAULTS[fault]  # the file is left where it was


def test_the_file_is_archived_with_its_manifest_and_metrics(
    drop: Path, archive_root: Path, context: dict
) -> None:
    (drop / "returns.csv").write_bytes(COMPLETE)

    metrics = make_op(drop).execute(context)

    assert metrics["path"] == f"{RUN_FOLDER}/returns.csv"
    assert (metrics["rows"], metrics["bytes"], metrics["created"]) == (2, len(COMPLETE), True)
    assert metrics["sha256"] == hashlib.sha256(COMPLETE).hexdigest()
    assert metrics["source_url"] == (drop / "returns.csv").as_uri()
    manifest = json.loads((archive_root / RUN_FOLDER / "returns.csv.manifest.json").read_text())
    assert (manifest["sha256"], manifest["rows"], manifest["content_type"]) == (
        metrics["sha256"],
        2,
        "text/csv",
    )


def test_a_binary_file_is_archived_as_it_is(drop: Path, archive_root: Path, context: dict) -> None:
    scan = b"%PDF-1.7\x00\xff binary"
    (drop / "scan.pdf").write_bytes(scan)
    metrics = make_op(drop, path=str(drop / "scan.pdf"), payload_format="bytes").execute(context)
    assert metrics["rows"] is None and metrics["bytes"] == len(scan)
    assert archived_payloads(archive_root) == {"scan.pdf": scan}


@pytest.mark.parametrize("on_empty", ALL)
def test_a_missing_file_is_retried_by_airflow(
    on_empty: str, drop: Path, archive_root: Path, context: dict, outcome: Any
) -> None:
    # Not an empty source: the partner may be late, and a retry (or a FileSensor) waits for it.
    op = make_op(drop, on_empty=on_empty)
    assert outcome(op, context) == "failed-retried"
    with pytest.raises(
        SourceUnavailableError, match=r"returns\.csv does not exist \(yet\); Airflow will retry"
    ):
        op.execute(context)
    assert archived_files(archive_root) == []


#: Files a "producer" appends a record to at the moment the operator opens them (see the hook below).
_APPEND_WHEN_OPENED: list[Path] = []


def _producer_still_writing(event: str, args: tuple[Any, ...]) -> None:
    """Append to a file the moment it is opened for reading: after the operator looked at its size.

    A writer racing the operator on its own would win or lose by chance; this audit hook makes the
    real append happen at the one moment that matters, every time.
    """
    if event != "open" or not _APPEND_WHEN_OPENED or not isinstance(args[0], str | os.PathLike):
        return
    if os.fspath(args[0]) == str(_APPEND_WHEN_OPENED[0]) and str(args[1]).startswith("r"):
        path = _APPEND_WHEN_OPENED.pop()
        with path.open("ab") as file:
            file.write(b"3,late\n")


sys.addaudithook(_producer_still_writing)


def test_a_file_still_being_written_is_not_archived(
    drop: Path, archive_root: Path, context: dict, outcome: Any
) -> None:
    returns = drop / "returns.csv"
    returns.write_bytes(COMPLETE)
    _APPEND_WHEN_OPENED.append(returns)
    op = make_op(drop, on_empty="succeed")

    with pytest.raises(
        DataError, match=r"returns\.csv changed while it was read \(27 bytes before, 34 after, 34 read\)"
    ):
        op.execute(context)

    assert returns.read_bytes() == COMPLETE + b"3,late\n"  # the producer did write meanwhile
    assert archived_files(archive_root) == []
    _APPEND_WHEN_OPENED.append(returns)
    assert outcome(op, context) == "failed-not-retried"


@contextmanager
def file_permissions_enforced() -> Iterator[None]:
    """Make the kernel apply file permissions to this thread even when the tests run as root.

    Root reads any file through the capabilities CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH; they are
    dropped from this thread's effective set (they stay permitted) and raised again afterwards.
    """
    if os.geteuid() != 0:
        yield
        return

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [
            ("effective", ctypes.c_uint32),
            ("permitted", ctypes.c_uint32),
            ("inheritable", ctypes.c_uint32),
        ]

    libc = ctypes.CDLL(None, use_errno=True)
    header = Header(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, the calling thread
    data = (Data * 2)()
    assert libc.capget(ctypes.byref(header), data) == 0, os.strerror(ctypes.get_errno())
    effective = data[0].effective
    data[0].effective = effective & ~((1 << 1) | (1 << 2))
    assert libc.capset(ctypes.byref(header), data) == 0, os.strerror(ctypes.get_errno())
    try:
        yield
    finally:
        data[0].effective = effective
        assert libc.capset(ctypes.byref(header), data) == 0, os.strerror(ctypes.get_errno())


def test_an_unreadable_file_fails_without_retry(
    drop: Path, archive_root: Path, context: dict, outcome: Any
) -> None:
    returns = drop / "returns.csv"
    returns.write_bytes(COMPLETE)
    returns.chmod(0o000)
    op = make_op(drop, on_empty="succeed")
    with file_permissions_enforced():
        with pytest.raises(PermissionError):  # the kernel refuses this test too: the setup is real
            returns.open("rb")
        assert outcome(op, context) == "failed-not-retried"
        with pytest.raises(ConfigurationError, match=r"returns\.csv cannot be read \(Permission denied\)"):
            op.execute(context)
    assert archived_files(archive_root) == []


def test_a_different_file_already_archived_for_the_run_is_a_conflict(
    drop: Path, archive_root: Path, context: dict, outcome: Any
) -> None:
    returns = drop / "returns.csv"
    returns.write_bytes(COMPLETE)
    first = make_op(drop).execute(context)

    again = make_op(drop).execute(context)  # the same file again: nothing written
    assert again["created"] is False and again["sha256"] == first["sha256"]

    returns.write_bytes(b"id,reason\n9,other\n")
    op = make_op(drop)
    assert outcome(op, context) == "failed-not-retried"
    with pytest.raises(ArchiveConflictError, match=f"already archived with sha256 {first['sha256']}"):
        op.execute(context)
    assert archived_payloads(archive_root) == {"returns.csv": COMPLETE}


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("relative/returns.csv", r"path='relative/returns\.csv' is relative"),
        ("{drop}", r"drop is not a regular file"),
        ("{drop}/.returns.csv", r"archive key name='\.returns\.csv' must be one"),
    ],
    ids=["relative path", "a folder", "hidden file"],
)
def test_paths_that_cannot_be_archived_fail_without_retry(
    path: str, message: str, drop: Path, archive_root: Path, context: dict, outcome: Any
) -> None:
    (drop / ".returns.csv").write_bytes(COMPLETE)
    op = make_op(drop, path=path.format(drop=drop), on_empty="succeed")
    assert outcome(op, context) == "failed-not-retried"
    with pytest.raises(ConfigurationError, match=message):
        op.execute(context)
    assert archived_files(archive_root) == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"payload_format": "json"}, "payload_format='json' is not one of csv, bytes"),
        (
            {"dataset": "returns/2026"},
            "archive key dataset='returns/2026' must be one non-empty path segment",
        ),
        ({"on_empty": "ignore"}, "on_empty='ignore' is not a policy"),
    ],
)
def test_bad_arguments_are_refused_when_the_dag_is_parsed(
    arguments: dict[str, Any], message: str, drop: Path
) -> None:
    with pytest.raises(ValueError, match=message):
        make_op(drop, **arguments)
