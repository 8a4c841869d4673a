"""Load archived payloads into a database table in one transaction."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq
from airflow.providers.common.sql.hooks.sql import DbApiHook
from airflow.sdk import BaseOperator, XComArg

from etl_platform.archive import CHUNK_SIZE, Archive
from etl_platform.dbapi import begin, connect, database_error, get_db_hook, plain_name, quote_name
from etl_platform.formats import CONTENT_TYPES, csv_records, jsonl_records, read_chunks
from etl_platform.hooks.archive import ArchiveHook
from etl_platform.metrics import Stopwatch, emit_load
from etl_platform.policy import ConfigurationError, DataError

if TYPE_CHECKING:
    from airflow.sdk import Context

MODES = ("append", "replace")
_FORMAT_OF_CONTENT_TYPE = {content_type: name for name, content_type in CONTENT_TYPES.items()}
#: Column types for tables created from Parquet; CSV and JSON Lines columns are text.
_SQL_TYPES = {"int": "BIGINT", "double": "DOUBLE PRECISION", "float": "DOUBLE PRECISION", "bool": "BOOLEAN"}

Batch = list[Sequence[Any]]


class ArchiveToSqlOperator(BaseOperator):
    """Load archived payloads (CSV, JSON Lines or Parquet) into a table, all in one transaction.

    The payloads are read from the archive and verified against their manifests while they are read;
    the format comes from the manifest's content type. Rows are inserted ``batch_size`` at a time with
    the database's placeholders; the table is created when it is missing (text columns for CSV and
    JSON Lines, typed ones for Parquet). Either every row of every payload is committed, or none is.

    .. rubric:: Failure behaviour

    - **Empty payload**: nothing is inserted and the task succeeds (the ingest task's ``on_empty``
      already decided whether an empty source is acceptable).
    - **Corrupt payload** (size or checksum differs from the manifest, unparsable CSV or JSON,
      a JSON record with keys the first record lacks): fails without retry; the transaction is
      rolled back and the table is as it was.
    - **Nothing archived at a path**: fails without retry, naming the path.
    - **A payload column whose name is not a plain SQL name**: fails without retry, naming it; the
      table is as it was.
    - **The database refuses a statement** (missing column, wrong type, permissions): fails without
      retry; the table is as it was.
    - **The database refuses the login** (wrong password, no such database): fails without retry,
      naming the connection and what to check.
    - **A bad argument known only when the task runs** (a rendered ``table`` that is not a plain SQL
      name, ``archive_paths`` that are no paths): fails without retry, naming it.
    - **The database cannot be reached, or a statement meets a lock, a deadlock or a lost connection**:
      fails with an error Airflow retries; the table is as it was.

    .. seealso:: :ref:`what ArchiveToSqlOperator does after the archive <howto/operator:ArchiveToSqlOperator>`

    :param archive_paths: what to load: a path below the archive root, an ingest task's return value
        (a dict with ``path``), or a list of either. (templated)
    :param table: the target table, ``name`` or ``schema.name``. (templated)
    :param conn_id: the database connection (any type with a common.sql hook).
    :param archive_conn_id: the ``etl_archive`` connection of the archive.
    :param mode: ``"append"`` adds the rows; ``"replace"`` deletes the table's rows first, in the
        same transaction.
    :param create_table: create the table when it does not exist.
    :param batch_size: rows inserted per ``executemany``, at least 1.
    """

    template_fields: Sequence[str] = ("archive_paths", "table")
    ui_color = "#eef8ee"

    def __init__(
        self,
        *,
        archive_paths: str | dict[str, Any] | list[Any] | XComArg,
        table: str,
        conn_id: str = "sqlite_default",
        archive_conn_id: str = ArchiveHook.default_conn_name,
        mode: str = "append",
        create_table: bool = True,
        batch_size: int = 1000,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if mode not in MODES:
            raise ValueError(f"mode={mode!r} is not one of {', '.join(MODES)}")
        if batch_size < 1:
            raise ValueError(f"batch_size={batch_size!r} must be at least 1 row")
        self.archive_paths = archive_paths
        self.table = table
        self.conn_id = conn_id
        self.archive_conn_id = archive_conn_id
        self.mode = mode
        self.create_table = create_table
        self.batch_size = batch_size

    def execute(self, context: Context) -> dict[str, Any]:
        """Load every payload, or none.

        :param context: the task's Airflow context.
        :returns: ``table``, ``rows`` loaded, ``paths`` and ``duration_seconds`` (also sent to stats).
        """
        stopwatch = Stopwatch()
        paths = _paths(self.archive_paths)
        archive = ArchiveHook(archive_conn_id=self.archive_conn_id).get_conn()
        # Any connection whose hook is a DbApiHook (the annotation tells the catalog so, too).
        hook: DbApiHook = get_db_hook(self.conn_id)
        table = quote_name(hook, self.table)
        conn = connect(hook)
        rows = 0
        try:
            begin(conn)
            cursor = conn.cursor()
            prepared = False
            for path in paths:
                for columns, types, batch in _read(archive, path, self.batch_size):
                    names = _column_names(hook, columns, path)
                    if not prepared:
                        self._prepare(cursor, table, names, types)
                        prepared = True
                    insert = (
                        f"INSERT INTO {table} ({', '.join(names)}) "
                        f"VALUES ({', '.join([hook.placeholder] * len(columns))})"
                    )
                    self._run(cursor, insert, batch)
                    rows += len(batch)
            if not prepared and self.mode == "replace":
                self._run(cursor, f"DELETE FROM {table}")
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            conn.close()
        duration = stopwatch.elapsed()
        self.log.info("loaded %s rows from %s into %s in %.3f s", rows, paths, self.table, duration)
        emit_load(table=self.table, rows=rows, duration_seconds=duration)
        return {"table": self.table, "rows": rows, "paths": paths, "duration_seconds": duration}

    def _prepare(self, cursor: Any, table: str, names: list[str], types: list[str]) -> None:
        if self.create_table:
            definitions = ", ".join(f"{name} {t}" for name, t in zip(names, types, strict=True))
            self._run(cursor, f"CREATE TABLE IF NOT EXISTS {table} ({definitions})")
        if self.mode == "replace":
            self._run(cursor, f"DELETE FROM {table}")

    def _run(self, cursor: Any, sql: str, batch: Batch | None = None) -> None:
        try:
            cursor.executemany(sql, batch) if batch is not None else cursor.execute(sql)
        except Exception as error:
            raise database_error(
                self.conn_id, error, repr(sql.split("(")[0].strip()), f"nothing was loaded into {self.table}"
            ) from None


def _column_names(hook: DbApiHook, columns: list[str], path: str) -> list[str]:
    """Quote a payload's column names, which come from its header or its first record.

    :param hook: the database's hook, which quotes.
    :param columns: the names.
    :param path: the payload, named in the message.
    :raises DataError: naming the payload and the column, when one is not a plain SQL name.
    :returns: the quoted names.
    """
    for column in columns:
        try:
            plain_name(column)
        except ConfigurationError:
            raise DataError(
                f"{path} has a column named {column!r}, which is not a plain SQL name (letters, digits, "
                "underscores): rename it at the source (not retried)"
            ) from None
    return [quote_name(hook, column) for column in columns]


def _paths(archive_paths: Any) -> list[str]:
    """Accept a path, an ingest task's metrics dict, or a list of them."""
    items = archive_paths if isinstance(archive_paths, list) else [archive_paths]
    paths = [item.get("path") if isinstance(item, dict) else item for item in items]
    if not all(isinstance(path, str) and path for path in paths):
        raise ConfigurationError(
            f"archive_paths={archive_paths!r}: give archive paths, or the ingest task's output "
            "(e.g. archive_paths=ingest.output)"
        )
    return [str(path) for path in paths]


