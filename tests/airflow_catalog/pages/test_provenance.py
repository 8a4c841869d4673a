"""Where a class comes from: metadata of installed distributions, and a real build's pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from roots.catalog_site import Build, build_fresh_process, make_site

from airflow_catalog.model.catalog import CatalogEntry, Kind, PackageInfo, SourceLocation
from airflow_catalog.pages.provenance import (
    ProvenanceError,
    SourceSettings,
    airflow_specifier,
    package_provenance,
    project_source_url,
    source_link,
)

GENERATED = "catalog/_generated"
TEMPLATE = "https://git.example.org/team/etl/blob/{ref}/src/{path}#L{line}"


def test_the_source_url_comes_from_the_project_urls_of_the_metadata():
    assert project_source_url("apache-airflow-providers-http") == "https://github.com/apache/airflow"
    # Our own distribution labels it "Source", not "Source Code".
    assert project_source_url("etl-platform") == "https://github.com/example/etl-platform"
    assert project_source_url("not-installed-anywhere") is None


def test_supported_airflow_versions_come_from_requires_dist():
    assert airflow_specifier("apache-airflow-providers-http") == ">=2.11.0"
    assert set(airflow_specifier("etl-platform").split(",")) == {">=3.3", "<4"}
    assert airflow_specifier("packaging") == ""  # requires no Airflow at all
    assert airflow_specifier("not-installed-anywhere") is None


def test_install_line_pins_the_catalogued_version():
    package = PackageInfo("airflow.providers.http", "apache-airflow-providers-http", "6.3.0")
    assert package_provenance(package).install == 'pip install "apache-airflow-providers-http==6.3.0"'


def entry(path: str = "etl_platform/operators/http.py", line: int = 42) -> CatalogEntry:
    return CatalogEntry(
        import_path="etl_platform.operators.http.HttpToArchiveOperator",
        name="HttpToArchiveOperator",
        module="etl_platform.operators.http",
        kind=Kind.OPERATOR,
        package="etl_platform",
        package_version="1.2.0",
        source=SourceLocation("etl_platform.operators.http", path, line),
    )


def test_our_classes_link_to_their_line_at_the_release_tag():
    own = PackageInfo("etl_platform", "etl-platform", "1.2.0", is_own=True)
    settings = SourceSettings(TEMPLATE, "v1.2.0")
    assert (
        source_link(entry(), own, settings)
        == "https://git.example.org/team/etl/blob/v1.2.0/src/etl_platform/operators/http.py#L42"
    )
    # Without a template: the repository the metadata names.
    assert source_link(entry(), own, SourceSettings()) == "https://github.com/example/etl-platform"


def test_upstream_classes_link_to_the_project_or_nowhere():
    settings = SourceSettings(TEMPLATE, "v1.2.0")
    http = PackageInfo("airflow.providers.http", "apache-airflow-providers-http", "6.3.0")
    assert source_link(entry(), http, settings) == "https://github.com/apache/airflow"
    unknown = PackageInfo("vendor_pkg", "vendor-pkg", "unknown")
    assert source_link(entry(), unknown, settings) is None


@pytest.mark.parametrize(
    ("template", "named"),
    [
        ("https://x/{ref}/{file}#L{line}", "file"),
        ("https://x/{ref}/{path}#L{line", "cannot be filled in"),
    ],
)
def test_a_bad_template_is_refused_naming_the_placeholders_allowed(template, named):
    with pytest.raises(ProvenanceError, match=re.escape(named) + ".*{ref}, {path} and {line}"):
        SourceSettings(template, "main").check()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Build:
    source = make_site(tmp_path_factory.mktemp("provenance"))
    built = build_fresh_process(
        source,
        "-D",
        "catalog_packages=own_pkg,airflow.providers.http",
        "-D",
        "catalog_own_packages=own_pkg",
        "-D",
        f"catalog_source_url={TEMPLATE}",
        "-D",
        "catalog_source_ref=v9.9.9",
    )
    assert built.status == 0 and built.warnings == [], built.output
    return built


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


def test_a_class_page_links_our_source_at_the_tag_and_line(site: Build):
    page = site.page(f"{GENERATED}/own_pkg.operators.FirstOperator")
    source = (Path(site.source) / "pkgs" / "own_pkg" / "operators.py").read_text().splitlines()
    line = next(n for n, text in enumerate(source, 1) if text.startswith("class FirstOperator"))
    assert f'href="https://git.example.org/team/etl/blob/v9.9.9/src/own_pkg/operators.py#L{line}"' in page
    assert f"Defined in own_pkg/operators.py, line {line}: view the source at v9.9.9." in text_of(page)


def test_an_upstream_class_page_links_the_project_source(site: Build):
    page = site.page(f"{GENERATED}/airflow.providers.http.operators.http.HttpOperator")
    assert 'href="https://github.com/apache/airflow"' in page
    assert "of the project's source" in text_of(page)


def test_a_package_page_shows_the_install_line_and_the_airflow_versions(site: Build):
    text = text_of(site.page(f"{GENERATED}/package-airflow.providers.http"))
    assert 'pip install "apache-airflow-providers-http==6.3.0"' in text.replace("&quot;", '"')
    assert "Supports Airflow >=2.11.0" in text.replace("&gt;", ">")
    own = text_of(site.page(f"{GENERATED}/package-own_pkg"))
    assert "was not installed where this site was built" in own
