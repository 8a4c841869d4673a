"""The whole site, built from a copy of the repository exactly as ``make docs`` builds it.

One full build per test session (a session fixture) and one rebuild for the incremental test:
each full build costs tens of seconds, so every test reads the same output.
"""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from site_build import SiteBuild, assert_built_cleanly

#: The sidebar's sections, in order (the captions of the landing page's toctrees).
SIDEBAR_CAPTIONS = ["Principles", "Conventions", "Architecture", "Catalog", "Catalog generator", "Guides"]
#: The hand-written diagrams and the page that draws each, by the graph name in its .dot file.
DIAGRAM_PAGES = {
    "airflow_components": "docs/architecture",
    "platform_stack": "docs/architecture",
    "hooks_operators_transfers": "docs/architecture",
    "docs_pipeline": "docs/architecture",
    "dag_testing_questions": "docs/testing",
    "catalog_generator_stages": "docs/catalog-generator/how-it-works",
}
#: Graphviz shrinks a drawing wider than the graph's ``size`` (the content column, about 800 px);
#: below this factor its 12 pt labels fall under about 11 px and stop being comfortable to read.
MIN_DIAGRAM_SCALE = 0.9
RULE_IDS = [f"cat{number:03d}" for number in range(1, 12)]
#: Attributes that point at another file or anchor of the site.
LINK_ATTRIBUTES = {"href", "src", "data"}
SVG_NS = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


@dataclass
class ParsedPage:
    """What the link checker needs from one HTML page."""

    ids: set[str] = field(default_factory=set)
    links: list[tuple[str, str]] = field(default_factory=list)  # (tag, URL)


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = ParsedPage()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "link" and "canonical" in (dict(attrs).get("rel") or "").split():
            # A canonical link names the page's stable/ twin in the published tree of versions,
            # which a single version's build does not contain; it is for search engines, not readers.
            attrs = [(name, value) for name, value in attrs if name != "href"]
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (tag == "a" and name == "name"):
                self.page.ids.add(value)
            elif name in LINK_ATTRIBUTES:
                self.page.links.append((tag, value))


@cache
def parse_page(path: Path) -> ParsedPage:
    parser = _PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.page


def svg_links(path: Path) -> Iterator[str]:
    """The links inside a graphviz SVG (notes in a diagram can link to pages)."""
    for element in ET.parse(path).iter():
        for attribute in (XLINK_HREF, "href"):
            if attribute in element.attrib:
                yield element.attrib[attribute]


def broken_link(site_root: Path, page: Path, url: str) -> str | None:
    """Say why a link from ``page`` does not resolve inside the site, or None when it does.

    :param site_root: the built site's folder.
    :param page: the file the link is in.
    :param url: the link as written.
    """
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:  # http:, https:, mailto:, data:, javascript: and //host
        return None
    target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
    if not target.is_relative_to(site_root.resolve()):
        return f"{url} leaves the site"
    if target.is_dir():
        target = target / "index.html"
    if not target.is_file():
        return f"{url}: no file {target.relative_to(site_root.resolve())}"
    fragment = unquote(parts.fragment)
    if fragment and target.suffix == ".html" and fragment not in parse_page(target).ids:
        return f"{url}: no element with id {fragment!r} in {target.relative_to(site_root.resolve())}"
    return None


def source_pages(source: Path) -> list[str]:
    """Every page of the site by its document name: the landing page, docs/ and catalog/."""
    pages = ["index"]
    for folder in ("docs", "catalog"):
        pages += [str(path.relative_to(source).with_suffix("")) for path in (source / folder).rglob("*.md")]
    return sorted(pages)


def test_every_page_is_built(site: SiteBuild) -> None:
    pages = source_pages(site.source)
    assert {"index", "docs/conventions", "docs/architecture", "catalog/index"} <= set(pages)
    missing = [page for page in pages if not (site.html / f"{page}.html").is_file()]
    assert not missing, f"pages without HTML: {missing}"


