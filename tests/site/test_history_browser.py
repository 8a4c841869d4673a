"""Folded inherited parameters, class history and a tombstone page in a real headless Chromium.

A small package is built as 1.0.0 and, against 1.0.0's ``catalog.json``, as 2.0.0 (which removes
``OldOperator``); both go into one published tree served on 127.0.0.1, as GitHub Pages serves it.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "airflow_catalog"))
from test_history import VERSION_1, VERSION_2, build

from airflow_catalog.publish.versions import PublishedVersion, Versions

pytestmark = pytest.mark.browser

PAGES = "catalog/_generated"


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    history = tmp_path_factory.mktemp("history")
    tree = tmp_path_factory.mktemp("tree")
    for version, code in (("1.0.0", VERSION_1), ("2.0.0", VERSION_2)):
        built = build(tmp_path_factory.mktemp(version), code, version, history)
        assert built.status == 0 and built.warnings == [], built.output
        shutil.copytree(built.html, tree / version)
        (history / version).mkdir()
        shutil.copy(built.html / "catalog.json", history / version / "catalog.json")
    published = [PublishedVersion.new(version, "2026-11-25") for version in ("1.0.0", "2.0.0")]
    (tree / "versions.json").write_text(Versions.of(published).dumps())
    (tree / "favicon.ico").write_bytes(b"")
    return tree


@pytest.fixture
def site(tree: Path, static_server: Callable[[Path], str]) -> str:
    """The tree's URL, asked for before ``page`` so the browser closes before the server stops."""
    return static_server(tree)


def title(page: Any) -> str:
    """The page's heading without the theme's permalink sign."""
    return page.locator("h1").inner_text().removesuffix("\uf0c1").strip()


def test_airflows_parameters_are_folded_until_opened(site: str, page: Any) -> None:
    page.goto(f"{site}2.0.0/{PAGES}/histpkg.operators.ThingOperator.html")
    fold = page.locator("details.catalog-inherited")
    assert fold.count() == 1
    assert fold.locator("summary").inner_text() == "Inherited from BaseOperator (55 parameters)"
    task_id = fold.locator("table.catalog-parameters tr", has_text="task_id").first
    assert not task_id.is_visible()
    # The class's own parameters are shown, unfolded, above.
    assert page.locator("table.catalog-parameters").first.locator("tr", has_text="timeout").is_visible()
    fold.locator("summary").click()
    assert task_id.is_visible()
    assert "yes" in task_id.inner_text()  # required
    assert fold.locator("tr", has_text="retries").first.is_visible()


def test_the_history_lists_what_changed_in_each_version(site: str, page: Any) -> None:
    page.goto(f"{site}2.0.0/{PAGES}/histpkg.operators.ThingOperator.html")
    history = page.locator("p.catalog-history + p + ul, p.catalog-history ~ ul").first
    assert "First published in 1.0.0." in page.locator("p.catalog-history + p").inner_text()
    assert history.inner_text().startswith("2.0.0: colour renamed to hue")


def test_a_removed_class_has_a_page_that_leads_to_its_last_version_and_its_replacement(
    site: str, page: Any
) -> None:
    page.goto(f"{site}2.0.0/{PAGES}/histpkg.operators.OldOperator.html")
    assert title(page) == "OldOperator (removed)"
    body = page.locator(".catalog-tombstone")
    assert "was removed in version 2.0.0" in body.inner_text()
    body.get_by_role("link", name="version 1.0.0").click()
    page.wait_for_url(f"{site}1.0.0/{PAGES}/histpkg.operators.OldOperator.html")
    assert title(page) == "OldOperator"
    page.go_back()
    page.locator(".catalog-tombstone").get_by_role("link", name="ThingOperator").click()
    page.wait_for_url(f"{site}2.0.0/{PAGES}/histpkg.operators.ThingOperator.html")
    assert title(page) == "ThingOperator"
