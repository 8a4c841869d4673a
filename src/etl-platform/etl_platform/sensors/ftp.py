"""Wait until an FTP folder holds a file that has finished arriving."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator

from etl_platform.hooks.ftp import FtpArchiveHook
from etl_platform.operators.ftp import ftp_errors

if TYPE_CHECKING:
    from airflow.sdk import Context


class FtpStableFileSensor(BaseSensorOperator):
    """Wait until a file matching a pattern exists in an FTP folder and has stopped growing.

    Each poke looks at the matching files' sizes twice, ``settle_seconds`` apart, as
    :class:`~etl_platform.operators.ftp.FtpToArchiveOperator` does; the sensor succeeds once at
    least one file kept its size and is not empty.

    .. rubric:: Failure behaviour

    - **No matching file, or only growing or empty ones**: the sensor pokes again every
      ``poke_interval`` seconds until ``timeout``, then fails (or skips with ``soft_fail=True``).
    - **Permission denied or missing folder** (FTP 5xx): fails without retry.
    - **The server refuses the login** (FTP 530): fails without retry, naming the connection.
    - **Refused connection, timeout, FTP 4xx**: fails with an error Airflow retries.

    .. seealso:: :ref:`how files still being written are told apart <howto/operator:FtpToArchiveOperator>`

    :param directory: the remote folder. (templated)
    :param pattern: a shell-style pattern for the file names, e.g. ``orders_*.csv``. (templated)
    :param ftp_conn_id: the FTP connection.
    :param settle_seconds: seconds between the two looks at each file's size.
    """

    template_fields: Sequence[str] = ("directory", "pattern")
    ui_color = "#fdf3e8"

    def __init__(
        self,
        *,
        directory: str,
        pattern: str,
        ftp_conn_id: str = FtpArchiveHook.default_conn_name,
        settle_seconds: float = 5.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.directory = directory
        self.pattern = pattern
        self.ftp_conn_id = ftp_conn_id
        self.settle_seconds = settle_seconds

    def poke(self, context: Context) -> bool:
        """Look for a stable, non-empty matching file.

        :param context: the task's Airflow context.
        :returns: whether one was found.
        """
        with FtpArchiveHook(ftp_conn_id=self.ftp_conn_id) as hook, ftp_errors(self.ftp_conn_id):
            stable, growing = hook.stable_files(self.directory, self.pattern, self.settle_seconds)
        ready = sorted(path for path, size in stable.items() if size > 0)
        self.log.info("ready: %s; still growing: %s", ready or "none", growing or "none")
        return bool(ready)
