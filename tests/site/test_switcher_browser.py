"""The version switcher and banner in a real Chromium, over a published tree served on 127.0.0.1.

Four versions of the tiny versioned site (1.1.0, 1.2.0 = stable, 2.0.0rc1 = latest, dev), built by
the ``versioned_site`` fixture of tests/conftest.py with the project's theme, are published into a bare
git remote, and the branch is unpacked and served as GitHub Pages would serve it.
"""

from __future__ import annotations

import http.server
import subprocess
import threading
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from airflow_catalog.publish.merge import publish_site

pytestmark = pytest.mark.browser

VERSIONS = ("1.1.0", "1.2.0", "2.0.0rc1", "dev")


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory, versioned_site: Callable[..., Path]) -> Path:
    """The gh-pages branch after publishing every version, unpacked into a folder."""
    base = tmp_path_factory.mktemp("published")
    remote = base / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    for version in VERSIONS:
        publish_site(versioned_site(version), version, str(remote), backoff=0)
    tree = base / "tree"
    tree.mkdir()
    archive = subprocess.run(
        ["git", f"--git-dir={remote}", "archive", "gh-pages"], check=True, capture_output=True
    )
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    # Chromium asks the server's root for a favicon and logs the 404 as a console error.
    (tree / "favicon.ico").write_bytes(b"")
    return tree


@pytest.fixture
def site(tree: Path, static_server: Callable[[Path], str]) -> str:
    """The tree's URL. Tests ask for it before ``page``, so the browser closes before the server stops."""
    return static_server(tree)


def switcher_labels(page: Any) -> list[str]:
    page.wait_for_selector("#catalog-version-switch")
    return page.locator("#catalog-version-switch option").all_inner_texts()


def expect_missing_page_error(page: Any) -> None:
    """A HEAD request for a page another version lacks is answered 404, and Chromium logs it."""
    page.console_errors[:] = [e for e in page.console_errors if "404 (File not found)" not in e]


def test_the_switcher_lists_every_version_from_versions_json(site: str, page: Any) -> None:
    page.goto(site + "1.2.0/guide.html")
    assert switcher_labels(page) == ["dev", "2.0.0rc1 (latest, pre-release)", "1.2.0 (stable)", "1.1.0"]
    assert page.locator("#catalog-version-switch").input_value() == "1.2.0"
    # The theme's own markup for a version selector, so its stylesheet places it under the title.
    assert page.locator(".wy-side-nav-search .switch-menus .version-switch select").count() == 1


def test_an_old_version_lists_versions_published_after_it(site: str, page: Any) -> None:
    page.goto(site + "1.1.0/index.html")
    assert "2.0.0rc1 (latest, pre-release)" in switcher_labels(page)


def test_switching_keeps_the_page_and_its_anchor(site: str, page: Any) -> None:
    page.goto(site + "1.2.0/guide.html#details")
    switcher_labels(page)
    page.select_option("#catalog-version-switch", "1.1.0")
    page.wait_for_url(site + "1.1.0/guide.html#details")
    assert page.locator("h1").first.inner_text().startswith("Guide")


def test_switching_to_a_version_without_the_page_opens_its_index(site: str, page: Any) -> None:
    page.goto(site + "1.2.0/new-in-1-2.html")
    switcher_labels(page)
    page.select_option("#catalog-version-switch", "1.1.0")
    page.wait_for_url(site + "1.1.0/")
    assert page.locator("h1").first.inner_text().startswith("Versioned")
    expect_missing_page_error(page)


def test_under_an_alias_the_switcher_shows_the_version_it_points_at(site: str, page: Any) -> None:
    page.goto(site + "stable/guide.html")
    switcher_labels(page)
    assert page.locator("#catalog-version-switch").input_value() == "1.2.0"
    assert page.locator(".catalog-version-banner").count() == 0


@pytest.mark.parametrize(
    ("path", "reading"),
    [
        ("1.1.0/guide.html", "1.1.0, an older release"),
        ("2.0.0rc1/guide.html", "2.0.0rc1, a pre-release"),
        ("latest/guide.html", "2.0.0rc1, a pre-release"),
        ("dev/guide.html", "the development version (dev)"),
    ],
)
def test_the_banner_shows_on_every_version_but_stable(site: str, page: Any, path: str, reading: str) -> None:
    page.goto(site + path)
    banner = page.locator(".catalog-version-banner")
    banner.wait_for()
    assert f"You are reading {reading}; the stable release is 1.2.0." in banner.inner_text()
    banner.locator("a").click()
    page.wait_for_url(site + "stable/guide.html")


@pytest.mark.parametrize("path", ["1.2.0/guide.html", "stable/index.html"])
def test_no_banner_on_the_stable_release(site: str, page: Any, path: str) -> None:
    page.goto(site + path)
    switcher_labels(page)  # the script has read versions.json and decided
    assert page.locator(".catalog-version-banner").count() == 0


def test_the_root_redirects_to_stable_keeping_the_hash(site: str, page: Any) -> None:
    page.goto(site + "#section")
    page.wait_for_url(site + "stable/#section")


class _PagesHandler(http.server.SimpleHTTPRequestHandler):
    """Answers a missing path with the root 404.html, as GitHub Pages does."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        if code != 404:
            super().send_error(code, message, explain)
            return
        body = (Path(self.directory) / "404.html").read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def pages_server(tree: Path) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_PagesHandler, directory=str(tree)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_the_404_page_offers_the_index_of_the_version_in_the_path(pages_server: str, page: Any) -> None:
    page.goto(pages_server + "1.1.0/no/such/page.html")
    link = page.locator("#home")
    assert link.inner_text() == "the 1.1.0 documentation"
    assert link.get_attribute("href") == "/1.1.0/"
    page.goto(pages_server + "nowhere.html")
    assert page.locator("#home").get_attribute("href") == "/stable/"
    page.console_errors.clear()  # the two 404 answers themselves


def test_nothing_is_fetched_from_an_unpublished_build(
    page: Any, static_server: Callable[[Path], str], build_versioned_site: Callable[..., Any], tmp_path: Path
) -> None:
    assert build_versioned_site(tmp_path, "1.2.0").statuscode == 0
    html = tmp_path / "html"
    (html / "favicon.ico").write_bytes(b"")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(static_server(html) + "guide.html")
    page.wait_for_load_state("networkidle")
    assert not any("versions.json" in url for url in requests)
    assert page.locator("#catalog-version-switch").count() == 0