def _read(archive: Archive, path: str, batch_size: int) -> Iterator[tuple[list[str], list[str], Batch]]:
    """Yield ``(columns, SQL types, rows)`` batches of an archived payload, verifying it as it is read."""
    manifest = archive.read_manifest(path)
    kind = _FORMAT_OF_CONTENT_TYPE.get(manifest.content_type)
    if kind == "parquet":
        archive.verify(path)  # Parquet is read from its footer: verify the whole file first.
        with archive.payload_path(path).open("rb") as handle:
            parquet = pq.ParquetFile(handle)
            columns = parquet.schema_arrow.names
            types = [_sql_type(field.type) for field in parquet.schema_arrow]
            for record_batch in parquet.iter_batches(batch_size=batch_size):
                yield columns, types, [tuple(row.values()) for row in record_batch.to_pylist()]
        return
    if kind not in ("csv", "jsonl"):
        raise DataError(
            f"{path} has content type {manifest.content_type!r}; only CSV, JSON Lines and Parquet load"
        )
    with archive.open_verified(path) as reader:
        chunks = read_chunks(reader, CHUNK_SIZE)
        if kind == "csv":
            records = csv_records(chunks, path)
            header = next(records, None)
            if header is None:
                return
            for batch in _batched(records, batch_size):
                yield header, ["TEXT"] * len(header), batch
        else:
            yield from _jsonl_batches(jsonl_records(chunks, path), path, batch_size)
        reader.verify()


def _jsonl_batches(
    records: Iterator[Any], path: str, batch_size: int
) -> Iterator[tuple[list[str], list[str], Batch]]:
    columns: list[str] | None = None
    for chunk in _batched(records, batch_size):
        rows: Batch = []
        for number, record in enumerate(chunk, start=1):
            if not isinstance(record, dict):
                raise DataError(f"{path}: record {number} is {type(record).__name__}, not an object")
            if columns is None:
                columns = list(record)
            unknown = set(record) - set(columns)
            if unknown:
                raise DataError(f"{path}: a record has keys {sorted(unknown)} that the first record lacks")
            rows.append(tuple(_scalar(record.get(column)) for column in columns))
        assert columns is not None
        yield columns, ["TEXT"] * len(columns), rows


def _batched(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while batch := list(itertools.islice(items, size)):
        yield batch


def _scalar(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value


def _sql_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_integer(arrow_type):
        return _SQL_TYPES["int"]
    if pa.types.is_floating(arrow_type):
        return _SQL_TYPES["double"]
    if pa.types.is_boolean(arrow_type):
        return _SQL_TYPES["bool"]
    return "TEXT"
