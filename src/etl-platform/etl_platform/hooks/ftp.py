"""The FTP provider's hook, with what ingesting needs on top: stable files and streamed reads."""

from __future__ import annotations

import fnmatch
import ftplib
import posixpath
import time
from collections.abc import Iterator
from typing import Any

from airflow.providers.ftp.hooks.ftp import FTPHook

from etl_platform.archive import CHUNK_SIZE
from etl_platform.policy import ConfigurationError


def _passive(extra: dict[str, Any]) -> bool:
    """Read the connection's ``passive`` extra as ``FTPHook`` does: passive unless set false.

    :param extra: the connection's extra field.
    :returns: whether to use passive mode.
    """
    value = extra.get("passive", True)
    return value.strip().lower() not in {"false", "0", "no", "off"} if isinstance(value, str) else bool(value)


class FtpArchiveHook(FTPHook):
    """Find the files of an FTP folder that have finished arriving, and stream them.

    A file still being written is told apart by looking at its size twice, ``settle_seconds`` apart:
    a file whose size changed between the two looks is not taken this time.

    :param ftp_conn_id: the FTP connection (host, port, login, password; ``passive`` in its extra).
    :param timeout: seconds to wait for the server's answers and for each read of a file, above 0.
    :raises ConfigurationError: when ``timeout`` is not above 0.
    """

    conn_name_attr = "ftp_conn_id"
    default_conn_name = "ftp_default"
    conn_type = "ftp"
    hook_name = "FTP (stable files)"

    def __init__(self, *, ftp_conn_id: str = default_conn_name, timeout: float = 60.0) -> None:
        super().__init__(ftp_conn_id=ftp_conn_id)
        if not timeout > 0:
            raise ConfigurationError(f"timeout={timeout!r} must be a number of seconds above 0")
        self.timeout = timeout

    def get_conn(self) -> ftplib.FTP:
        """Connect and log in as ``FTPHook`` does, with ``timeout`` on this connection's sockets only.

        ``FTPHook`` connects without a timeout, so a server that accepts the connection and never
        greets would hang the task; ``ftplib`` takes a timeout per connection, which applies to the
        control connection from its first byte and to every data connection it opens.

        :returns: the logged-in connection.
        """
        if self.conn is None:
            params = self.get_connection(self.ftp_conn_id)
            extra = params.extra_dejson
            self.encoding = extra.get("encoding")
            conn = ftplib.FTP(timeout=self.timeout, encoding=self.encoding or "utf-8")  # nosec: B321
            self.conn = conn
            if params.host:
                conn.connect(params.host, params.port or ftplib.FTP_PORT)
                if params.login:
                    conn.login(params.login, params.password or "")
            conn.set_pasv(_passive(extra))
        return self.conn

    def __exit__(self, *exc_info: object) -> None:
        """Close the connection without letting a failed ``QUIT`` hide the error that ended the block."""
        if self.conn is not None:
            try:
                self.conn.quit()
            except (OSError, EOFError, AttributeError, ftplib.Error):
                self.conn.close()
            self.conn = None

    def matching_files(self, directory: str, pattern: str) -> list[str]:
        """List the files of a folder whose names match a shell-style pattern.

        :param directory: the remote folder.
        :param pattern: a pattern such as ``orders_*.csv``.
        :returns: the matching files' full paths, sorted.
        """
        names = (posixpath.basename(entry) for entry in self.list_directory(directory))
        return sorted(posixpath.join(directory, name) for name in names if fnmatch.fnmatchcase(name, pattern))

    def size(self, path: str) -> int:
        """Ask the server for a file's size in bytes (``SIZE`` in binary mode; 0 is a size).

        :param path: the remote file.
        :returns: its size.
        """
        conn = self.get_conn()
        conn.voidcmd("TYPE I")
        return int(conn.size(path) or 0)

    def stable_files(
        self, directory: str, pattern: str, settle_seconds: float
    ) -> tuple[dict[str, int], list[str]]:
        """Look at the matching files' sizes twice and split them into stable and still growing.

        :param directory: the remote folder.
        :param pattern: a shell-style pattern for the file names.
        :param settle_seconds: the time between the two looks.
        :returns: the stable files with their sizes, and the files whose size changed.
        """
        paths = self.matching_files(directory, pattern)
        first = {path: self.size(path) for path in paths}
        if paths and settle_seconds > 0:
            # The pause is the measurement itself: a writer needs time to change the size.
            time.sleep(settle_seconds)
        second = {path: self.size(path) for path in paths}
        stable = {path: size for path, size in second.items() if first[path] == size}
        return stable, [path for path in paths if path not in stable]

    def iter_file(self, path: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """Stream a remote file in binary mode, chunk by chunk, as it arrives.

        ``FTPHook.retrieve_file`` pushes blocks into a callback; ingesting validates while it reads, so
        this pulls from the same ``RETR`` data connection that ``ftplib.FTP.retrbinary`` opens.

        :param path: the remote file.
        :param chunk_size: bytes per chunk.
        :returns: the file's bytes in chunks.
        """
        conn = self.get_conn()
        conn.voidcmd("TYPE I")
        with conn.transfercmd(f"RETR {path}") as data:
            while chunk := data.recv(chunk_size):
                yield chunk
        conn.voidresp()
