"""The catalog's filterable index and class pages in a real headless Chromium.

The site is the catalog test root (our fixture package, an upstream-style one and the hostile
package, broken modules included) built once, served on 127.0.0.1 and opened from ``file://``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

# The site builder lives beside the catalog's Sphinx test roots.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "airflow_catalog"))
from roots.catalog_site import Build, build_fresh_process, make_site

pytestmark = pytest.mark.browser

ROWS = "table.catalog-table tbody tr"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Build:
    build = build_fresh_process(
        make_site(tmp_path_factory.mktemp("browser")),
        "-D",
        "catalog_packages=own_pkg,vendor_pkg,hostile_pkg",
        "-D",
        "catalog_own_packages=own_pkg",
    )
    assert build.status == 0
    return build


@pytest.fixture
def dialogs(page: Any) -> list[str]:
    """Every alert/confirm the page opens (a docstring's script running would open one)."""
    opened: list[str] = []

    def record(dialog: Any) -> None:
        opened.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    return opened


def visible_rows(page: Any) -> list[list[str]]:
    return page.eval_on_selector_all(
        ROWS,
        "rows => rows.filter(r => !r.hidden).map(r => Array.from(r.cells, c => c.textContent.trim()))",
    )


def all_rows(page: Any) -> int:
    return page.eval_on_selector_all(ROWS, "rows => rows.length")


def open_index(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(ROWS, state="attached")


def test_typing_filters_the_rows(site: Build, static_server: Callable[[Path], str], page: Any) -> None:
    open_index(page, static_server(site.html) + "catalog/index.html")
    total = all_rows(page)
    assert total >= 15 and len(visible_rows(page)) == total
    assert page.text_content(".catalog-count") == f"{total} classes"

    page.fill("input[data-query]", "bucket")
    rows = visible_rows(page)
    assert {row[0] for row in rows} == {"BucketHook", "BucketListOperator"}
    assert page.text_content(".catalog-count") == f"2 of {total} classes"

    page.fill("input[data-query]", "widget sensor")  # every word must match
    assert [row[0] for row in visible_rows(page)] == ["WidgetSensor"]

    page.fill("input[data-query]", "no class is called this")
    assert visible_rows(page) == []
    page.fill("input[data-query]", "")
    assert len(visible_rows(page)) == total


def test_filter_by_kind_and_connection_type(
    site: Build, static_server: Callable[[Path], str], page: Any
) -> None:
    open_index(page, static_server(site.html) + "catalog/index.html")
    page.select_option("select[data-filter=kind]", "hook")
    rows = visible_rows(page)
    assert rows and all(row[1] == "hook" for row in rows)
    assert "BucketHook" in {row[0] for row in rows}

    page.select_option("select[data-filter=kind]", "")
    page.select_option("select[data-filter=conn]", "bucket")
    assert {row[0] for row in visible_rows(page)} == {"BucketHook", "BucketListOperator"}


def test_opening_an_entry_page(site: Build, static_server: Callable[[Path], str], page: Any) -> None:
    open_index(page, static_server(site.html) + "catalog/index.html")
    page.fill("input[data-query]", "FirstOperator")
    page.click(f"{ROWS}:not([hidden]) a")
    page.wait_for_load_state()
    assert page.url.endswith("catalog/_generated/own_pkg.operators.FirstOperator.html")
    assert page.text_content("h1").startswith("FirstOperator")
    assert page.is_visible("table.catalog-parameters")
    assert "from own_pkg.operators import FirstOperator" in page.text_content(".catalog-import")


def test_docstring_html_is_text_and_never_runs(
    site: Build, static_server: Callable[[Path], str], page: Any, dialogs: list[str]
) -> None:
    base = static_server(site.html)
    open_index(page, base + "catalog/index.html")
    page.fill("input[data-query]", "HtmlDocstring")
    (row,) = visible_rows(page)
    assert '<script>alert("catalog")</script>' in row[3]
    page.goto(base + "catalog/_generated/hostile_pkg.operators.odd.HtmlDocstringOperator.html")
    assert "<script>alert(" in page.text_content("div[itemprop=articleBody]")
    assert (
        page.eval_on_selector_all("div[itemprop=articleBody] img, a[href^='javascript:']", "n => n.length")
        == 0
    )
    assert dialogs == []


def test_the_index_works_from_a_file_url(site: Build, page: Any) -> None:
    open_index(page, (site.html / "catalog" / "index.html").as_uri() + "?q=bucket&kind=operator")
    assert [row[0] for row in visible_rows(page)] == ["BucketListOperator"]
    page.click(f"{ROWS}:not([hidden]) a")
    page.wait_for_load_state()
    assert page.url.endswith("vendor_pkg.operators.BucketListOperator.html")
