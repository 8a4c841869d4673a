"""Full-text search (Pagefind) in a real headless Chromium, over built and published sites.

Two versions of the catalog test site are built with the search extension, indexed as ``make docs``
indexes, and published into a plain folder as the publisher writes it; 2.0.0 has one page 1.0.0
lacks. A third copy is served unpublished, as ``make serve`` serves a local build.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from airflow_catalog.publish.merge import publish_site
from airflow_catalog.site.pagefind import index_site

# The site builder lives beside the catalog's Sphinx test roots.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "airflow_catalog"))
from roots.catalog_site import SEARCH_EXTENSIONS as EXTENSIONS
from roots.catalog_site import build_here, make_site
from test_object_store import s3

__all__ = ["s3"]  # the fixture: a real S3 API (moto's server) on 127.0.0.1

pytestmark = pytest.mark.browser

#: A word only the page added in 2.0.0 holds.
NEW_WORD = "quetzalcoatl"
NEW_PAGE = f"---\norphan: true\n---\n# Added in two\n\nThe {NEW_WORD} migration guide.\n"
RESULTS = ".pagefind-ui__result"


def build_version(folder: Path, version: str, new_page: bool = False) -> Path:
    """Build and index the catalog test site as ``version``; return its HTML folder."""
    source = make_site(folder)
    if new_page:
        (source / "docs" / "added-in-two.md").write_text(NEW_PAGE, encoding="utf-8")
    build = build_here(source, extensions=EXTENSIONS, catalog_version=version)
    assert not build.warnings, build.warnings
    index_site(build.html)
    return build.html


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A published folder holding 1.0.0 and 2.0.0 (stable), each with its own search bundle."""
    base = tmp_path_factory.mktemp("search")
    tree = base / "tree"
    tree.mkdir()  # a folder target must exist (empty, or a published tree): a typo creates nothing
    publish_site(build_version(base / "one", "1.0.0"), "1.0.0", str(tree))
    publish_site(build_version(base / "two", "2.0.0", new_page=True), "2.0.0", str(tree))
    return tree


@pytest.fixture(scope="module")
def local_build(tree: Path) -> Path:
    """Version 2.0.0's own HTML folder, as a local build is served before it is published."""
    return tree / "2.0.0"


@pytest.fixture
def site(tree: Path, static_server: Callable[[Path], str]) -> str:
    """The published tree's URL; asked for before ``page`` so the browser closes first."""
    return static_server(tree)


def search(page: Any, query: str) -> None:
    box = page.locator(".pagefind-ui__search-input")
    box.wait_for()
    # Pagefind's UI lists the filters it loaded when it started; typing before they arrived showed
    # results without the filter panel in one run of ten here. A reader types after the page loaded.
    page.wait_for_load_state("networkidle")
    box.fill("")
    box.press_sequentially(query)


def result_titles(page: Any) -> list[str]:
    page.wait_for_selector(RESULTS)
    return page.locator(f"{RESULTS} .pagefind-ui__result-link").all_inner_texts()


def test_typing_a_query_shows_results_and_a_kind_filter_narrows_them(
    local_build: Path, static_server: Callable[[Path], str], page: Any
) -> None:
    page.goto(static_server(local_build) + "search.html")
    search(page, "bucket")
    titles = result_titles(page)
    assert {"BucketHook", "BucketListOperator"} <= set(titles)
    # Only the catalog's class pages carry filters; hooks are one kind among them.
    page.locator(".pagefind-ui__filter-label", has_text="hook").click()
    page.wait_for_function("() => document.querySelectorAll('.pagefind-ui__result').length === 1")
    assert result_titles(page) == ["BucketHook"]


def test_filters_offer_kind_package_and_connection_type(
    local_build: Path, static_server: Callable[[Path], str], page: Any
) -> None:
    page.goto(static_server(local_build) + "search.html")
    search(page, "operator")
    result_titles(page)
    groups = page.locator(".pagefind-ui__filter-name").all_inner_texts()
    assert {"kind", "package", "connection type"} <= {group.strip().lower() for group in groups}


def test_the_sidebar_box_opens_the_search_page_with_the_query(
    local_build: Path, static_server: Callable[[Path], str], page: Any
) -> None:
    page.goto(static_server(local_build) + "docs/conventions.html")
    box = page.locator("#catalog-search-form input[name=q]")
    box.fill("FirstOperator")
    box.press("Enter")
    page.wait_for_url("**/search.html?q=FirstOperator")
    assert result_titles(page)[0] == "FirstOperator"


