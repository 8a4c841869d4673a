"""The platform tests' real servers and helpers (HTTP, FTP, PostgreSQL), imported by conftest and tests."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import socket
import subprocess
import threading
import urllib.parse
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def connection_env(conn: dict[str, Any]) -> str:
    return json.dumps(conn)


@dataclass
class Reply:
    """One canned answer. ``declared_length`` larger than the body makes a truncated response;
    ``hold`` makes the server wait (until the test ends) before answering, beyond any client timeout."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    declared_length: int | None = None
    hold: bool = False
    headers: dict[str, str] = field(default_factory=dict)


class HttpServer:
    """A real HTTP server whose routes answer with queued replies; it records every request it gets."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.requests: list[str] = []
        self.release = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                outer.requests.append(self.path)
                route = urllib.parse.urlsplit(self.path).path
                query = urllib.parse.urlsplit(self.path).query
                replies = outer.routes.get(f"{route}?{query}") or outer.routes.get(route)
                if not replies:
                    reply = Reply(status=404, body=b'{"error": "not found"}')
                else:
                    reply = replies.pop(0) if len(replies) > 1 else replies[0]
                if reply.hold:
                    outer.release.wait(60)
                    return
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                length = len(reply.body) if reply.declared_length is None else reply.declared_length
                self.send_header("Content-Length", str(length))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(reply.body)
                if reply.declared_length is not None:
                    self.close_connection = True

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def serve(self, path: str, *replies: Reply) -> None:
        """Answer ``path`` (optionally with ``?query``) with ``replies`` in order, the last one forever."""
        self.routes[path] = list(replies)

    def reset(self) -> None:
        self.routes.clear()
        self.requests.clear()
        self.release.set()
        self.release = threading.Event()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def archived_files(root: Path) -> list[str]:
    """Every file below the archive root, hidden ones included, as sorted relative paths."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


class FtpServer:
    """A real FTP server (pyftpdlib) on 127.0.0.1 serving a folder.

    Files whose name holds ``growing`` grow by a line each time a client asks for their size, as a file
    still being written would; files named ``truncated*`` are sent cut short (from their ``.short`` twin).
    """

    def __init__(self, root: Path) -> None:
        with warnings.catch_warnings():
            # pyftpdlib is built on asyncore, deprecated in Python 3.11: not ours to fix.
            warnings.simplefilter("ignore", DeprecationWarning)
            from pyftpdlib.authorizers import DummyAuthorizer
            from pyftpdlib.handlers import FTPHandler
            from pyftpdlib.servers import ThreadedFTPServer

        self.root = root
        self.commands: list[str] = []
        outer = self

        class Handler(FTPHandler):
            def pre_process_command(self, line: str, cmd: str, arg: str) -> None:
                outer.commands.append(f"{cmd} {arg}".strip())
                if cmd == "SIZE" and "growing" in os.path.basename(arg):
                    with open(os.path.join(outer.root, arg.lstrip("/")), "ab") as handle:
                        handle.write(b"more,rows\n")
                super().pre_process_command(line, cmd, arg)

            def ftp_RETR(self, file: str) -> Any:
                # A file named truncated* is announced at full size but sent short, as a cut transfer is.
                if os.path.basename(file).startswith("truncated"):
                    file = f"{file}.short"
                return super().ftp_RETR(file)

        authorizer = DummyAuthorizer()
        authorizer.add_user("etl", "secret", str(root), perm="elradfmw")
        Handler.authorizer = authorizer
        self.server = ThreadedFTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.address[1]
        threading.Thread(target=self.server.serve_forever, kwargs={"handle_exit": False}, daemon=True).start()

    def reset(self) -> None:
        self.commands.clear()
        for child in self.root.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()

    def close(self) -> None:
        self.server.close_all()


@dataclass
class Postgres:
    port: int
    folder: Path

    def conn(self, database: str = "postgres") -> dict[str, Any]:
        return {
            "conn_type": "postgres",
            "host": "127.0.0.1",
            "port": self.port,
            "login": "postgres",
            "schema": database,
        }

    def psql(self, sql: str) -> str:
        return subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                str(PG_BIN / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-At",
                "-c",
                sql,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout


def outcome_of(operator: Any, context: dict[str, Any]) -> str:
    """Run an operator's ``execute`` and name the outcome as Airflow's task runner decides it: a skip
    exception skips, ``AirflowFailException`` fails without retry, any other exception is retried."""
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    try:
        operator.execute(context=context)
    except AirflowSkipException:
        return "skipped"
    except AirflowFailException:
        return "failed-not-retried"
    except Exception:
        return "failed-retried"
    return "success"


def race_two_writers(archive: Any, key: Any, payloads: tuple[bytes, bytes]) -> dict[int, Any]:
    """Two threads stage ``payloads`` at one key and reach ``commit()`` together.

    :returns: each writer's outcome: ``"created"``, ``"no-op"`` or the ``ArchiveConflictError`` raised.
    """
    from etl_platform.archive import ArchiveConflictError

    at_commit = threading.Barrier(2)
    outcomes: dict[int, Any] = {}

    def writer(n: int) -> None:
        try:
            with archive.stage(key) as staged:
                staged.write(payloads[n])
                at_commit.wait()  # both have written everything; both publish at once
                staged.commit(source_url=f"writer {n}", content_type="text/csv")
                outcomes[n] = "created" if staged.created else "no-op"
        except ArchiveConflictError as error:
            outcomes[n] = error

    threads = [threading.Thread(target=writer, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
