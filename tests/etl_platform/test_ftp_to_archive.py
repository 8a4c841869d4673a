import json
import socket
import threading
from pathlib import Path
from typing import Any

import pytest
from etl_fixtures import FtpServer, archived_files, free_port

from etl_platform.hooks.ftp import FtpArchiveHook
from etl_platform.operators.ftp import FtpToArchiveOperator
from etl_platform.policy import ConfigurationError
from etl_platform.sensors.ftp import FtpStableFileSensor

RUN_FOLDER = "partner-ftp/shipments/2026/11/24/scheduled_1"
COMPLETE = b"id,weight\n1,2.5\n2,7.0\n"


def make_op(**overrides: Any) -> FtpToArchiveOperator:
    arguments: dict[str, Any] = {
        "task_id": "ingest_shipments",
        "directory": "/outbox",
        "pattern": "*.csv",
        "source": "partner-ftp",
        "dataset": "shipments",
        "settle_seconds": 0,
        "timeout": 5,
        **overrides,
    }
    return FtpToArchiveOperator(**arguments)


def put(ftp: FtpServer, files: dict[str, bytes]) -> None:
    (ftp.root / "outbox").mkdir(exist_ok=True)
    for name, data in files.items():
        (ftp.root / "outbox" / name).write_bytes(data)


FAULTS: dict[str, dict[str, bytes]] = {
    "complete file": {"shipments_1.csv": COMPLETE},
    "empty file": {"shipments_1.csv": b""},
    "no matching file": {"notes.txt": b"not a csv"},
    "growing file only": {"growing_1.csv": b"id,weight\n"},
    "complete and growing": {"shipments_1.csv": COMPLETE, "growing_1.csv": b"id,weight\n"},
    "corrupt csv": {"shipments_1.csv": b"id,weight\n1,2.5,oops\n"},
    "truncated transfer": {"truncated_1.csv": COMPLETE, "truncated_1.csv.short": COMPLETE[:12]},
}
ALL = ("fail", "skip", "succeed")
#: fault -> on_empty -> (outcome, files archived afterwards with their bytes)
EXPECTED: dict[str, dict[str, tuple[str, dict[str, bytes]]]] = {
    "complete file": {p: ("success", {"shipments_1.csv": COMPLETE}) for p in ALL},
    "empty file": {
        "fail": ("failed-not-retried", {}),
        "skip": ("skipped", {}),
        "succeed": ("success", {"shipments_1.csv": b""}),
    },
    "no matching file": {
        "fail": ("failed-not-retried", {}),
        "skip": ("skipped", {}),
        "succeed": ("success", {}),
    },
    "growing file only": {
        "fail": ("failed-not-retried", {}),
        "skip": ("skipped", {}),
        "succeed": ("success", {}),
    },
    "complete and growing": {p: ("success", {"shipments_1.csv": COMPLETE}) for p in ALL},
    "corrupt csv": {p: ("failed-not-retried", {}) for p in ALL},
    "truncated transfer": {p: ("failed-not-retried", {}) for p in ALL},
}


def archived_payloads(root: Path) -> dict[str, bytes]:
    files = archived_files(root)
    assert all(f"{f}.manifest.json" in files for f in files if not f.endswith(".manifest.json"))
    return {f.split("/")[-1]: (root / f).read_bytes() for f in files if not f.endswith(".manifest.json")}


@pytest.mark.parametrize("on_empty", ALL)
@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_matrix(
    fault: str, on_empty: str, ftp_server: FtpServer, archive_root: Path, context: dict, outcome: Any
) -> None:
    put(ftp_server, FAULTS[fault])
    expected_outcome, expected_files = EXPECTED[fault][on_empty]

    assert outcome(make_op(on_empty=on_empty), context) == expected_outcome

    assert archived_payloads(archive_root) == expected_files
    assert all(f.startswith(f"{RUN_FOLDER}/") for f in archived_files(archive_root))


