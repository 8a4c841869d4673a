"""``serve --watch``: a warm process that rebuilds the site in a forked child on every change."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from roots.catalog_site import make_site
from watchfiles import Change

from airflow_catalog.site.watch import SourceFilter, next_changes, rebuild

#: A server that stops printing fails its test in this time, not in the suite's default.
pytestmark = pytest.mark.timeout(180)
FIRST_PAGE = "catalog/_generated/own_pkg.operators.FirstOperator.html"
SERVE = "serve --watch --port 0 -j 1 --source . --site _build/html"


class Server:
    """A running ``python -m airflow_catalog serve --watch``, read line by line."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self.process = subprocess.Popen(
            [sys.executable, "-m", "airflow_catalog", *SERVE.split()],
            cwd=source,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []

    def until(self, text: str) -> str:
        """Read the output up to the first new line holding ``text``; fail if the process ends first."""
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            if text in line:
                return line
        raise AssertionError(f"the server ended before printing {text!r}:\n{''.join(self.lines)}")

    def url(self) -> str:
        line = self.until("Serving ")
        return line.split(" at ", 1)[1].split(",", 1)[0]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    source = make_site(tmp_path)
    conf = source / "conf.py"
    # As `make docs` does, the build indexes the site for search, which needs the search extension.
    conf.write_text(conf.read_text() + '\nextensions.append("airflow_catalog.sphinxext.search")\n')
    running = Server(source)
    yield running
    running.stop()


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return str(response.read().decode("utf-8"))


def test_an_edited_docstring_is_served_after_the_warm_rebuild(server: Server) -> None:
    url = server.url()
    assert "Do the first thing." in fetch(url + FIRST_PAGE)
    module = server.source / "pkgs" / "own_pkg" / "operators.py"
    module.write_text(module.read_text().replace("Do the first thing.", "Do the first thing, edited."))
    assert "done" in server.until("Rebuilt in")
    assert "Do the first thing, edited." in fetch(url + FIRST_PAGE)
    # The forked child imported the module; the warm process still has never imported it, so the
    # next edit is seen too.
    module.write_text(module.read_text().replace("edited.", "edited twice."))
    assert "done" in server.until("Rebuilt in")
    assert "Do the first thing, edited twice." in fetch(url + FIRST_PAGE)


def test_a_failed_rebuild_is_reported_and_the_server_keeps_watching(server: Server) -> None:
    url = server.url()
    page = server.source / "docs" / "broken.md"
    page.write_text("# Broken\n\n{ref}`no-such-label`\n")  # a warning, which -W makes an error
    assert "failed (exit 1)" in server.until("Rebuilt in")
    page.unlink()
    assert "done" in server.until("Rebuilt in")
    assert "Do the first thing." in fetch(url + FIRST_PAGE)


def test_a_change_to_a_file_the_warm_process_loaded_starts_it_over(server: Server) -> None:
    server.url()
    pid = server.process.pid
    conf = server.source / "conf.py"
    conf.write_text(conf.read_text() + '\nproject = "catalog test, renamed"\n')
    server.until("starting over")
    url = server.url()  # the same process, run again from the start: it builds, then serves
    assert server.process.pid == pid
    assert "catalog test, renamed" in fetch(url + "index.html")


def test_a_conf_py_that_fails_to_load_is_reported_and_a_fix_starts_the_server(tmp_path: Path) -> None:
    source = make_site(tmp_path)
    conf = source / "conf.py"
    good = conf.read_text() + '\nextensions.append("airflow_catalog.sphinxext.search")\n'
    conf.write_text(good + "raise RuntimeError('a typo in conf.py')\n")
    server = Server(source)
    try:
        server.until("Fix it and save")
        assert "a typo in conf.py" in "".join(server.lines)
        conf.write_text(good)
        server.until("starting over")
        assert "Do the first thing." in fetch(server.url() + FIRST_PAGE)
    finally:
        server.stop()


def test_changes_waiting_after_a_rebuild_make_one_rebuild() -> None:
    batches: queue.Queue[set[Path]] = queue.Queue()
    for name in ("a.md", "b.md", "c.py"):
        batches.put({Path(name)})
    assert next_changes(batches) == {Path("a.md"), Path("b.md"), Path("c.py")}
    assert batches.empty()


def test_a_rebuild_runs_in_a_child_and_returns_its_status() -> None:
    def build() -> int:
        import xml.dom.minidom  # noqa: F401 (only to see where it is imported)

        return 3

    already = "xml.dom.minidom" in sys.modules
    assert rebuild(build) == 3
    assert ("xml.dom.minidom" in sys.modules) == already  # imported by the child only


@pytest.mark.parametrize(
    ("path", "watched"),
    [
        ("site/pkgs/own_pkg/operators.py", True),
        ("site/docs/guide.md", True),
        ("site/_build/html/index.html", False),
        ("site/catalog/_generated/own_pkg.operators.FirstOperator.rst", False),
        ("site/pkgs/own_pkg/__pycache__/operators.cpython-311.pyc", False),
    ],
)
def test_build_output_and_generated_pages_start_no_rebuild(path: str, watched: bool) -> None:
    assert SourceFilter()(Change.modified, f"/work/{path}") is watched
