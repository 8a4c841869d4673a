import json
from pathlib import Path
from typing import Any

import pytest
import requests
from etl_fixtures import HttpServer, Reply, archived_files, free_port

from etl_platform.operators.http import HttpToArchiveOperator
from etl_platform.policy import ConfigurationError

ORDERS = [{"id": 1, "total": 9.5}, {"id": 2, "total": 3.0}]
RUN_FOLDER = "orders-api/orders/2026/11/24/scheduled_1"
PAYLOAD = f"{RUN_FOLDER}/orders.jsonl"


def make_op(**overrides: Any) -> HttpToArchiveOperator:
    arguments: dict[str, Any] = {
        "task_id": "ingest_orders",
        "endpoint": "/orders",
        "source": "orders-api",
        "dataset": "orders",
        "name": "orders.jsonl",
        "timeout": 0.5,
        "request_retries": 1,
        "retry_backoff": 0,
        **overrides,
    }
    return HttpToArchiveOperator(**arguments)


def jsonl(records: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(r, separators=(",", ":")).encode() + b"\n" for r in records)


GOOD = Reply(body=json.dumps(ORDERS).encode())
#: Each fault: what the server answers, and what the archive holds afterwards.
FAULTS: dict[str, list[Reply]] = {
    "good": [GOOD],
    "empty body": [Reply(body=b"")],
    "empty list": [Reply(body=b"[]")],
    "truncated body": [Reply(body=json.dumps(ORDERS).encode()[:10], declared_length=200)],
    "unparsable json": [Reply(body=b'[{"id": 1},')],
    "object where a list is expected": [Reply(body=b'{"items": [{"id": 1}]}')],
    "slow beyond timeout": [Reply(hold=True)],
    "500 then 200": [Reply(status=500), GOOD],
    "500 always": [Reply(status=500)],
    "404": [Reply(status=404, body=b'{"error": "no such endpoint"}')],
    # "Not now" rather than "not this request": before, failed at once like any 4xx.
    "429 then 200": [Reply(status=429, headers={"Retry-After": "0"}), GOOD],
    "429 always": [Reply(status=429)],
    "408 always": [Reply(status=408)],
}
#: fault -> on_empty -> (outcome, payload in the archive afterwards or None)
EXPECTED: dict[str, dict[str, tuple[str, bytes | None]]] = {
    "good": {p: ("success", jsonl(ORDERS)) for p in ("fail", "skip", "succeed")},
    "empty body": {
        "fail": ("failed-not-retried", None),
        "skip": ("skipped", None),
        "succeed": ("success", b""),
    },
    "empty list": {
        "fail": ("failed-not-retried", None),
        "skip": ("skipped", None),
        "succeed": ("success", b""),
    },
    "truncated body": {p: ("failed-not-retried", None) for p in ("fail", "skip", "succeed")},
    "unparsable json": {p: ("failed-not-retried", None) for p in ("fail", "skip", "succeed")},
    "object where a list is expected": {p: ("failed-not-retried", None) for p in ("fail", "skip", "succeed")},
    "slow beyond timeout": {p: ("failed-retried", None) for p in ("fail", "skip", "succeed")},
    "500 then 200": {p: ("success", jsonl(ORDERS)) for p in ("fail", "skip", "succeed")},
    "500 always": {p: ("failed-retried", None) for p in ("fail", "skip", "succeed")},
    "404": {p: ("failed-not-retried", None) for p in ("fail", "skip", "succeed")},
    "429 then 200": {p: ("success", jsonl(ORDERS)) for p in ("fail", "skip", "succeed")},
    "429 always": {p: ("failed-retried", None) for p in ("fail", "skip", "succeed")},
    "408 always": {p: ("failed-retried", None) for p in ("fail", "skip", "succeed")},
}


@pytest.mark.parametrize("on_empty", ["fail", "skip", "succeed"])
@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_matrix(
    fault: str, on_empty: str, http_server: HttpServer, archive_root: Path, context: dict, outcome: Any
) -> None:
    http_server.serve("/orders", *FAULTS[fault])
    expected_outcome, expected_payload = EXPECTED[fault][on_empty]

    assert outcome(make_op(on_empty=on_empty), context) == expected_outcome

    if expected_payload is None:
        assert archived_files(archive_root) == []
    else:
        assert archived_files(archive_root) == [PAYLOAD, f"{PAYLOAD}.manifest.json"]
        assert (archive_root / PAYLOAD).read_bytes() == expected_payload