@pytest.mark.parametrize(
    ("problem", "expected"), [("unreachable", "failed-retried"), ("missing folder", "failed-not-retried")]
)
@pytest.mark.parametrize("on_empty", ALL)
def test_server_problems(
    on_empty: str,
    problem: str,
    expected: str,
    ftp_server: FtpServer,
    archive_root: Path,
    context: dict,
    outcome: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if problem == "unreachable":
        monkeypatch.setenv(
            "AIRFLOW_CONN_FTP_DEFAULT",
            json.dumps({"conn_type": "ftp", "host": "127.0.0.1", "port": free_port()}),
        )
    assert outcome(make_op(directory="/nowhere", on_empty=on_empty), context) == expected
    assert archived_files(archive_root) == []


def test_growing_file_is_looked_at_twice_and_not_read(
    ftp_server: FtpServer, archive_root: Path, context: dict
) -> None:
    put(ftp_server, FAULTS["complete and growing"])
    metrics = make_op().execute(context)
    assert [m["path"] for m in metrics] == [f"{RUN_FOLDER}/shipments_1.csv"]
    assert metrics[0]["rows"] == 2 and metrics[0]["bytes"] == len(COMPLETE)
    assert ftp_server.commands.count("SIZE /outbox/growing_1.csv") == 2
    assert "RETR /outbox/growing_1.csv" not in ftp_server.commands
    assert "RETR /outbox/shipments_1.csv" in ftp_server.commands


def test_several_files_are_archived_each_with_a_manifest(
    ftp_server: FtpServer, archive_root: Path, context: dict
) -> None:
    put(ftp_server, {"a.csv": COMPLETE, "b.csv": b"id,weight\n3,1.0\n"})
    metrics = make_op().execute(context)
    assert [m["rows"] for m in metrics] == [2, 1]
    manifest = json.loads((archive_root / RUN_FOLDER / "b.csv.manifest.json").read_text())
    assert manifest["sha256"] == metrics[1]["sha256"]
    assert manifest["source_url"] == metrics[1]["source_url"] == "ftp://ftp_default/outbox/b.csv"


def test_binary_files_are_archived_as_they_are(
    ftp_server: FtpServer, archive_root: Path, context: dict
) -> None:
    scan = b"%PDF-1.7\x00\xff binary"
    put(ftp_server, {"scan.pdf": scan})
    (metrics,) = make_op(pattern="*.pdf", payload_format="bytes").execute(context)
    assert metrics["rows"] is None and metrics["bytes"] == len(scan)
    assert (archive_root / RUN_FOLDER / "scan.pdf").read_bytes() == scan


def test_sensor_waits_for_a_stable_non_empty_file(ftp_server: FtpServer, context: dict) -> None:
    sensor = FtpStableFileSensor(task_id="wait", directory="/outbox", pattern="*.csv", settle_seconds=0)
    put(ftp_server, {"growing_1.csv": b"id\n", "empty.csv": b""})
    assert sensor.poke(context) is False
    put(ftp_server, {"shipments_1.csv": COMPLETE})
    assert sensor.poke(context) is True


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("truncated transfer", r"truncated_1\.csv arrived with 12 bytes where the server announced 22"),
        ("corrupt csv", r"shipments_1\.csv line 2: 3 fields where the header has 2"),
        ("empty file", r"returned no data; set on_empty='skip' or on_empty='succeed'"),
    ],
)
def test_failures_say_what_happened(
    fault: str, message: str, ftp_server: FtpServer, archive_root: Path, context: dict
) -> None:
    put(ftp_server, FAULTS[fault])
    with pytest.raises(Exception, match=message):
        make_op().execute(context)


def test_a_server_that_never_greets_times_out_and_is_retried(
    archive_root: Path, context: dict, outcome: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as silent:  # the kernel completes the connection; nobody ever answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        monkeypatch.setenv(
            "AIRFLOW_CONN_FTP_DEFAULT", json.dumps({"conn_type": "ftp", "host": "127.0.0.1", "port": port})
        )
        assert outcome(make_op(timeout=0.3), context) == "failed-retried"
    assert archived_files(archive_root) == []