def test_sidebar_has_the_six_sections(site: SiteBuild) -> None:
    for page in ("index", "docs/architecture", "docs/guides/add-an-operator"):
        html = (site.html / f"{page}.html").read_text(encoding="utf-8")
        start = html.index('class="wy-menu wy-menu-vertical"')
        sidebar = html[start : html.index("</nav>", start)]
        captions = re.findall(r'<p class="caption"[^>]*><span class="caption-text">([^<]+)</span>', sidebar)
        assert captions == SIDEBAR_CAPTIONS, page


def test_landing_page_links_to_catalog_and_checklist(site: SiteBuild) -> None:
    html = (site.html / "index.html").read_text(encoding="utf-8")
    cards = html[html.index('class="landing-cards') :]
    assert re.search(r'href="catalog/index.html"[^>]*>(?:<[^>]+>)*Find an operator', cards)
    assert re.search(r'href="docs/conventions.html"[^>]*>(?:<[^>]+>)*The checklist', cards)


def test_conventions_page_has_an_anchor_per_rule(site: SiteBuild) -> None:
    page = parse_page(site.html / "docs" / "conventions.html")
    assert set(RULE_IDS) <= page.ids
    assert ("a", "../catalog/conformance.html") in page.links or any(
        url.startswith("../catalog/conformance.html") for _, url in page.links
    )


@pytest.mark.parametrize("graph", sorted(DIAGRAM_PAGES))
def test_diagram_renders_to_legible_svg_with_alt_text(site: SiteBuild, graph: str) -> None:
    page_path = site.html / f"{DIAGRAM_PAGES[graph]}.html"
    html = page_path.read_text(encoding="utf-8")
    objects = re.findall(
        r'<object data="([^"]+)" type="image/svg\+xml"[^>]*>\s*<p class="warning">([^<]*)</p>', html
    )
    assert objects, f"no SVG diagram on {page_path.name}"
    by_title = {}
    for data, alt in objects:
        svg = ET.parse(page_path.parent / data).getroot()
        assert svg.tag == f"{SVG_NS}svg"
        by_title[svg.findtext(f"{SVG_NS}g/{SVG_NS}title")] = (svg, alt)
    assert graph in by_title, f"{graph} is not drawn on {page_path.name}; found {sorted(by_title)}"
    svg, alt = by_title[graph]
    assert len(alt.split()) >= 10, f"{graph}: the alt text should describe the picture, not name it"
    assert svg.findall(f".//{SVG_NS}text"), f"{graph}: no text in the SVG"
    transform = svg.find(f"{SVG_NS}g").get("transform", "")
    scale = float(re.search(r"scale\(([\d.]+)", transform).group(1)) if "scale" in transform else 1.0
    assert scale >= MIN_DIAGRAM_SCALE, f"{graph} is shrunk to {scale:.0%} to fit the page: simplify it"


def test_every_diagram_source_is_drawn(site: SiteBuild) -> None:
    graphs = {
        re.search(r"digraph\s+(\w+)", path.read_text(encoding="utf-8")).group(1)
        for path in (site.source / "docs" / "diagrams").glob("*.dot")
    }
    assert graphs == set(DIAGRAM_PAGES)


