"""Fixtures every test area shares: an isolated Airflow home, a static web server, a real Chromium,
the tiny versioned site the publishing tests build, a real S3 API."""

from __future__ import annotations

import functools
import http.server
import os
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from sphinx.application import Sphinx

# Airflow reads its home at import time: point it at a throwaway folder before anything imports it.
_AIRFLOW_HOME = tempfile.mkdtemp(prefix="airflow-home-")
os.environ["AIRFLOW_HOME"] = _AIRFLOW_HOME
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")

REPO_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
#: Without the background-networking flags Chromium keeps dialling hosts this closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def static_server() -> Iterator[Callable[[Path], str]]:
    """Serve a folder over HTTP on 127.0.0.1; call it with the folder, get the base URL back."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def serve(directory: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(directory))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """A real headless Debian Chromium driven by Playwright (never Playwright's own download).

    One per test module, not per session: Playwright's sync API runs an asyncio event loop in the
    main thread while it is open, and any later test whose code calls ``asyncio.run()`` (s3fs does,
    for the archive's S3 tests) would fail with "cannot be called from a running event loop".
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object, static_server: Callable[[Path], str]) -> Iterator[object]:
    """A fresh browser page whose console errors and page errors fail the test at teardown.

    It depends on ``static_server`` so that the server outlives the page whatever order a test asks
    for them in: a server shut down under a loading page shows up as console errors.
    """
    context = browser.new_context()  # type: ignore[attr-defined]
    new_page = context.new_page()
    errors: list[str] = []
    new_page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    new_page.on("pageerror", lambda error: errors.append(str(error)))
    new_page.console_errors = errors
    yield new_page
    context.close()
    assert not errors, f"the browser console reported errors: {errors}"


#: The tiny site the publishing tests build as several versions: the project's theme and the versioning
#: extension, and a page (``new-in-1-2.md``) that only the versions from 1.2 on have.
VERSIONED_ROOT = REPO_ROOT / "tests" / "airflow_catalog" / "roots" / "test-versioned"


def _has_new_pages(version: str) -> bool:
    from packaging.version import Version

    return version == "dev" or Version(version) >= Version("1.2")


def _build_versioned_site(
    out: Path, version: str, *, guide: str = "", new_pages: bool | None = None, stop_at_warning: bool = False
) -> Sphinx:
    """Build the tiny versioned site as ``version`` from ``out/src`` into ``out/html``.

    ``out/src`` is copied from :data:`VERSIONED_ROOT` by the first build, so that a test may change the
    source between two builds in the same folder.

    :param out: the build's folder: its source ``src``, its pages ``html`` and its ``doctrees``.
    :param version: the version the site is built as (``catalog_version``).
    :param guide: when given, the text of the guide page.
    :param new_pages: whether the page new in 1.2 is built; by default from 1.2 on and for ``dev``.
    :param stop_at_warning: raise the first warning instead of finishing the build.
    :returns: the Sphinx application after the build; its ``statuscode`` is 1 when a warning was logged.
    """
    import io
    import shutil

    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace

    source = out / "src"
    if not source.exists():
        shutil.copytree(VERSIONED_ROOT, source)
    if guide:
        (source / "guide.md").write_text(f"# Guide\n\n{guide}\n")
    if new_pages is None:
        new_pages = _has_new_pages(version)
    excluded = ["_build"] if new_pages else ["_build", "new-in-1-2.md"]
    with docutils_namespace():
        app = Sphinx(
            str(source),
            str(source),
            str(out / "html"),
            str(out / "doctrees"),
            "html",
            confoverrides={"catalog_version": version, "exclude_patterns": excluded},
            status=None,
            warning=io.StringIO(),
            warningiserror=True,
            exception_on_warning=stop_at_warning,
        )
        app.build()
    return app


@pytest.fixture(scope="session")
def build_versioned_site() -> Callable[..., Sphinx]:
    """Build the tiny versioned site afresh, for a test that changes its source or its pages.

    ``build_versioned_site(tmp_path, "1.2.0")`` builds ``tmp_path/src`` (copied from
    :data:`VERSIONED_ROOT` the first time) into ``tmp_path/html`` and returns the Sphinx application;
    the keywords are those of :func:`_build_versioned_site`.
    """
    return _build_versioned_site


@pytest.fixture(scope="session")
def versioned_site(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """The pages of the tiny versioned site built as a version, once per session and shared by every test.

    ``versioned_site("1.2.0")`` returns the ``html`` folder; ``guide="…"`` (the guide page's text) and
    ``new_pages=False`` (without the page new in 1.2) give variants. The folder is shared: a test that
    changes pages copies it first.
    """
    built: dict[tuple[str, str, bool], Path] = {}

    def site(version: str, *, guide: str = "", new_pages: bool | None = None) -> Path:
        key = (version, guide, _has_new_pages(version) if new_pages is None else new_pages)
        if key not in built:
            out = tmp_path_factory.mktemp(f"site-{version}")
            app = _build_versioned_site(out, version, guide=guide, new_pages=key[2])
            assert app.statuscode == 0, f"the tiny versioned site did not build as {version}"
            built[key] = out / "html"
        return built[key]

    return site


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """A real S3 API, moto's server, on 127.0.0.1 for the whole session; yields its endpoint URL.

    It takes any credentials and starts without buckets: each test module creates its own. Port 0 lets the
    server pick a free port itself (no window in which another process could take a probed one); it
    names the port in its "Running on" line.
    """
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert server.stderr is not None
    for line in server.stderr:
        if listening := re.search(r"Running on (http://127\.0\.0\.1:\d+)", line):
            break
    else:
        raise RuntimeError(f"moto_server exited with {server.wait()} before listening")
    # Keep reading its log so that a full pipe never blocks it.
    threading.Thread(target=server.stderr.read, daemon=True).start()
    yield listening.group(1)
    server.terminate()
    server.wait()
