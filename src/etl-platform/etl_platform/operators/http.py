"""Fetch a payload over HTTP with the http provider's hook, and archive it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import requests
import tenacity
from airflow.providers.http.hooks.http import HttpHook
from airflow.sdk import BaseOperator

from etl_platform.archive import CHUNK_SIZE, StagedPayload, check_key_segment
from etl_platform.formats import CONTENT_TYPES, count_csv_rows, json_page_records
from etl_platform.hooks.archive import ArchiveHook
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

PAYLOAD_FORMATS = ("json", "csv", "bytes")
#: 4xx answers that say "not now" rather than "not this request": 408 Request Timeout and 429 Too Many
#: Requests. They are retried like 5xx answers.
RETRIED_CLIENT_STATUSES = frozenset({408, 429})
#: What requests raises for a URL or header it cannot send, from the connection's host or schema or a
#: rendered endpoint or header: no retry sends them.
UNSENDABLE_ERRORS = (
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
    requests.exceptions.InvalidHeader,
)


class _ServerError(Exception):
    """A 5xx answer, or a 408 or 429: worth another attempt."""

    def __init__(self, response: requests.Response) -> None:
        super().__init__(f"{response.status_code} {response.reason}")
        self.response = response


#: Errors worth another attempt of the same request.
RETRIED_ERRORS = (_ServerError, requests.ConnectionError, requests.Timeout)


def _next_request(request: dict[str, Any], following: dict[str, Any]) -> dict[str, Any]:
    """Apply a pagination function's answer: dicts (``data``, ``headers``) are merged, the rest replaced."""
    merged = dict(request)
    for key, value in following.items():
        previous = request.get(key)
        merged[key] = (
            {**previous, **value} if isinstance(previous, dict) and isinstance(value, dict) else value
        )
    return merged


