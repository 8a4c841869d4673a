"""The FTP provider's hook, with what ingesting needs on top: stable files and streamed reads."""

from __future__ import annotations

import fnmatch
import ftplib
import posixpath
import socket
import time
from collections.abc import Iterator

from airflow.providers.ftp.hooks.ftp import FTPHook

from etl_platform.archive import CHUNK_SIZE


class FtpArchiveHook(FTPHook):
    """Find the files of an FTP folder that have finished arriving, and stream them.

    A file still being written is told apart by looking at its size twice, ``settle_seconds`` apart:
    a file whose size changed between the two looks is not taken this time.

    :param ftp_conn_id: the FTP connection (host, port, login, password; ``passive`` in its extra).
    :param timeout: seconds to wait for the server's answers and for each read of a file.
    """

    conn_name_attr = "ftp_conn_id"
    default_conn_name = "ftp_default"
    conn_type = "ftp"
    hook_name = "FTP (stable files)"

    def __init__(self, *, ftp_conn_id: str = default_conn_name, timeout: float = 60.0) -> None:
        super().__init__(ftp_conn_id=ftp_conn_id)
        self.timeout = timeout

    def get_conn(self) -> ftplib.FTP:
        """Connect and log in as ``FTPHook`` does, with ``timeout`` applied from the first byte.

        ``FTPHook`` connects without a timeout, so a server that accepts the connection and never
        greets would hang the task. ``ftplib`` takes the process-wide default timeout when it is given
        none, so that default is set for the duration of the connection only.

        :returns: the logged-in connection.
        """
        if self.conn is None:
            previous = socket.getdefaulttimeout()
            socket.setdefaulttimeout(self.timeout)
            try:
                super().get_conn()
            finally:
                socket.setdefaulttimeout(previous)
        assert self.conn is not None
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
