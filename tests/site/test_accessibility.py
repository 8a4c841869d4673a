"""WCAG 2.1 A and AA, as axe-core checks them in a real Chromium, on every type of page we publish.

Two sites are checked: ours (the ``site`` build of tests/site/conftest.py) and the one a new team gets
from ``airflow-catalog init`` for the http provider. Each is published as the version it was built
as, beside a newer stable release (the tiny versioned site of tests/conftest.py), and served as
GitHub Pages would: so every page is read as an outdated version, with the version switcher in its
sidebar and the banner that points at the stable release.

The tiny stable release has no search bundle, which the search page asks every published version for:
that one missing file is expected, and any other is a failure.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from packaging.version import Version
from site_build import SiteBuild, assert_built_cleanly

from airflow_catalog.publish.merge import publish_site

pytestmark = pytest.mark.browser

#: WCAG 2.0 and 2.1, levels A and AA.
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: A query that finds classes on both sites.
QUERY = "http"


@dataclass(frozen=True)
class PageType:
    """A kind of page, the page of a site that stands for it, and what shows it fully drawn."""

    kind: str
    path: str
    #: A selector that exists once the page's script has drawn it.
    drawn: str = ""
    #: Whether a query is typed into the page's search box first.
    search: bool = False


def page_types(class_page: str, docs_page: str) -> list[PageType]:
    """Return every type of page.

    :param class_page: the class page that stands for all: its import path.
    :param docs_page: the page of ``docs/`` that stands for all: its name.
    """
    return [
        PageType("landing", "index.html"),
        PageType("finder", "catalog/index.html", drawn="table.catalog-table tbody tr"),
        PageType("class", f"catalog/_generated/{class_page}.html"),
        PageType(
            "connection with its builder",
            "catalog/_generated/connection-http.html",
            drawn="[data-connection-builder] [data-output=uri]",
        ),
        PageType("search with results", "search.html", drawn=".pagefind-ui__result-link", search=True),
        PageType("docs", f"docs/{docs_page}.html"),
    ]


def newer_stable_release(version: str) -> str:
    """Return a final release later than ``version``, so that ``version`` is the outdated one.

    :param version: the version a site was built as: ``dev`` or a PEP 440 version.
    """
    return "1.2.0" if version == "dev" else f"{Version(version).major + 1}.0.0"


@dataclass(frozen=True)
class Tree:
    """A published tree: its folder, the version under test, and the stable release beside it."""

    folder: Path
    version: str
    stable: str


def publish_as_outdated(html: Path, versioned_site: Callable[..., Path], folder: Path) -> Tree:
    """Publish ``html`` into ``folder`` as the version it was built as, and a newer stable release.

    :param html: a built site.
    :param versioned_site: the fixture that builds the tiny versioned site as a version.
    :param folder: where the tree goes; it must not exist.
    """
    version = json.loads((html / "build-info.json").read_text(encoding="utf-8"))["version"]
    folder.mkdir()
    publish_site(html, version, str(folder))
    stable = newer_stable_release(version)
    publish_site(versioned_site(stable), stable, str(folder))
    return Tree(folder, version, stable)


def draw(page: Any, url: str, page_type: PageType) -> None:
    """Open a page and wait until its scripts have drawn everything the reader sees.

    :param url: the page's address.
    :param page_type: what the page needs to be fully drawn.
    """
    page.goto(url)
    page.wait_for_selector("#catalog-version-switch")
    page.wait_for_selector(".catalog-version-banner")
    # The theme wraps each table in its scrolling box once the document is ready.
    page.wait_for_function(
        "() => !document.querySelector('.rst-content table.docutils:not(.field-list)')"
        " || !!document.querySelector('.wy-table-responsive')"
    )
    if page_type.search:
        box = page.locator(".pagefind-ui__search-input")
        box.wait_for()
        # Pagefind's UI loads its filters first: a reader types once the page has loaded.
        page.wait_for_load_state("networkidle")
        box.press_sequentially(QUERY)
    if page_type.drawn:
        page.wait_for_selector(page_type.drawn)


def violations(page: Any) -> list[dict[str, Any]]:
    """Return axe-core's WCAG 2.1 A/AA violations on the page as it is now."""
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA}})
    found: list[dict[str, Any]] = results.response["violations"]
    return found


