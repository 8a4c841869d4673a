"""Extract 5 million rows from PostgreSQL with SqlToArchiveOperator: peak memory with the server-side cursor
beside the driver's default (client-side) cursor, in the same run, against the same table.

Target (issue 13): ``batch_size`` bounds memory on PostgreSQL. The default cursor of psycopg (3 and 2)
reads the whole result into the client's memory on ``execute``, whatever ``batch_size`` says; the
operator now declares a cursor on the server and fetches ``batch_size`` rows at a time. The baseline is
the same operator with ``etl_platform.operators.sql.open_cursor`` replaced by ``conn.cursor()``, the
cursor it used before. Each extract runs in its own process, so each peak RSS (from ``os.wait4``) is its
own; it includes importing Airflow, measured in the same child before the extract.

The cluster is a throwaway one started as the test fixture starts it (``initdb`` and ``pg_ctl`` from
Debian's ``postgresql`` package, as the ``postgres`` user, in a temporary folder, on 127.0.0.1).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")
ROWS = 5_000_000
BATCH_SIZE = 10_000
#: The server-side cursor's peak must stay below this many MB above the process after its imports.
TARGET_GROWTH_MB = 100

EXTRACT = textwrap.dedent(
    """
    import datetime, json, resource, sys, time
    import etl_platform.operators.sql as sql

    if sys.argv[1] == "client-side":
        # The cursor the operator used before: the driver's default, which holds the whole result.
        sql.open_cursor = lambda hook, conn, batch_size: conn.cursor()
    op = sql.SqlToArchiveOperator(
        task_id="bench", sql="SELECT id, customer, total, created FROM orders", conn_id="pg",
        source="bench", dataset="orders", name="orders.csv", batch_size=int(sys.argv[2]),
    )
    baseline_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    context = {"logical_date": datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC), "run_id": sys.argv[1]}
    start = time.monotonic()
    metrics = op.execute(context)
    seconds = time.monotonic() - start
    print(json.dumps({"seconds": seconds, "rows": metrics["rows"], "bytes": metrics["bytes"],
                      "baseline_mb": baseline_mb}))
    """
)


def free_port() -> int:
    """Ask the kernel for a free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def postgres_cluster() -> Iterator[int]:
    """Start a throwaway PostgreSQL cluster as the test fixture does; yield its port.

    :raises RuntimeError: when Debian's PostgreSQL binaries are missing.
    """
    if not (PG_BIN / "initdb").exists():
        raise RuntimeError(f"{PG_BIN / 'initdb'} is missing: run python3 tools/bootstrap.py test")
    folder = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    shutil.chown(folder, "postgres", "postgres")
    port = free_port()
    as_postgres = ["runuser", "-u", "postgres", "--"]
    data = folder / "data"
    subprocess.run(
        [*as_postgres, str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_ctl = [*as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(data)]
    subprocess.run(
        [*pg_ctl, "-o", options, "-w", "-l", str(folder / "log"), "start"], check=True, capture_output=True
    )
    try:
        yield port
    finally:
        subprocess.run([*pg_ctl, "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def psql(port: int, sql: str) -> None:
    """Run SQL on the cluster as ``postgres``."""
    client = ["runuser", "-u", "postgres", "--", str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(port)]
    subprocess.run([*client, "-U", "postgres", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True)


def run_extract(cursor: str, port: int, folder: Path) -> dict[str, float]:
    """Extract the table in a child process with the ``cursor`` given; add its peak RSS in MB.

    :param cursor: ``"server-side"`` (the operator as it is) or ``"client-side"`` (as it was).
    :returns: ``seconds``, ``rows``, ``bytes``, ``baseline_mb`` (after imports) and ``peak_mb``.
    """
    connection = {"conn_type": "postgres", "host": "127.0.0.1", "port": port, "login": "postgres"}
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(folder / "airflow"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW_CONN_PG": json.dumps({**connection, "schema": "postgres"}),
        "AIRFLOW_CONN_ARCHIVE_DEFAULT": json.dumps(
            {"conn_type": "etl_archive", "extra": {"root": str(folder / "archive")}}
        ),
    }
    child = subprocess.Popen(
        [sys.executable, "-c", EXTRACT, cursor, str(BATCH_SIZE)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    shutil.rmtree(folder / "archive", ignore_errors=True)
    if os.waitstatus_to_exitcode(status):
        raise RuntimeError(f"the {cursor} extract failed (exit {os.waitstatus_to_exitcode(status)})")
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    result["peak_mb"] = usage.ru_maxrss / 1024
    return result


def main() -> int:
    """Print the benchmark's table; return 1 when the target is missed."""
    folder = Path(tempfile.mkdtemp(prefix="bench-sql-extract-"))
    try:
        with postgres_cluster() as port:
            psql(
                port,
                "CREATE TABLE orders AS SELECT g AS id, 'customer-' || g AS customer, "
                "(g % 10000) / 100.0 AS total, timestamptz '2026-01-01' + g * interval '1 second' AS created "
                f"FROM generate_series(1, {ROWS}) g",
            )
            # The baseline first: the server-side run then finds no page cache in its favour it lacked.
            runs = {cursor: run_extract(cursor, port, folder) for cursor in ("client-side", "server-side")}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert all(run["rows"] == ROWS for run in runs.values()), runs
    assert runs["client-side"]["bytes"] == runs["server-side"]["bytes"], runs
    print(
        f"{ROWS:,} rows (id, customer, total, created), batch_size={BATCH_SIZE:,}, CSV into a local archive;"
    )
    print("each extract in its own process. 'after imports' is the same process before the extract.\n")
    print("| cursor | wall time (s) | archived (MB) | after imports (MB) | peak RSS (MB) | growth (MB) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for cursor, label in (
        ("client-side", "client-side, the driver's default (before, baseline)"),
        ("server-side", "server-side, named (now)"),
    ):
        run = runs[cursor]
        growth = run["peak_mb"] - run["baseline_mb"]
        print(
            f"| {label} | {run['seconds']:.1f} | {run['bytes'] / 1e6:.0f} | {run['baseline_mb']:.0f} "
            f"| {run['peak_mb']:.0f} | {growth:.0f} |"
        )
    growth = runs["server-side"]["peak_mb"] - runs["server-side"]["baseline_mb"]
    met = growth < TARGET_GROWTH_MB
    verdict = "met" if met else "MISSED"
    print(f"\n- server-side growth: {growth:.0f} MB (target < {TARGET_GROWTH_MB} MB): {verdict}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
