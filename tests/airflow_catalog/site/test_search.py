"""Indexing a real Sphinx build with Pagefind, and what the search extension puts in the pages.

Pagefind writes one gzip-compressed fragment per indexed page (``pagefind_dcd`` then JSON holding its
URL, title and filters): the tests read those to see exactly what the browser will search.
"""

from __future__ import annotations

import gzip
import io
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from sphinx.testing.util import SphinxTestApp

from airflow_catalog.site.pagefind import SearchIndexError, index_after_build, index_site, searchable_pages

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from roots.catalog_site import SEARCH_EXTENSIONS as EXTENSIONS
from roots.catalog_site import Build, build_here, make_site

GENERATED = "catalog/_generated"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The catalog test site built with the search extension (not indexed yet)."""
    build = build_here(make_site(tmp_path_factory.mktemp("search")), extensions=EXTENSIONS)
    assert not build.warnings, build.warnings
    return build


@pytest.fixture
def site(built: Build, tmp_path: Path) -> Path:
    """A fresh copy of the built HTML for one test to index."""
    copy = tmp_path / "html"
    shutil.copytree(built.html, copy)
    return copy


def fragments(site: Path) -> dict[str, dict[str, Any]]:
    """Every indexed page, by URL, as Pagefind stored it."""
    pages = {}
    for path in (site / "pagefind" / "fragment").iterdir():
        data = gzip.decompress(path.read_bytes())
        assert data.startswith(b"pagefind_dcd")
        fragment = json.loads(data[len(b"pagefind_dcd") :])
        pages[fragment["url"]] = fragment
    return pages


def test_every_document_is_indexed_and_generated_lists_are_not(site: Path) -> None:
    report = index_site(site)
    pages = fragments(site)
    documents = {
        "/" + path.relative_to(site).as_posix()
        for path in site.rglob("*.html")
        if "data-pagefind-body" in path.read_text(encoding="utf-8")
    }
    assert report.pages == len(pages) == len(documents)
    assert {url if url.endswith(".html") else url + "index.html" for url in pages} == documents
    assert "/search.html" not in pages and "/genindex.html" not in pages
    for name in ("pagefind.js", "pagefind-ui.js", "pagefind-ui.css", "pagefind-entry.json"):
        assert (site / "pagefind" / name).is_file()


def test_class_pages_carry_kind_package_and_connection_type_filters(site: Path) -> None:
    index_site(site)
    pages = fragments(site)
    assert pages[f"/{GENERATED}/vendor_pkg.operators.BucketHook.html"]["filters"] == {
        "kind": ["hook"],
        "package": ["vendor_pkg"],
        "connection type": ["bucket"],
    }
    operator = pages[f"/{GENERATED}/own_pkg.operators.FirstOperator.html"]
    assert operator["filters"] == {"kind": ["operator"], "package": ["own_pkg"]}
    # Hand-written pages are found by words, not filters.
    assert pages["/docs/conventions.html"]["filters"] == {}


def test_airflow_base_class_parameters_are_not_indexed_on_every_operator_page(site: Path) -> None:
    index_site(site)
    operator = fragments(site)[f"/{GENERATED}/own_pkg.operators.FirstOperator.html"]
    assert "size" in operator["content"]  # its own parameter
    # BaseOperator's (folded on the page): the same words on every operator page would outrank the
    # pages that are about them.
    assert "execution_timeout" not in operator["content"]
    assert "execution_timeout" in (site / GENERATED / "own_pkg.operators.FirstOperator.html").read_text()


def test_titles_and_text_leave_out_the_theme_and_the_heading_marks(site: Path) -> None:
    index_site(site)
    hook = fragments(site)[f"/{GENERATED}/vendor_pkg.operators.BucketHook.html"]
    assert hook["meta"]["title"] == "BucketHook"
    assert "\u00b6" not in hook["content"]
    # The theme's footer is on every page; it is not this page's words.
    assert "Read the Docs" not in hook["content"]


def test_reindexing_replaces_the_bundle_whole(site: Path) -> None:
    index_site(site)
    (site / "pagefind" / "left-over.txt").write_text("from the previous run")
    index_site(site)
    assert not (site / "pagefind" / "left-over.txt").exists()
    assert not [path.name for path in site.iterdir() if path.name.startswith(".pagefind")]


def test_a_folder_without_a_site_is_refused_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(SearchIndexError, match=r"holds no index\.html: build the site before indexing it"):
        index_site(tmp_path)
    assert not (tmp_path / "pagefind").exists()


def test_a_site_built_without_the_search_extension_keeps_its_previous_bundle(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(
        '<html><body><div data-pagefind-body="">Marked page</div></body></html>'
    )
    index_site(tmp_path)
    (tmp_path / "index.html").write_text(
        "<html><body><h1>Plain</h1><p>No search extension.</p></body></html>"
    )
    before = sorted(path.name for path in (tmp_path / "pagefind").rglob("*"))

    with pytest.raises(
        SearchIndexError, match=r"no data-pagefind-body mark: add airflow_catalog\.sphinxext\.search"
    ):
        index_site(tmp_path)
    assert sorted(path.name for path in (tmp_path / "pagefind").rglob("*")) == before
    assert not [path.name for path in tmp_path.iterdir() if path.name.startswith(".pagefind")]


def test_a_failed_index_makes_the_build_unpublishable(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (site / "build-info.json").is_file()
    assert index_after_build(site) == 0
    assert "Search index: " in capsys.readouterr().out

    for page in site.rglob("*.html"):  # a build made without the search extension
        page.write_text(page.read_text(encoding="utf-8").replace("data-pagefind-body", "data-x"))
    assert index_after_build(site) == 1
    assert "error: search index not written: " in capsys.readouterr().out
    assert not (site / "build-info.json").exists()


def test_a_bundle_with_a_missing_or_empty_file_is_reported(site: Path) -> None:
    index_site(site)
    bundle = site / "pagefind"
    assert searchable_pages(bundle) == len(fragments(site))
    (bundle / "pagefind.js").write_bytes(b"")
    with pytest.raises(SearchIndexError, match=r"lacks pagefind\.js or it is empty: index again"):
        searchable_pages(bundle)
    (bundle / "pagefind.js").write_text("export {};")
    (bundle / "pagefind-entry.json").write_text("{")
    with pytest.raises(SearchIndexError, match=r"no readable pagefind-entry\.json"):
        searchable_pages(bundle)


def test_the_search_page_runs_pagefind_and_sphinx_builds_no_index_of_its_own(built: Build) -> None:
    assert not (built.html / "searchindex.js").exists()
    search_page = built.page("search")
    assert "pagefind/pagefind-ui.js" in search_page and "_static/catalog-search.js" in search_page
    assert "searchtools.js" not in search_page
    # Every page's search box leads there.
    assert 'id="catalog-search-form" class="wy-form" action="search.html"' in built.page("index")


def test_a_site_without_the_catalog_is_searchable_without_filters(tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(Path(__file__).parents[1] / "roots" / "test-versioned", source)
    warnings = io.StringIO()
    app = SphinxTestApp(
        "html",
        srcdir=source,
        builddir=source / "_build",
        confoverrides={
            "extensions": [
                "myst_parser",
                "airflow_catalog.sphinxext.versioning",
                "airflow_catalog.sphinxext.search",
            ]
        },
        status=io.StringIO(),
        warning=warnings,
    )
    try:
        app.build()
        assert app.statuscode == 0 and not warnings.getvalue()
    finally:
        app.cleanup()
    html = Path(app.outdir)
    assert "data-pagefind-filter" not in (html / "guide.html").read_text(encoding="utf-8")
    index_site(html)
    assert {fragment["meta"]["title"] for fragment in fragments(html).values()} >= {"Guide", "Versioned"}
    assert all(fragment["filters"] == {} for fragment in fragments(html).values())