def describe(found: list[dict[str, Any]]) -> str:
    """One line per violated rule (its id, impact and count), then one per node it names."""
    lines = []
    for violation in found:
        lines.append(f"  {violation['id']} ({violation['impact']}): {len(violation['nodes'])} nodes")
        lines.extend(f"    {' '.join(map(str, node['target']))}" for node in violation["nodes"])
    return "\n".join(lines)


def check_every_page_type(
    page: Any, static_server: Callable[[Path], str], tree: Tree, types: Sequence[PageType]
) -> None:
    """Fail with every violation of every page type, when there is any.

    :param static_server: the fixture that serves a folder.
    :param tree: the published tree whose outdated version is checked.
    :param types: the pages to check.
    """
    root = static_server(tree.folder)
    missing: list[str] = []
    page.on("response", lambda response: missing.append(response.url) if response.status == 404 else None)
    report = {}
    for page_type in types:
        draw(page, f"{root}{tree.version}/{page_type.path}", page_type)
        if found := violations(page):
            report[f"{page_type.kind} ({page_type.path})"] = describe(found)
    assert set(missing) <= {f"{root}{tree.stable}/pagefind/pagefind-entry.json"}, missing
    # Chromium logs each missing file as a console error, which the page fixture would fail on.
    page.console_errors[:] = [error for error in page.console_errors if "404 (File not found)" not in error]
    assert not report, "axe-core found WCAG 2.1 A/AA violations:\n" + "\n".join(
        f"{where}:\n{lines}" for where, lines in report.items()
    )


@pytest.fixture(scope="module")
def our_tree(
    site: SiteBuild, versioned_site: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory
) -> Tree:
    """Our site published as an outdated version."""
    return publish_as_outdated(site.html, versioned_site, tmp_path_factory.mktemp("ours") / "tree")


@pytest.fixture(scope="module")
def init_tree(versioned_site: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory) -> Tree:
    """The site of a project ``airflow-catalog init`` started for the http provider, published alike."""
    base = tmp_path_factory.mktemp("init")
    project = base / "catalog"
    catalog = [sys.executable, "-m", "airflow_catalog"]
    started = subprocess.run(
        [*catalog, "init", str(project), "--package", "airflow.providers.http"],
        capture_output=True,
        text=True,
    )
    assert started.returncode == 0, started.stdout + started.stderr
    html = project / "_build" / "html"
    built = subprocess.run(
        [*catalog, "build", "--source", str(project), "--output", str(html)],
        cwd=base,
        capture_output=True,
        text=True,
    )
    assert_built_cleanly(built)
    return publish_as_outdated(html, versioned_site, base / "tree")


def test_every_page_type_of_our_site_meets_wcag_21_aa(
    our_tree: Tree, static_server: Callable[[Path], str], page: Any
) -> None:
    types = page_types("etl_platform.operators.http.HttpToArchiveOperator", "architecture")
    check_every_page_type(page, static_server, our_tree, types)


def test_every_page_type_of_a_site_init_starts_meets_wcag_21_aa(
    init_tree: Tree, static_server: Callable[[Path], str], page: Any
) -> None:
    # Its class page holds the diagram of the systems the operator connects.
    types = page_types("airflow.providers.http.operators.http.HttpOperator", "conventions")
    check_every_page_type(page, static_server, init_tree, types)


def test_links_are_underlined_in_running_text_only(
    site: SiteBuild, static_server: Callable[[Path], str], page: Any
) -> None:
    """A link among words is underlined; navigation, buttons and the finder's class names are not."""
    page.goto(static_server(site.html) + "catalog/index.html")
    page.wait_for_selector("table.catalog-table tbody tr", state="attached")

    def lines(selector: str) -> set[str]:
        found: list[str] = page.eval_on_selector_all(
            selector, "links => links.map(link => getComputedStyle(link).textDecorationLine)"
        )
        assert found, f"no link matches {selector}"
        return set(found)

    # The finder's introduction names the conventions page in a sentence.
    assert lines(".rst-content p:has(> a[href*='conventions']) > a") == {"underline"}
    assert lines(".wy-nav-content footer > a") == {"underline"}
    assert lines("table.catalog-table tbody td:first-child a") == {"none"}
    assert lines(".wy-menu-vertical a") == {"none"}
    assert lines(".wy-breadcrumbs a") == {"none"}
    assert lines(".rst-footer-buttons a.btn") == {"none"}
