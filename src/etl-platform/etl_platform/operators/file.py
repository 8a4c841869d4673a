"""Archive a file that a producer has left in a local folder (or a share mounted on the workers)."""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from etl_platform.archive import CHUNK_SIZE, StagedPayload, check_key_segment
from etl_platform.formats import CONTENT_TYPES, count_csv_rows, read_chunks
from etl_platform.hooks.archive import ArchiveHook
from etl_platform.ingest import IngestRun
from etl_platform.policy import (
    ConfigurationError,
    DataError,
    OnEmpty,
    SourceUnavailableError,
    parse_on_empty,
    refuse_empty,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

PAYLOAD_FORMATS = ("csv", "bytes")


class FileToArchiveOperator(BaseOperator):
    """Archive one file of a local folder, validated while it streams, before anything else touches it.

    The file is streamed into the archive (see :class:`~etl_platform.hooks.archive.ArchiveHook`) at
    ``{source}/{dataset}/{YYYY}/{MM}/{DD}/{run_id}/{file name}``; CSV is validated and its records
    counted on the way. The file's size and modification time are read before and after; a file that
    changed in between was still being written and is not archived. The task returns the transfer's
    metrics (``path``, ``rows``, ``bytes``, ``duration_seconds``, ``sha256``, ``source_url``,
    ``created``) in XCom and sends them to Airflow's stats. The file itself is left where it is.

    .. rubric:: Failure behaviour

    - **Empty file** (no bytes, or a CSV with only its header): ``on_empty="fail"`` fails the task
      without retry and archives nothing; ``"skip"`` skips it (and its downstream tasks) and archives
      nothing; ``"succeed"`` archives the empty file and returns ``rows=0``.
    - **Missing file**: fails with an error Airflow retries (the producer may be late); nothing is
      archived. To wait for the file instead, put a ``FileSensor`` before the task.
    - **A file still being written** (its size or modification time changes while it is read) and
      **corrupt CSV** (unparsable, not UTF-8, a record wider or narrower than the header): fails without
      retry; nothing is archived. Have the producer write under another name and rename the file when
      it is complete.
    - **Unreadable file** (permission denied), a path that is relative or not a regular file, a file
      name starting with a dot: fails without retry, naming the path and what to change; nothing is
      archived.
    - **A different file already archived for the run**: fails without retry, naming both checksums;
      the archived file is kept. The same file again is a no-op.

    .. seealso:: :ref:`howto/operator:FileToArchiveOperator`

    :param path: the file's absolute path on the worker, e.g. ``/srv/drop/orders.csv``. (templated)
    :param source: the source system's name in the archive path, e.g. ``partner-drop``.
    :param dataset: the dataset's name in the archive path, e.g. ``orders``.
    :param payload_format: ``"csv"`` (validated, records counted) or ``"bytes"`` (archived as it is).
    :param archive_conn_id: the ``etl_archive`` connection of the archive.
    :param on_empty: ``"fail"``, ``"skip"`` or ``"succeed"`` when the file has no data.
    """

    template_fields: Sequence[str] = ("path",)
    ui_color = "#eef7e8"

    def __init__(
        self,
        *,
        path: str,
        source: str,
        dataset: str,
        payload_format: str = "csv",
        archive_conn_id: str = ArchiveHook.default_conn_name,
        on_empty: str = OnEmpty.FAIL.value,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if payload_format not in PAYLOAD_FORMATS:
            raise ValueError(f"payload_format={payload_format!r} is not one of {', '.join(PAYLOAD_FORMATS)}")
        # Checked here so that a bad name breaks the DAG's import, not its runs.
        check_key_segment("source", source)
        check_key_segment("dataset", dataset)
        self.path = path
        self.source = source
        self.dataset = dataset
        self.payload_format = payload_format
        self.archive_conn_id = archive_conn_id
        self.on_empty = parse_on_empty(on_empty)

    def execute(self, context: Context) -> dict[str, Any]:
        """Read, validate and archive the file.

        :param context: the task's Airflow context.
        :returns: the transfer's metrics.
        """
        # The path is known only now, rendered: check it before the archive is touched.
        path = Path(self.path)
        if not path.is_absolute():
            raise ConfigurationError(
                f"path={self.path!r} is relative: the workers' working folder is not defined, give the "
                "file's absolute path (not retried)"
            )
        check_key_segment("name", path.name)
        run = IngestRun(self, context)
        source_url = path.as_uri()
        with open_source_file(path) as (file, before), run.stage(path.name) as staged:
            rows = self._stream(file, staged)
            after = os.fstat(file.fileno())
            # The same file (not one renamed over it), unchanged, read to its end.
            if _identity(after) != _identity(before) or staged.size != before.st_size:
                raise DataError(
                    f"{path} changed while it was read ({before.st_size} bytes before, "
                    f"{after.st_size} after, {staged.size} read): it is still being written; nothing was "
                    "archived (not retried). Have the producer write under another name and rename the file "
                    "when it is complete"
                )
            if staged.size == 0 or rows == 0:
                refuse_empty(self.on_empty, source_url)
            manifest = staged.commit(
                source_url=source_url, content_type=CONTENT_TYPES[self.payload_format], rows=rows
            )
        return run.report(staged, manifest, source_url=source_url)

    def _stream(self, file: io.BufferedReader, staged: StagedPayload) -> int | None:
        """Copy the file into the staged payload; validate and count CSV records on the way."""

        def archived() -> Iterator[bytes]:
            for chunk in read_chunks(file, CHUNK_SIZE):
                staged.write(chunk)
                yield chunk

        if self.payload_format == "csv":
            return count_csv_rows(archived(), str(file.name))
        for _ in archived():
            pass
        return None


def _identity(status: os.stat_result) -> tuple[int, int, int, int]:
    """Return what changes when a file is written to or replaced: device, inode, size, modification time."""
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)


@contextmanager
def open_source_file(path: Path) -> Iterator[tuple[io.BufferedReader, os.stat_result]]:
    """Open a local file for reading, with its status from before it was opened, in the policy's terms.

    :param path: the file's absolute path.
    :raises SourceUnavailableError: when the file does not exist (yet); Airflow retries.
    :raises ConfigurationError: when it cannot be read (permission denied) or is not a regular file.
    :returns: a context manager giving the open file and its status.
    """
    try:
        before = path.stat()
        if not stat.S_ISREG(before.st_mode):
            raise ConfigurationError(
                f"{path} is not a regular file (a folder, a device or a pipe): give the path of one file "
                "(not retried)"
            )
        file = path.open("rb")
    except FileNotFoundError:
        raise SourceUnavailableError(
            f"{path} does not exist (yet); Airflow will retry the task. To wait for the file, put a "
            "FileSensor before this task"
        ) from None
    except PermissionError as error:
        raise ConfigurationError(
            f"{path} cannot be read ({error.strerror}): give the workers' user read access to the file and "
            "its folders (not retried)"
        ) from None
    with file:
        yield file, before