def test_no_internal_link_is_broken(site: SiteBuild) -> None:
    problems = []
    pages = sorted(site.html.rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        for _tag, url in parse_page(page).links:
            if problem := broken_link(site.html, page, url):
                problems.append(f"{page.relative_to(site.html)}: {problem}")
    for svg in sorted((site.html / "_images").glob("*.svg")):
        for url in svg_links(svg):
            if problem := broken_link(site.html, svg, url):
                problems.append(f"{svg.relative_to(site.html)}: {problem}")
    assert not problems, f"{len(problems)} broken links:\n" + "\n".join(problems[:50])


def test_diagram_notes_link_to_the_policies(site: SiteBuild) -> None:
    targets = {url for svg in (site.html / "_images").glob("*.svg") for url in svg_links(svg)}
    assert any(url.endswith("docs/guides/failure-behaviour.html") for url in targets), targets
    assert any(url.endswith("docs/data-quality.html") for url in targets), targets


def test_rebuild_with_nothing_changed_reads_no_page(rebuild: subprocess.CompletedProcess[str]) -> None:
    assert_built_cleanly(rebuild)
    output = rebuild.stdout + rebuild.stderr
    what_changed = "\n".join(
        line
        for line in output.splitlines()
        if re.search(r"pickled environment|updating environment|reading sources|pages written", line)
    )
    assert "0 added, 0 changed, 0 removed" in output, what_changed
    assert "reading sources" not in output, what_changed


def test_add_an_operator_guide_shows_the_repositorys_own_code(site: SiteBuild) -> None:
    # The guide includes its code from the files the tests run; tests/test_add_an_operator_guide.py
    # follows it on a scratch operator. Here: the inclusions reach the page.
    page = (site.html / "docs" / "guides" / "add-an-operator.html").read_text(encoding="utf-8")
    text = unescape(re.sub(r"<[^>]+>", "", page))
    assert "class FileToArchiveOperator(BaseOperator):" in text
    assert 'path="{{ params.drop_folder }}/returns_{{ ds_nodash }}.csv"' in text
    assert "def seed_file_ingest(world: World, dag: DAG)" in text
    assert "def test_a_different_file_already_archived_for_the_run_is_a_conflict(" in text
    assert '"python-modules": ["etl_platform.operators.file"]' in text


@pytest.mark.browser
def test_diagram_is_named_and_its_note_opens_the_policy_page(site: SiteBuild, page: Any) -> None:
    # From file://, as `make docs` prints it: served over HTTP, an unpublished build's missing
    # versions.json (read by the version switcher) shows as a 404 in the console.
    base = site.html.as_uri() + "/"
    page.goto(f"{base}docs/testing.html")
    page.wait_for_load_state("load")
    # Screen readers get the alt text as the picture's name (airflow_catalog.sphinxext.accessibility).
    assert page.get_by_role("img", name=re.compile(r"^A DAG with five tasks")).count() == 1
    diagram = next(frame for frame in page.frames if frame.url.endswith(".svg"))
    note = diagram.locator("a", has_text="data-quality checks")
    with page.expect_navigation():
        note.click()
    # target="_top": the whole page moves on, not just the picture inside its <object>.
    assert page.url == f"{base}docs/data-quality.html"
    assert page.locator("h1").inner_text().startswith("Data quality")


#: Class names the hand-written pages use on purpose although the catalog does not list them:
#: hypothetical classes of the guides and bad examples, patterns, and hooks of uncatalogued providers.
NAMES_NOT_IN_CATALOG = {
    "ToArchiveOperator",  # the tail of <Source>ToArchiveOperator, the "Add an operator" guide's pattern
    "FetchOrdersOperator",  # a badly named example on the conventions page
    "XOperator",
    "XToYOperator",
    "XHook",
    "XSensor",
    "S3Hook",  # amazon provider
    "FTPHook",  # ftp provider, the parent of FtpArchiveHook
    "BaseOperator",  # Airflow's base classes
    "BaseHook",
    "BaseSensorOperator",
}


def test_class_names_in_the_docs_exist_in_the_catalog(site: SiteBuild) -> None:
    catalog = json.loads((site.html / "catalog.json").read_text(encoding="utf-8"))
    catalogued = {entry["name"] for entry in catalog["entries"]}
    sources = [site.source / "index.md", *(site.source / "docs").rglob("*.md")]
    sources += (site.source / "docs" / "diagrams").glob("*.dot")
    pattern = re.compile(r"\b[A-Z]\w*(?:Operator|Hook|Sensor|Trigger|Notifier)\b")
    mentioned = {name for path in sources for name in pattern.findall(path.read_text(encoding="utf-8"))}
    assert {"HttpToArchiveOperator", "ArchiveToSqlOperator", "ArchiveHook"} <= mentioned
    unknown = mentioned - catalogued - NAMES_NOT_IN_CATALOG
    assert not unknown, f"the docs name classes the catalog does not have (renamed?): {sorted(unknown)}"