def test_the_timeout_is_the_connections_own_and_no_other_socket_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Before, the hook set the process-wide default timeout while it connected: a socket another thread
    # of the worker opened meanwhile got the FTP timeout. The silent server holds the hook right there.
    assert socket.getdefaulttimeout() is None
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        monkeypatch.setenv(
            "AIRFLOW_CONN_FTP_SILENT",
            json.dumps({"conn_type": "ftp", "host": "127.0.0.1", "port": silent.getsockname()[1]}),
        )
        hook = FtpArchiveHook(ftp_conn_id="ftp_silent", timeout=120)
        failures: list[BaseException] = []

        def connect() -> None:
            try:
                hook.get_conn()
            except BaseException as error:  # the hook's end when the server hangs up
                failures.append(error)

        connecting = threading.Thread(target=connect)
        connecting.start()
        accepted, _ = silent.accept()  # the hook is connected and waits for the greeting now
        try:
            with socket.socket() as other:
                assert other.gettimeout() is None
            assert socket.getdefaulttimeout() is None
        finally:
            accepted.close()  # the server hangs up: the hook fails at once
            connecting.join()
    assert len(failures) == 1 and isinstance(failures[0], EOFError | OSError)
    assert socket.getdefaulttimeout() is None


def test_the_connection_and_its_data_connections_carry_the_timeout(ftp_server: FtpServer) -> None:
    put(ftp_server, {"shipments_1.csv": COMPLETE})
    with FtpArchiveHook(timeout=7.5) as hook:
        conn = hook.get_conn()
        assert conn.sock is not None and conn.sock.gettimeout() == 7.5
        assert b"".join(hook.iter_file("/outbox/shipments_1.csv")) == COMPLETE  # through a data connection
        assert conn.timeout == 7.5
    assert socket.getdefaulttimeout() is None


@pytest.mark.parametrize("on_empty", ALL)
def test_a_refused_login_is_not_retried_and_names_the_connection(
    on_empty: str,
    ftp_server: FtpServer,
    archive_root: Path,
    context: dict,
    outcome: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    put(ftp_server, {"shipments_1.csv": COMPLETE})
    monkeypatch.setenv(
        "AIRFLOW_CONN_FTP_DEFAULT",
        json.dumps(
            {
                "conn_type": "ftp",
                "host": "127.0.0.1",
                "port": ftp_server.port,
                "login": "etl",
                "password": "wrong",
            }
        ),
    )
    op = make_op(on_empty=on_empty)
    assert outcome(op, context) == "failed-not-retried"
    with pytest.raises(
        ConfigurationError,
        match=r"the FTP server of 'ftp_default' refused the login \(530 .*\): check the connection's login "
        r"and password \(not retried\)",
    ):
        op.execute(context)
    assert archived_files(archive_root) == []
    assert sorted(p.name for p in (ftp_server.root / "outbox").iterdir()) == ["shipments_1.csv"]


def test_a_hidden_file_the_pattern_matches_fails_without_retry(
    ftp_server: FtpServer, archive_root: Path, context: dict, outcome: Any
) -> None:
    # The archive keeps no hidden files; before, the ValueError was retried without end.
    put(ftp_server, {".shipments_1.csv": COMPLETE})
    op = make_op(pattern="*shipments_1.csv", on_empty="succeed")  # not the outcome of an empty folder
    assert outcome(op, context) == "failed-not-retried"
    with pytest.raises(ConfigurationError, match=r"archive key name='\.shipments_1\.csv' must be one"):
        op.execute(context)
    assert archived_files(archive_root) == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"timeout": 0}, "timeout=0 must be a number of seconds above 0"),
        ({"source": "partner/ftp"}, "archive key source='partner/ftp' must be one non-empty path segment"),
    ],
)
def test_bad_arguments_are_refused_when_the_dag_is_parsed(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_op(**arguments)