@pytest.mark.parametrize(
    ("fault", "attempts"),
    [
        ("500 then 200", 2),
        ("500 always", 3),
        ("404", 1),
        ("slow beyond timeout", 3),
        ("429 then 200", 2),
        ("429 always", 3),
        ("408 always", 3),
    ],
)
def test_5xx_and_timeouts_are_retried_in_the_task_but_4xx_is_not(
    fault: str, attempts: int, http_server: HttpServer, archive_root: Path, context: dict, outcome: Any
) -> None:
    http_server.serve("/orders", *FAULTS[fault])
    outcome(make_op(request_retries=2), context)
    assert http_server.requests == ["/orders"] * attempts


@pytest.mark.parametrize("on_empty", ["fail", "skip", "succeed"])
def test_unreachable_source_is_retried_by_airflow(
    on_empty: str, archive_root: Path, context: dict, outcome: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_CLOSED", json.dumps({"conn_type": "http", "host": "127.0.0.1", "port": free_port()})
    )
    assert outcome(make_op(http_conn_id="closed", on_empty=on_empty), context) == "failed-retried"
    assert archived_files(archive_root) == []


def test_messages_name_the_url_and_the_decision(
    http_server: HttpServer, archive_root: Path, context: dict
) -> None:
    http_server.serve("/orders", FAULTS["404"][0])
    with pytest.raises(Exception, match=r"GET http://127\.0\.0\.1:\d+/orders answered 404 .*not retried"):
        make_op().execute(context=context)
    http_server.serve("/orders", *FAULTS["truncated body"])
    with pytest.raises(Exception, match=r"truncated body.*nothing was archived"):
        make_op().execute(context=context)


def test_pages_are_followed_and_joined(http_server: HttpServer, archive_root: Path, context: dict) -> None:
    http_server.serve("/orders?page=1", Reply(body=json.dumps({"items": ORDERS[:1], "next": 2}).encode()))
    http_server.serve("/orders?page=2", Reply(body=json.dumps({"items": ORDERS[1:], "next": None}).encode()))

    def next_page(response: requests.Response) -> dict[str, Any] | None:
        following = response.json()["next"]
        return None if following is None else {"data": {"page": following}}

    metrics = make_op(data={"page": 1}, records_key="items", pagination_function=next_page).execute(context)

    assert http_server.requests == ["/orders?page=1", "/orders?page=2"]
    assert (archive_root / PAYLOAD).read_bytes() == jsonl(ORDERS)
    assert metrics["rows"] == 2 and metrics["path"] == PAYLOAD and metrics["bytes"] == len(jsonl(ORDERS))
    manifest = json.loads((archive_root / f"{PAYLOAD}.manifest.json").read_text())
    assert manifest["sha256"] == metrics["sha256"] and manifest["rows"] == 2
    assert manifest["source_url"].endswith("/orders?page=1")
    assert manifest["content_type"] == "application/x-ndjson"


def test_endless_pagination_stops_at_max_pages(
    http_server: HttpServer, archive_root: Path, context: dict
) -> None:
    http_server.serve("/orders", GOOD)
    op = make_op(pagination_function=lambda response: {}, max_pages=3)
    with pytest.raises(Exception, match="more than max_pages=3 pages"):
        op.execute(context)
    assert len(http_server.requests) == 3 and archived_files(archive_root) == []


def test_rerun_with_the_same_payload_is_a_no_op(
    http_server: HttpServer, archive_root: Path, context: dict
) -> None:
    http_server.serve("/orders", GOOD)
    first = make_op().execute(context)
    again = make_op().execute(context)
    assert first["created"] and not again["created"] and again["sha256"] == first["sha256"]


