import pytest

from etl_platform.formats import count_csv_rows, csv_records, json_page_records, jsonl_records
from etl_platform.policy import DataError

CSV = 'id,city\r\n1,"Köln, DE"\r\n2,"two\nlines"\r\n'.encode()


@pytest.mark.parametrize("size", [1, 2, 3, 7, len(CSV)])
def test_csv_parses_the_same_however_the_bytes_are_chunked(size: int) -> None:
    chunks = [CSV[i : i + size] for i in range(0, len(CSV), size)]  # splits "\r\n" and "ö" for some sizes
    assert list(csv_records(chunks, "p")) == [["id", "city"], ["1", "Köln, DE"], ["2", "two\nlines"]]


@pytest.mark.parametrize(("data", "rows"), [(b"", 0), (b"id\n", 0), (b"id\n1", 1), (b"id\n1\n\n", None)])
def test_csv_rows_exclude_the_header(data: bytes, rows: int | None) -> None:
    if rows is None:  # a blank line is a record with no fields
        with pytest.raises(DataError, match="line 3: 0 fields where the header has 1"):
            count_csv_rows([data], "p")
    else:
        assert count_csv_rows([data], "p") == rows


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'id\n"unclosed\n', r"p line \d+: unparsable CSV"),
        (b"id\n\xff\n", "p is not UTF-8 text near byte 3"),
    ],
)
def test_corrupt_csv_is_a_data_error(data: bytes, message: str) -> None:
    with pytest.raises(DataError, match=message):
        count_csv_rows([data], "p")


def test_json_pages_and_lines() -> None:
    assert json_page_records(b'{"items": [1, 2]}', "items", "page") == [1, 2]
    assert json_page_records(b"  ", None, "page") == []
    with pytest.raises(DataError, match="page is not an object with a list under 'items'"):
        json_page_records(b'{"data": []}', "items", "page")
    assert list(jsonl_records([b'{"a": 1}\n\n{"a"', b": 2}\n"], "p")) == [{"a": 1}, {"a": 2}]
    with pytest.raises(DataError, match="p line 2 is not valid JSON"):
        list(jsonl_records([b'{"a": 1}\n{oops}\n'], "p"))
