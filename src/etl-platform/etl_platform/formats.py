"""Payload formats: validate and count records while the bytes stream past, and read them back.

Every reader raises :class:`~etl_platform.policy.DataError` on bytes that are not what the format says,
naming the payload and the position, so a corrupt payload fails its task and is never retried.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from etl_platform.policy import DataError

#: Media types of the formats, recorded in the manifest.
CONTENT_TYPES = {
    "csv": "text/csv",
    "jsonl": "application/x-ndjson",
    "parquet": "application/vnd.apache.parquet",
    "bytes": "application/octet-stream",
}


def decoded_lines(chunks: Iterable[bytes], what: str) -> Iterator[str]:
    """Decode UTF-8 chunks into lines, holding back a line until its end has arrived.

    :param chunks: the payload's bytes, in any chunking.
    :param what: the payload, named in errors.
    :raises DataError: on bytes that are not UTF-8.
    :returns: the lines, each with its line ending.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    pending = ""
    offset = 0
    try:
        for chunk in chunks:
            pending += decoder.decode(chunk)
            offset += len(chunk)
            # Split on "\n" only: str.splitlines also splits on characters a CSV field may hold, and a
            # "\r" at a chunk's end may be the first half of "\r\n".
            *lines, pending = pending.split("\n")
            for line in lines:
                yield line + "\n"
        pending += decoder.decode(b"", final=True)
    except UnicodeDecodeError as error:
        position = offset + error.start
        raise DataError(f"{what} is not UTF-8 text near byte {position}: {error.reason}") from None
    if pending:
        yield pending


def csv_records(chunks: Iterable[bytes], what: str) -> Iterator[list[str]]:
    """Parse CSV as it streams: the header first, then every record, each with the header's width.

    :param chunks: the payload's bytes.
    :param what: the payload, named in errors.
    :raises DataError: on unparsable CSV or a record whose width differs from the header's.
    :returns: the header, then the records, as lists of strings.
    """
    reader = csv.reader(decoded_lines(chunks, what), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return
        yield header
        for record in reader:
            if len(record) != len(header):
                raise DataError(
                    f"{what} line {reader.line_num}: {len(record)} fields where the header has {len(header)}"
                )
            yield record
    except csv.Error as error:
        raise DataError(f"{what} line {reader.line_num}: unparsable CSV ({error})") from None


def count_csv_rows(chunks: Iterable[bytes], what: str) -> int:
    """Validate a CSV stream and count its records (the header is not a record).

    :param chunks: the payload's bytes.
    :param what: the payload, named in errors.
    :raises DataError: on unparsable CSV.
    :returns: the number of records.
    """
    return max(sum(1 for _ in csv_records(chunks, what)) - 1, 0)


def json_page_records(body: bytes, records_key: str | None, what: str) -> list[Any]:
    """Parse one page of a JSON API into its records.

    :param body: the page's bytes; an empty body is a page without records.
    :param records_key: the key of the page object that holds the records, or ``None`` when the page
        is a list of records.
    :param what: the page, named in errors.
    :raises DataError: on unparsable JSON or a page without the expected list.
    :returns: the page's records.
    """
    if not body.strip():
        return []
    try:
        page = json.loads(body)
    except ValueError as error:
        raise DataError(f"{what} is not valid JSON: {error}") from None
    records = page.get(records_key) if records_key is not None and isinstance(page, dict) else page
    if not isinstance(records, list):
        expected = f"an object with a list under {records_key!r}" if records_key else "a JSON list"
        raise DataError(f"{what} is not {expected} (got {type(page).__name__}); check records_key")
    return records


def jsonl_records(chunks: Iterable[bytes], what: str) -> Iterator[Any]:
    """Parse JSON Lines as it streams.

    :param chunks: the payload's bytes.
    :param what: the payload, named in errors.
    :raises DataError: on a line that is not JSON.
    :returns: the records.
    """
    for number, line in enumerate(decoded_lines(chunks, what), start=1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except ValueError as error:
            raise DataError(f"{what} line {number} is not valid JSON: {error}") from None


def read_chunks(stream: io.RawIOBase | io.BufferedIOBase, size: int) -> Iterator[bytes]:
    """Read a binary stream in chunks until its end.

    :param stream: the stream.
    :param size: the chunk size in bytes.
    :returns: the chunks.
    """
    while chunk := stream.read(size):
        yield bytes(chunk)