def test_rerun_with_a_different_payload_fails_and_keeps_the_archived_one(
    http_server: HttpServer, archive_root: Path, context: dict, outcome: Any
) -> None:
    http_server.serve("/orders", GOOD)
    first = make_op().execute(context)
    http_server.serve("/orders", Reply(body=json.dumps(ORDERS[:1]).encode()))
    with pytest.raises(Exception, match=f"already archived with sha256 {first['sha256']}"):
        make_op().execute(context)
    assert (archive_root / PAYLOAD).read_bytes() == jsonl(ORDERS)
    assert archived_files(archive_root) == [PAYLOAD, f"{PAYLOAD}.manifest.json"]


def test_csv_is_validated_while_it_streams(
    http_server: HttpServer, archive_root: Path, context: dict
) -> None:
    csv_body = b"id,total\n1,9.5\n2,3.0\n"
    http_server.serve("/orders.csv", Reply(body=csv_body, content_type="text/csv"))
    metrics = make_op(endpoint="/orders.csv", name="orders.csv", payload_format="csv").execute(context)
    assert metrics["rows"] == 2 and (archive_root / RUN_FOLDER / "orders.csv").read_bytes() == csv_body

    http_server.serve("/bad.csv", Reply(body=b"id,total\n1,9.5,extra\n", content_type="text/csv"))
    with pytest.raises(Exception, match="line 2: 3 fields where the header has 2"):
        make_op(endpoint="/bad.csv", name="bad.csv", payload_format="csv").execute(context)
    assert not (archive_root / RUN_FOLDER / "bad.csv").exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"on_empty": "ignore"}, "on_empty='ignore' is not a policy: use one of 'fail', 'skip', 'succeed'"),
        ({"payload_format": "xml"}, "payload_format='xml' is not one of json, csv, bytes"),
        ({"payload_format": "csv", "pagination_function": lambda r: None}, "pagination_function needs"),
        ({"timeout": 0}, "timeout=0 must be a number of seconds above 0"),
        ({"max_pages": 0}, "max_pages=0 must be at least 1"),
        ({"request_retries": -1}, "request_retries=-1 must be 0 or more"),
        ({"retry_backoff": -1}, "retry_backoff=-1 must be 0 or more seconds"),
        ({"dataset": "orders/2026"}, "archive key dataset='orders/2026' must be one non-empty path segment"),
    ],
)
def test_bad_arguments_are_refused_when_the_dag_is_parsed(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_op(**arguments)


@pytest.mark.parametrize("on_empty", ["fail", "skip", "succeed"])
def test_a_url_that_cannot_be_sent_fails_without_retry_naming_the_connection(
    on_empty: str,
    http_server: HttpServer,
    archive_root: Path,
    context: dict,
    outcome: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = http_server.server.server_address[1]
    monkeypatch.setenv(
        "AIRFLOW_CONN_TYPO",
        json.dumps({"conn_type": "http", "host": "127.0.0.1", "port": port, "schema": "htps"}),
    )
    op = make_op(http_conn_id="typo", on_empty=on_empty)
    assert outcome(op, context) == "failed-not-retried"  # before: retried
    with pytest.raises(
        ConfigurationError,
        match=r"GET htps://127\.0\.0\.1:\d+/orders cannot be sent \(InvalidSchema: .*\): check the host and "
        r"schema of the connection 'typo'",
    ):
        op.execute(context)
    assert http_server.requests == [] and archived_files(archive_root) == []


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("rendered name", r"archive key name='\.\./orders\.jsonl' must be one non-empty path segment"),
        ("archive without root", r"connection 'bare' has no 'root' in its extra field"),
    ],
)
def test_settings_known_only_when_the_task_runs_fail_without_retry(
    setting: str,
    message: str,
    http_server: HttpServer,
    archive_root: Path,
    context: dict,
    outcome: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    http_server.serve("/orders", GOOD)
    monkeypatch.setenv("AIRFLOW_CONN_BARE", json.dumps({"conn_type": "etl_archive"}))
    op = make_op(name="../orders.jsonl") if setting == "rendered name" else make_op(archive_conn_id="bare")
    assert outcome(op, context) == "failed-not-retried"  # before: a ValueError, retried
    with pytest.raises(ConfigurationError, match=message):
        op.execute(context)
    assert http_server.requests == [] and archived_files(archive_root) == []