def test_a_local_build_has_no_scope_switch_and_asks_for_no_versions_json(
    local_build: Path, static_server: Callable[[Path], str], page: Any
) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(static_server(local_build) + "search.html?q=bucket")
    result_titles(page)
    assert page.locator("#catalog-search-scope").is_hidden()
    assert not any("versions.json" in url for url in requests)


def test_this_version_does_not_find_a_page_only_a_later_version_has(site: str, page: Any) -> None:
    page.goto(site + "1.0.0/search.html")
    page.locator("#catalog-search-scope").wait_for()
    assert page.locator(".catalog-search-current").inner_text() == "1.0.0"
    search(page, NEW_WORD)
    page.wait_for_selector(".pagefind-ui__message")
    page.wait_for_function(
        "() => /No results/.test(document.querySelector('.pagefind-ui__message').textContent)"
    )
    assert page.locator(RESULTS).count() == 0


def test_all_versions_finds_the_page_only_the_other_version_has(site: str, page: Any) -> None:
    page.goto(site + "1.0.0/search.html")
    page.locator("#catalog-search-scope").wait_for()
    search(page, NEW_WORD)
    page.locator("input[name=catalog-search-scope][value=all]").check()
    # The query typed before the switch is searched again across every version.
    assert result_titles(page) == ["Added in two \u2014 2.0.0"]
    page.locator(f"{RESULTS} .pagefind-ui__result-link").first.click()
    page.wait_for_url(site + "2.0.0/docs/added-in-two.html")


def test_back_to_this_version_searches_this_version_only(site: str, page: Any) -> None:
    page.goto(site + "1.0.0/search.html")
    page.locator("#catalog-search-scope").wait_for()
    search(page, NEW_WORD)
    page.locator("input[name=catalog-search-scope][value=all]").check()
    assert result_titles(page) == ["Added in two \u2014 2.0.0"]
    page.locator("input[name=catalog-search-scope][value=version]").check()
    page.wait_for_function(
        "() => /No results/.test(document.querySelector('.pagefind-ui__message')?.textContent || '')"
    )
    assert page.locator(RESULTS).count() == 0


def test_all_versions_from_an_alias_merges_the_other_versions_only(site: str, page: Any) -> None:
    page.goto(site + "stable/search.html?q=FirstOperator")
    page.locator("#catalog-search-scope").wait_for()
    assert page.locator(".catalog-search-current").inner_text() == "2.0.0"
    page.locator("input[name=catalog-search-scope][value=all]").check()
    page.wait_for_function("() => /1\\.0\\.0/.test(document.querySelector('#catalog-search').textContent)")
    titles = result_titles(page)
    assert titles[:2] == ["FirstOperator", "FirstOperator \u2014 1.0.0"]
    # 2.0.0 is the version stable/ points at: it is searched once, under the address being read.
    links = page.locator(f"{RESULTS} .pagefind-ui__result-link").evaluate_all(
        "links => links.map(a => a.href)"
    )
    assert all(link.startswith((site + "stable/", site + "1.0.0/")) for link in links), links


def test_a_site_built_by_sphinx_alone_says_how_to_get_its_index(
    tree: Path, static_server: Callable[[Path], str], page: Any, tmp_path: Path
) -> None:
    unindexed = tmp_path / "html"
    shutil.copytree(tree / "2.0.0", unindexed)
    shutil.rmtree(unindexed / "pagefind")
    page.goto(static_server(unindexed) + "search.html?q=bucket")
    message = page.locator(".catalog-search-missing")
    assert "build it with `make docs`" in message.inner_text()
    # The one error expected: the browser reports the missing pagefind-ui.js.
    assert all("404" in error for error in page.console_errors)
    page.console_errors.clear()


def test_search_across_versions_published_to_object_storage(tree: Path, s3: Any, page: Any) -> None:
    """The same two versions published to S3 and read straight from the bucket's endpoint."""
    s3.create_bucket(Bucket="search-site")
    # Readers are anonymous, as a bucket serving a static website lets them be.
    public = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::search-site/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket="search-site", Policy=json.dumps(public))
    for version in ("1.0.0", "2.0.0"):
        publish_site(tree / version, version, "s3://search-site/docs", backoff=0)
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    page.goto(f"{endpoint}/search-site/docs/1.0.0/search.html?q={NEW_WORD}")
    page.locator("#catalog-search-scope").wait_for()
    page.locator("input[name=catalog-search-scope][value=all]").check()
    assert result_titles(page) == ["Added in two \u2014 2.0.0"]
    page.locator(f"{RESULTS} .pagefind-ui__result-link").first.click()
    page.wait_for_url(f"{endpoint}/search-site/docs/2.0.0/docs/added-in-two.html")
