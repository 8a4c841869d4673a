"""Run a query through common.sql's hooks and archive its result as CSV or Parquet."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq
from airflow.providers.common.sql.hooks.sql import DbApiHook
from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowException

from etl_platform.archive import StagedPayload, check_key_segment
from etl_platform.dbapi import (
    config_fault,
    connect,
    describe_error,
    get_db_hook,
    is_transient,
    limit_query_time,
    open_cursor,
    require_query_timeout,
)
from etl_platform.formats import CONTENT_TYPES
from etl_platform.hooks.archive import ArchiveHook
from etl_platform.ingest import archive_key, report
from etl_platform.metrics import Stopwatch, TransferMetrics
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

OUTPUT_FORMATS = ("csv", "parquet")
#: How much of a query its error messages quote.
_QUOTED_QUERY_CHARS = 200


def _no_limit() -> None:
    """Give the database no time limit: the task has no ``query_timeout``."""


class SqlToArchiveOperator(BaseOperator):
    """Run a query on any database that common.sql supports and archive the result.

    Rows are fetched ``batch_size`` at a time (on PostgreSQL through a server-side cursor, so the task
    holds one batch in memory however large the result; the query must then be one ``SELECT``,
    ``VALUES`` or ``WITH`` statement) and streamed into the archive at
    ``{source}/{dataset}/{YYYY}/{MM}/{DD}/{run_id}/{name}``, as CSV with a header or as Parquet (one
    row group per batch, the schema taken from the first batch). The task returns the transfer's
    metrics (``path``, ``rows``, ``bytes``, ``duration_seconds``, ``sha256``, ``source_url``,
    ``created``) in XCom and sends them to Airflow's stats.

    .. rubric:: Failure behaviour

    - **No rows**: ``on_empty="fail"`` fails the task without retry and archives nothing; ``"skip"``
      skips it (and its downstream tasks) and archives nothing; ``"succeed"`` archives the empty
      result (a header, or a Parquet file with the schema) and returns ``rows=0``.
    - **The query is wrong** (syntax, missing table or column, permissions, a value the database
      refuses): fails without retry, with the database's message and the query; nothing is archived.
    - **The query runs longer than** ``query_timeout`` (fetching its rows included): the database stops
      it and the task fails with an error Airflow retries; nothing is archived.
    - **The database cannot be reached, or is lost, locked or out of resources while the query runs**:
      fails with an error Airflow retries; nothing is archived.
    - **The database refuses the login** (wrong password, unknown role, no such database): fails without
      retry, naming the connection and what to check; nothing is archived.
    - **A setting only known when the task runs is wrong** (``query_timeout`` on a database type that
      cannot time out queries, a connection whose type has no common.sql hook, a rendered ``name`` that
      is not one path segment): fails without retry, naming the setting and the fix.
    - **Rows that do not fit the first batch's types** (Parquet): fails without retry; nothing is archived.
    - **A different result already archived for the run**: fails without retry, naming both checksums.

    .. seealso:: :ref:`the fault matrix of SqlToArchiveOperator <howto/operator:SqlToArchiveOperator>`

    :param sql: the query. (templated)
    :param conn_id: the database connection (any type with a common.sql hook).
    :param source: the source system's name in the archive path, e.g. ``warehouse``.
    :param dataset: the dataset's name in the archive path, e.g. ``orders``.
    :param name: the archived file's name, e.g. ``orders.parquet``. (templated)
    :param parameters: the query's bound parameters. (templated)
    :param output_format: ``"csv"`` or ``"parquet"``.
    :param batch_size: rows fetched and written at a time, at least 1.
    :param archive_conn_id: the ``etl_archive`` connection of the archive.
    :param on_empty: ``"fail"``, ``"skip"`` or ``"succeed"`` when the query returns no rows.
    :param query_timeout: seconds the database may spend on the query before stopping it (PostgreSQL:
        ``statement_timeout``; SQLite: fetching the rows included), or ``None`` for no limit but the
        task's ``execution_timeout``. Only on PostgreSQL and SQLite connections.
    """

    template_fields: Sequence[str] = ("sql", "name", "parameters")
    template_ext: Sequence[str] = (".sql",)
    template_fields_renderers = {"sql": "sql"}
    ui_color = "#eef8ee"

    def __init__(
        self,
        *,
        sql: str,
        conn_id: str,
        source: str,
        dataset: str,
        name: str,
        parameters: Mapping[str, Any] | Sequence[Any] | None = None,
        output_format: str = "csv",
        batch_size: int = 10_000,
        archive_conn_id: str = ArchiveHook.default_conn_name,
        on_empty: str = OnEmpty.FAIL.value,
        query_timeout: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if output_format not in OUTPUT_FORMATS:
            raise ValueError(f"output_format={output_format!r} is not one of {', '.join(OUTPUT_FORMATS)}")
        if query_timeout is not None and not query_timeout > 0:
            raise ValueError(
                f"query_timeout={query_timeout!r} must be a number of seconds above 0, or None for no limit"
            )
        if batch_size < 1:
            raise ValueError(f"batch_size={batch_size!r} must be at least 1 row")
        check_key_segment("source", source)
        check_key_segment("dataset", dataset)
        self.sql = sql
        self.conn_id = conn_id
        self.source = source
        self.dataset = dataset
        self.name = name
        self.parameters = parameters
        self.output_format = output_format
        self.batch_size = batch_size
        self.archive_conn_id = archive_conn_id
        self.on_empty = parse_on_empty(on_empty)
        self.query_timeout = query_timeout

    def execute(self, context: Context) -> dict[str, Any]:
        """Run the query and archive its result.

        :param context: the task's Airflow context.
        :returns: the transfer's metrics.
        """
        stopwatch = Stopwatch()
        # Any connection whose hook is a DbApiHook (the annotation tells the catalog so, too).
        hook: DbApiHook = get_db_hook(self.conn_id)
        if self.query_timeout is not None:
            require_query_timeout(hook)
        archive = ArchiveHook(archive_conn_id=self.archive_conn_id).get_conn()
        key = archive_key(context, source=self.source, dataset=self.dataset, name=self.name)
        source_url = f"{hook.conn_type}://{self.conn_id}"
        conn = connect(hook)
        try:
            cursor, batches = self._run_query(hook, conn)
            first = next(batches, None)
            # A server-side cursor describes its columns with the first fetch (psycopg2).
            columns = [description[0] for description in cursor.description or ()]
            with archive.stage(key) as staged:
                write = self._write_parquet if self.output_format == "parquet" else self._write_csv
                rows = write(columns, itertools.chain([first] if first else [], batches), staged)
                if rows == 0:
                    refuse_empty(self.on_empty, f"the query on {self.conn_id!r}")
                manifest = staged.commit(
                    source_url=source_url, content_type=CONTENT_TYPES[self.output_format], rows=rows
                )
        finally:
            conn.close()
        metrics = TransferMetrics(
            path=manifest.path,
            rows=rows,
            bytes=manifest.size,
            duration_seconds=stopwatch.elapsed(),
            sha256=manifest.sha256,
            source_url=source_url,
            created=staged.created,
        )
        return report(self.log, metrics, source=self.source, dataset=self.dataset)

    def _run_query(self, hook: DbApiHook, conn: Any) -> tuple[Any, Iterator[list[Sequence[Any]]]]:
        """Start the query on a cursor that streams its rows (see :func:`~etl_platform.dbapi.open_cursor`).

        :param hook: the database's hook.
        :param conn: the open connection.
        :raises AirflowException: the failure policy's error when the query cannot start.
        :returns: the cursor and its rows, ``batch_size`` at a time.
        """
        time_left: Callable[[], None] = _no_limit
        try:
            cursor = open_cursor(hook, conn, self.batch_size)
            if self.query_timeout is not None:
                time_left = limit_query_time(hook, conn, self.query_timeout)
            cursor.execute(self.sql, self.parameters) if self.parameters else cursor.execute(self.sql)
        except Exception as error:
            raise self._query_error(error) from None
        return cursor, self._batches(cursor, time_left)

    def _batches(self, cursor: Any, time_left: Callable[[], None]) -> Iterator[list[Sequence[Any]]]:
        while True:
            try:
                time_left()
                batch = cursor.fetchmany(self.batch_size)
            except Exception as error:
                raise self._query_error(error) from None
            if not batch:
                return
            yield list(batch)

    def _query_error(self, error: Exception) -> AirflowException:
        """Turn what the driver raised into the failure policy's error: retried only if it may pass.

        :param error: the driver's error, from running the query or fetching its rows.
        :returns: a :class:`~etl_platform.policy.SourceUnavailableError`, a
            :class:`~etl_platform.policy.RequestRejectedError` or, for the connection's own faults and
            settings, a :class:`~etl_platform.policy.ConfigurationError`, naming the connection and the query.
        """
        if isinstance(error, ConfigurationError):
            return error
        detail = describe_error(error)
        query = " ".join(self.sql.split())
        if len(query) > _QUOTED_QUERY_CHARS:
            query = f"{query[:_QUOTED_QUERY_CHARS]}…"
        fix = config_fault(error)
        if fix is not None:
            return ConfigurationError(
                f"the query on {self.conn_id!r} failed ({detail}): {fix} (not retried). The query: {query}"
            )
        if not is_transient(error):
            return RequestRejectedError(
                f"the query on {self.conn_id!r} failed ({detail}); fix the query (not retried). "
                f"The query: {query}"
            )
        hint = (
            f"; if it needs more than query_timeout={self.query_timeout:g} s, raise query_timeout or make "
            "the query cheaper"
            if self.query_timeout is not None
            else ""
        )
        return SourceUnavailableError(
            f"the query on {self.conn_id!r} could not finish ({detail}); Airflow will retry{hint}. "
            f"The query: {query}"
        )

    @staticmethod
    def _write_csv(columns: list[str], batches: Iterator[list[Sequence[Any]]], staged: StagedPayload) -> int:
        def encoded(records: list[Sequence[Any]]) -> bytes:
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\n").writerows(records)
            return buffer.getvalue().encode()

        staged.write(encoded([columns]))
        rows = 0
        for batch in batches:
            staged.write(encoded(batch))
            rows += len(batch)
        return rows

    @staticmethod
    def _write_parquet(
        columns: list[str], batches: Iterator[list[Sequence[Any]]], staged: StagedPayload
    ) -> int:
        rows = 0
        writer: pq.ParquetWriter | None = None
        try:
            for batch in batches:
                data = {column: [row[i] for row in batch] for i, column in enumerate(columns)}
                try:
                    table = pa.table(data) if writer is None else pa.table(data, schema=writer.schema)
                except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
                    raise DataError(
                        f"rows {rows + 1}-{rows + len(batch)} do not fit the types of the first batch "
                        f"({error}); cast the columns in the query (not retried)"
                    ) from None
                if writer is None:
                    writer = pq.ParquetWriter(staged, table.schema)
                writer.write_table(table)
                rows += len(batch)
            if writer is None:
                schema = pa.schema([(column, pa.string()) for column in columns])
                writer = pq.ParquetWriter(staged, schema)
        finally:
            if writer is not None:
                writer.close()
        return rows
