"""Take the files of an FTP folder that have finished arriving, and archive them."""

from __future__ import annotations

import ftplib
import posixpath
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from etl_platform.archive import StagedPayload, check_key_segment
from etl_platform.formats import CONTENT_TYPES, count_csv_rows
from etl_platform.hooks.archive import ArchiveHook
from etl_platform.hooks.ftp import FtpArchiveHook
from etl_platform.ingest import IngestRun
from etl_platform.policy import (
    ConfigurationError,
    DataError,
    OnEmpty,
    RequestRejectedError,
    SourceUnavailableError,
    parse_on_empty,
    refuse_empty,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

PAYLOAD_FORMATS = ("csv", "bytes")
#: What a refused connection, a timeout or a dropped control connection raise in ftplib.
UNREACHABLE_ERRORS = (OSError, EOFError, ftplib.error_temp, ftplib.error_reply)


class FtpToArchiveOperator(BaseOperator):
    """Archive the files of an FTP folder that match a pattern and have finished arriving.

    Each file's size is looked at twice, ``settle_seconds`` apart; a file whose size changed is still
    being written and is not taken (the next run takes it). Every taken file is streamed into the
    archive at ``{source}/{dataset}/{YYYY}/{MM}/{DD}/{run_id}/{file name}``; CSV is validated while it
    streams. The task returns a list with one metrics dict per file (``path``, ``rows``, ``bytes``,
    ``duration_seconds``, ``sha256``, ``source_url``, ``created``) and sends them to Airflow's stats.

    .. rubric:: Failure behaviour

    - **No stable file, or only empty files**: ``on_empty="fail"`` fails the task without retry and
      archives nothing; ``"skip"`` skips it (and its downstream tasks) and archives nothing;
      ``"succeed"`` archives the empty files (none when nothing matched) and returns them.
    - **A file still growing**: not taken, logged; the other files are.
    - **Corrupt payload** (fewer bytes than the size the server announced, unparsable CSV): fails
      without retry; nothing from this run is archived.
    - **Permission denied or missing folder** (FTP 5xx): fails without retry.
    - **The server refuses the login** (FTP 530): fails without retry, naming the connection and what
      to check; nothing is archived.
    - **Refused connection, timeout, FTP 4xx**: fails with an error Airflow retries; nothing is archived.
    - **A matching file whose name starts with a dot**: fails without retry (the archive keeps no hidden
      files): narrow ``pattern``.
    - **A different file already archived for the run**: fails without retry, naming both checksums.

    .. seealso:: :ref:`the fault matrix of FtpToArchiveOperator <howto/operator:FtpToArchiveOperator>`

    :param directory: the remote folder. (templated)
    :param pattern: a shell-style pattern for the file names, e.g. ``orders_*.csv``. (templated)
    :param source: the source system's name in the archive path, e.g. ``partner-ftp``.
    :param dataset: the dataset's name in the archive path, e.g. ``shipments``.
    :param ftp_conn_id: the FTP connection.
    :param payload_format: ``"csv"`` (validated, rows counted) or ``"bytes"``.
    :param settle_seconds: seconds between the two looks at each file's size.
    :param timeout: seconds to wait for the server's answers and for each read, above 0.
    :param archive_conn_id: the ``etl_archive`` connection of the archive.
    :param on_empty: ``"fail"``, ``"skip"`` or ``"succeed"`` when no stable file has data.
    """

    template_fields: Sequence[str] = ("directory", "pattern")
    ui_color = "#fdf3e8"

    def __init__(
        self,
        *,
        directory: str,
        pattern: str,
        source: str,
        dataset: str,
        ftp_conn_id: str = FtpArchiveHook.default_conn_name,
        payload_format: str = "csv",
        settle_seconds: float = 5.0,
        timeout: float = 60.0,
        archive_conn_id: str = ArchiveHook.default_conn_name,
        on_empty: str = OnEmpty.FAIL.value,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if payload_format not in PAYLOAD_FORMATS:
            raise ValueError(f"payload_format={payload_format!r} is not one of {', '.join(PAYLOAD_FORMATS)}")
        if not timeout > 0:
            raise ValueError(f"timeout={timeout!r} must be a number of seconds above 0")
        check_key_segment("source", source)
        check_key_segment("dataset", dataset)
        self.directory = directory
        self.pattern = pattern
        self.source = source
        self.dataset = dataset
        self.ftp_conn_id = ftp_conn_id
        self.payload_format = payload_format
        self.settle_seconds = settle_seconds
        self.timeout = timeout
        self.archive_conn_id = archive_conn_id
        self.on_empty = parse_on_empty(on_empty)

    def execute(self, context: Context) -> list[dict[str, Any]]:
        """Find the stable files, validate and archive them.

        :param context: the task's Airflow context.
        :returns: one metrics dict per archived file.
        """
        run = IngestRun(self, context)
        hook = FtpArchiveHook(ftp_conn_id=self.ftp_conn_id, timeout=self.timeout)
        with hook, ftp_errors(self.ftp_conn_id):
            stable, growing = hook.stable_files(self.directory, self.pattern, self.settle_seconds)
            for path in growing:
                self.log.warning("%s is still growing; it is not taken this time", path)
            with ExitStack() as stack:
                staged: list[tuple[StagedPayload, int | None]] = []
                for path, size in stable.items():
                    payload = stack.enter_context(run.stage(posixpath.basename(path)))
                    staged.append((payload, self._stream(hook, path, size, payload)))
                if all(payload.size == 0 or rows == 0 for payload, rows in staged):
                    refuse_empty(self.on_empty, self._url(posixpath.join(self.directory, self.pattern)))
                manifests = [
                    (
                        payload,
                        payload.commit(
                            source_url=self._url(posixpath.join(self.directory, payload.key.name)),
                            content_type=CONTENT_TYPES[self.payload_format],
                            rows=rows,
                        ),
                    )
                    for payload, rows in staged
                ]
        # The files were taken together: each one's duration is the whole transfer's.
        elapsed = run.stopwatch.elapsed()
        return [
            run.report(payload, manifest, source_url=manifest.source_url, duration_seconds=elapsed)
            for payload, manifest in manifests
        ]

    def _url(self, path: str) -> str:
        return f"ftp://{self.ftp_conn_id}{path if path.startswith('/') else '/' + path}"

    def _stream(self, hook: FtpArchiveHook, path: str, size: int, payload: StagedPayload) -> int | None:
        """Stream one file into the archive; check it arrived whole; count its records."""

        def archived() -> Iterator[bytes]:
            for chunk in hook.iter_file(path):
                payload.write(chunk)
                yield chunk

        rows: int | None = None
        if self.payload_format == "csv":
            rows = count_csv_rows(archived(), path)
        else:
            for _ in archived():
                pass
        if payload.size != size:
            raise DataError(
                f"{path} arrived with {payload.size} bytes where the server announced {size}: the transfer "
                "was cut short or the file changed while it was read; nothing was archived (not retried)"
            )
        return rows


@contextmanager
def ftp_errors(conn_id: str) -> Iterator[None]:
    """Turn ftplib's errors into the failure policy's: 5xx refusals fail, transport failures are retried.

    :param conn_id: the FTP connection, named when the server refuses its login.
    :raises ConfigurationError: when the server refuses the login (530).
    :raises RequestRejectedError: on another FTP 5xx answer.
    :raises SourceUnavailableError: on a refused connection, a timeout or an FTP 4xx answer.
    :returns: a context manager.
    """
    try:
        yield
    except ftplib.error_perm as error:
        if str(error).startswith("530"):
            raise ConfigurationError(
                f"the FTP server of {conn_id!r} refused the login ({error}): check the connection's login "
                "and password (not retried)"
            ) from None
        raise RequestRejectedError(f"the FTP server refused: {error} (not retried)") from None
    except UNREACHABLE_ERRORS as error:
        raise SourceUnavailableError(
            f"the FTP server is unreachable or timed out ({type(error).__name__}: {error}); "
            "Airflow will retry the task"
        ) from None