class HttpToArchiveOperator(BaseOperator):
    """Fetch a payload from an HTTP API, page by page, and archive it before anything else touches it.

    The payload is streamed into the archive (see :class:`~etl_platform.hooks.archive.ArchiveHook`) at
    ``{source}/{dataset}/{YYYY}/{MM}/{DD}/{run_id}/{name}``. JSON pages are validated and archived as
    JSON Lines, one record per line; CSV is validated while it streams; ``bytes`` are archived as they
    come. The task returns the transfer's metrics (``path``, ``rows``, ``bytes``, ``duration_seconds``,
    ``sha256``, ``source_url``, ``created``) in XCom and sends them to Airflow's stats.

    .. rubric:: Failure behaviour

    - **Empty body or no records**: ``on_empty="fail"`` fails the task without retry and archives
      nothing; ``"skip"`` skips it (and its downstream tasks) and archives nothing; ``"succeed"``
      archives the empty payload as a record of the empty day and returns ``rows=0``.
    - **Corrupt payload** (body shorter than its ``Content-Length``, unparsable JSON or CSV, a page
      without its records): fails without retry; nothing is archived.
    - **HTTP 4xx** (but 408 and 429): fails without retry, naming the URL and status; nothing is archived.
    - **HTTP 5xx, 408 Request Timeout, 429 Too Many Requests, refused connection, timeout**: retried in
      the task ``request_retries`` times with exponential backoff; then the task fails with an error
      Airflow retries (``retries``); nothing is archived.
    - **A URL or header that cannot be sent** (the connection's host or schema, a rendered endpoint or
      header): fails without retry, naming the connection; nothing is archived.
    - **A different payload already archived for the run**: fails without retry, naming both
      checksums; the archived payload is kept. The same payload again is a no-op.

    .. seealso:: :ref:`the fault matrix of HttpToArchiveOperator <howto/operator:HttpToArchiveOperator>`

    :param endpoint: path below the connection's base URL. (templated)
    :param source: the source system's name in the archive path, e.g. ``orders-api``.
    :param dataset: the dataset's name in the archive path, e.g. ``orders``.
    :param name: the archived file's name, e.g. ``orders.jsonl``. (templated)
    :param http_conn_id: the HTTP connection with the API's base URL and credentials.
    :param method: the HTTP method.
    :param data: query parameters of a GET, or the body of other methods. (templated)
    :param headers: extra request headers. (templated)
    :param payload_format: ``"json"`` (pages of records, archived as JSON Lines), ``"csv"`` or ``"bytes"``.
    :param records_key: for JSON, the key of each page object that holds its list of records;
        ``None`` when each page is a list.
    :param pagination_function: for JSON, called with each page's :class:`requests.Response`; returns
        the keyword arguments (``endpoint``, ``data``, ``headers``) that change for the next page (dicts
        are merged into the previous page's), or ``None`` after the last page.
    :param max_pages: the most pages fetched before the task fails, a guard against endless pagination;
        at least 1.
    :param timeout: seconds to wait for the connection and for each read, above 0.
    :param request_retries: further attempts of one request after a 5xx, 408 or 429 answer, a refused
        connection or a timeout; 0 or more.
    :param retry_backoff: seconds before the first further attempt, doubling each time; 0 or more.
    :param archive_conn_id: the ``etl_archive`` connection of the archive.
    :param on_empty: ``"fail"``, ``"skip"`` or ``"succeed"`` when the source gives no data.
    """

    template_fields: Sequence[str] = ("endpoint", "name", "data", "headers")
    ui_color = "#e8f4fd"

    def __init__(
        self,
        *,
        endpoint: str,
        source: str,
        dataset: str,
        name: str,
        http_conn_id: str = HttpHook.default_conn_name,
        method: str = "GET",
        data: dict[str, Any] | str | None = None,
        headers: dict[str, str] | None = None,
        payload_format: str = "json",
        records_key: str | None = None,
        pagination_function: Callable[[requests.Response], dict[str, Any] | None] | None = None,
        max_pages: int = 1000,
        timeout: float = 30.0,
        request_retries: int = 3,
        retry_backoff: float = 1.0,
        archive_conn_id: str = ArchiveHook.default_conn_name,
        on_empty: str = OnEmpty.FAIL.value,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if payload_format not in PAYLOAD_FORMATS:
            raise ValueError(f"payload_format={payload_format!r} is not one of {', '.join(PAYLOAD_FORMATS)}")
        if pagination_function is not None and payload_format != "json":
            raise ValueError("pagination_function needs payload_format='json': only JSON pages are joined")
        _check_limits(max_pages, timeout, request_retries, retry_backoff)
        check_key_segment("source", source)
        check_key_segment("dataset", dataset)
        self.endpoint = endpoint
        self.source = source
        self.dataset = dataset
        self.name = name
        self.http_conn_id = http_conn_id
        self.method = method
        self.data = data
        self.headers = headers
        self.payload_format = payload_format
        self.records_key = records_key
        self.pagination_function = pagination_function
        self.max_pages = max_pages
        self.timeout = timeout
        self.request_retries = request_retries
        self.retry_backoff = retry_backoff
        self.archive_conn_id = archive_conn_id
        self.on_empty = parse_on_empty(on_empty)

    def execute(self, context: Context) -> dict[str, Any]:
        """Fetch, validate and archive the payload.

        :param context: the task's Airflow context.
        :returns: the transfer's metrics.
        """
        run = IngestRun(self, context)
        hook = HttpHook(method=self.method, http_conn_id=self.http_conn_id)
        rows: int | None
        with run.stage(self.name) as staged:
            if self.payload_format == "json":
                source_url, rows = self._archive_json_pages(hook, staged)
            else:
                source_url, rows = self._archive_stream(hook, staged)
            if staged.size == 0 or rows == 0:
                refuse_empty(self.on_empty, f"{self.method} {source_url}")
            content_type = CONTENT_TYPES["jsonl" if self.payload_format == "json" else self.payload_format]
            manifest = staged.commit(source_url=source_url, content_type=content_type, rows=rows)
        return run.report(staged, manifest, source_url=source_url)

    def _archive_json_pages(self, hook: HttpHook, staged: StagedPayload) -> tuple[str, int]:
        request: dict[str, Any] | None = {
            "endpoint": self.endpoint,
            "data": self.data,
            "headers": self.headers,
        }
        first_url, rows, pages = "", 0, 0
        while request is not None:
            pages += 1
            if pages > self.max_pages:
                raise DataError(
                    f"{first_url} has more than max_pages={self.max_pages} pages: raise max_pages, or check "
                    "that pagination_function returns None after the last page"
                )
            response = self._request(hook, request)
            first_url = first_url or response.url
            body = self._page(response)
            for record in json_page_records(body, self.records_key, f"page {pages} of {response.url}"):
                staged.write(json.dumps(record, separators=(",", ":")).encode() + b"\n")
                rows += 1
            if self.pagination_function is None:
                break
            following = self.pagination_function(response)
            request = None if following is None else _next_request(request, following)
        return first_url, rows

    def _archive_stream(self, hook: HttpHook, staged: StagedPayload) -> tuple[str, int | None]:
        request = {"endpoint": self.endpoint, "data": self.data, "headers": self.headers}
        response = self._request(hook, request)
        chunks = self._body(response)
        if self.payload_format == "bytes":
            for chunk in chunks:
                staged.write(chunk)
            return response.url, None

        def archived(chunks: Iterator[bytes]) -> Iterator[bytes]:
            for chunk in chunks:
                staged.write(chunk)
                yield chunk

        return response.url, count_csv_rows(archived(chunks), response.url)

    def _request(self, hook: HttpHook, request: dict[str, Any]) -> requests.Response:
        """Send one request; retry 5xx, 408 and 429 answers, refused connections and timeouts with backoff."""
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.request_retries + 1),
            wait=tenacity.wait_exponential(multiplier=self.retry_backoff),
            retry=tenacity.retry_if_exception_type(RETRIED_ERRORS),
            before_sleep=lambda state: self.log.warning(
                "attempt %s failed (%s); trying again",
                state.attempt_number,
                state.outcome and state.outcome.exception(),
            ),
            reraise=True,
        )
        try:
            return retrying(self._request_once, hook, request)
        except _ServerError as error:
            raise SourceUnavailableError(
                f"{self.method} {error.response.url} answered {error} on all {self.request_retries + 1} "
                "attempts; Airflow will retry the task"
            ) from None
        except (requests.ConnectionError, requests.Timeout) as error:
            raise SourceUnavailableError(
                f"{self.method} {hook.url_from_endpoint(request['endpoint'])} failed on all "
                f"{self.request_retries + 1} attempts "
                f"({type(error).__name__}: {error}); Airflow will retry the task"
            ) from None
        except UNSENDABLE_ERRORS as error:
            raise ConfigurationError(
                f"{self.method} {hook.url_from_endpoint(request['endpoint'])} cannot be sent "
                f"({type(error).__name__}: {error}): check the host and schema of the connection "
                f"{self.http_conn_id!r}, the endpoint and the headers (not retried)"
            ) from None

    def _request_once(self, hook: HttpHook, request: dict[str, Any]) -> requests.Response:
        response: requests.Response = hook.run(
            request["endpoint"],
            data=request["data"],
            headers=request["headers"],
            extra_options={"stream": True, "timeout": self.timeout, "check_response": False},
        )
        if response.status_code >= 500 or response.status_code in RETRIED_CLIENT_STATUSES:
            response.close()
            raise _ServerError(response)
        if response.status_code >= 400:
            response.close()
            raise RequestRejectedError(
                f"{self.method} {response.url} answered {response.status_code} {response.reason}: check the "
                "endpoint, the parameters and the connection's credentials (not retried)"
            )
        return response

    def _body(self, response: requests.Response) -> Iterator[bytes]:
        """Stream a response's body, turning transport failures into the policy's errors."""
        with self._transport_errors(response):
            yield from response.iter_content(CHUNK_SIZE)

    def _page(self, response: requests.Response) -> bytes:
        """Read a whole page; ``response.json()`` works on it afterwards, for the pagination function."""
        with self._transport_errors(response):
            return response.content

    @contextmanager
    def _transport_errors(self, response: requests.Response) -> Iterator[None]:
        try:
            yield
        except requests.exceptions.ChunkedEncodingError as error:
            raise DataError(
                f"{response.url} sent a truncated body ({error}); nothing was archived (not retried)"
            ) from None
        except (requests.ConnectionError, requests.Timeout) as error:
            raise SourceUnavailableError(
                f"{response.url} stopped sending mid-body ({error}); Airflow will retry the task"
            ) from None
        finally:
            response.close()


def _check_limits(max_pages: int, timeout: float, request_retries: int, backoff: float) -> None:
    """Refuse limits that would make every run fail or never stop, when the DAG is parsed.

    :param max_pages: the operator's ``max_pages``.
    :param timeout: its ``timeout``.
    :param request_retries: its ``request_retries``.
    :param backoff: its ``retry_backoff``.
    :raises ValueError: naming the argument and what it must be.
    """
    if max_pages < 1:
        raise ValueError(f"max_pages={max_pages!r} must be at least 1")
    if not timeout > 0:
        raise ValueError(f"timeout={timeout!r} must be a number of seconds above 0")
    if request_retries < 0:
        raise ValueError(f"request_retries={request_retries!r} must be 0 or more")
    if backoff < 0:
        raise ValueError(f"retry_backoff={backoff!r} must be 0 or more seconds")
