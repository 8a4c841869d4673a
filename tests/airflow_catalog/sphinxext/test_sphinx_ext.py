"""The Sphinx extension on a real build: configuration, import problems, strictness, pages, catalog.json."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from roots.catalog_site import Build, build_here, make_site
from sphinx.errors import ExtensionError

from airflow_catalog.model.catalog import Catalog

GENERATED = "catalog/_generated"
HOSTILE_OWN = {"catalog_packages": ["hostile_pkg"], "catalog_own_packages": []}
BROKEN_MODULES = (
    "hostile_pkg.broken.missing_dependency",
    "hostile_pkg.broken.raises_at_import",
    "hostile_pkg.broken.syntax_error",
)


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The hostile fixture package catalogued as an upstream package, built once."""
    return build_here(make_site(tmp_path_factory.mktemp("hostile")), **HOSTILE_OWN)


def test_each_import_problem_is_one_warning_naming_module_error_and_fix(hostile_site: Build) -> None:
    import_warnings = [line for line in hostile_site.warnings if "[catalog.import]" in line]
    assert len(import_warnings) == len(BROKEN_MODULES)
    for module, line in zip(BROKEN_MODULES, sorted(import_warnings), strict=True):
        assert f"cannot import {module}:" in line
        assert module.replace(".", "/") + ".py:" in line  # located at the module's file
    syntax = next(line for line in import_warnings if "syntax_error" in line)
    assert "syntax_error.py:7" in syntax and "SyntaxError" in syntax and "fix the syntax error" in syntax
    missing = next(line for line in import_warnings if "missing_dependency" in line)
    assert "pip install" in missing


def test_no_other_warning_for_an_upstream_hostile_package(hostile_site: Build) -> None:
    assert [line for line in hostile_site.warnings if "[catalog.import]" not in line] == []


def test_every_class_has_a_page_even_when_its_module_failed_to_import(hostile_site: Build) -> None:
    catalog = Catalog.load(hostile_site.html / "catalog.json")
    assert len(catalog.entries) >= 15
    for entry in catalog.entries:
        assert (hostile_site.html / GENERATED / f"{entry.import_path}.html").is_file(), entry.import_path
    unimported = next(entry for entry in catalog.entries if not entry.imported)
    page = hostile_site.page(f"{GENERATED}/{unimported.import_path}")
    assert "source, not from its imported module" in page and 'class="sig' not in page


def test_catalog_json_is_the_model_and_matches_its_schema(hostile_site: Build) -> None:
    data = json.loads((hostile_site.html / "catalog.json").read_text(encoding="utf-8"))
    catalog = Catalog.from_json(data)
    assert {problem.module for problem in catalog.import_problems} == set(BROKEN_MODULES)
    schema = Path(__import__("airflow_catalog.model").model.__file__).parent / "catalog.schema.json"
    if schema.exists():
        import jsonschema

        jsonschema.validate(data, json.loads(schema.read_text(encoding="utf-8")))


def test_html_in_a_docstring_is_shown_as_text(hostile_site: Build) -> None:
    page = hostile_site.page(f"{GENERATED}/hostile_pkg.operators.odd.HtmlDocstringOperator")
    assert "<script>alert" not in page and "<img src=x" not in page and 'href="javascript:' not in page
    assert "&lt;script&gt;alert(&quot;catalog&quot;)&lt;/script&gt;" in page or "&lt;script&gt;" in page
    index = hostile_site.page("catalog/index")
    assert "<script>alert" not in index
    records = index.split('class="catalog-records">', 1)[1].split("</script>", 1)[0]
    assert "<" not in records  # every "<" of a docstring travels as \u003c
    html_operator = next(r for r in json.loads(records) if r["name"] == "HtmlDocstringOperator")
    assert "<script>" in html_operator["summary"]


def test_class_page_shows_parameters_connection_and_findings(hostile_site: Build) -> None:
    page = hostile_site.page(f"{GENERATED}/hostile_pkg.operators.widget.WidgetOperator")
    assert "from hostile_pkg.operators.widget import WidgetOperator" in re.sub(r"<[^>]+>", "", page)
    assert 'class="catalog-parameters' in page and "widget_id" in page and "widget_conn_id" in page
    assert "Inherited from" in page  # widget_conn_id comes from WidgetBaseOperator through **kwargs
    assert "connection-widget.html" in page
    assert "<svg" in page or ".svg" in page  # the diagram
    assert "catalog-badge" in page and "deferrable" in page


def test_strict_mode_fails_the_build_naming_the_modules(tmp_path: Path) -> None:
    with pytest.raises(ExtensionError) as raised:
        build_here(make_site(tmp_path), catalog_strict=True, **HOSTILE_OWN)
    message = str(raised.value)
    assert all(module in message for module in BROKEN_MODULES)
    assert "catalog_exclude" in message


def test_excluded_modules_are_not_reported(tmp_path: Path) -> None:
    build = build_here(
        make_site(tmp_path), catalog_strict=True, catalog_exclude=["hostile_pkg.broken"], **HOSTILE_OWN
    )
    assert build.warnings == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"catalog_packages": {"own_pkg": True}}, "catalog_packages must be a list of import names"),
        ({"catalog_packages": ["own_pkg", "not a name!"]}, "'not a name!' is not an import name"),
        ({"catalog_strict": 2}, "catalog_strict must be True or False"),
        ({"catalog_exclude": 3}, "catalog_exclude must be a list of import names"),
    ],
)
def test_a_bad_setting_is_one_clear_warning(
    tmp_path: Path, overrides: dict[str, object], message: str
) -> None:
    build = build_here(make_site(tmp_path), **overrides)
    config_warnings = [line for line in build.warnings if "[catalog.config]" in line]
    assert len(config_warnings) == 1 and message in config_warnings[0]
    assert "conf.py" in config_warnings[0]


def test_diagrams_are_drawn_by_one_dot_process(tmp_path: Path) -> None:
    calls = tmp_path / "dot-calls"
    dot = tmp_path / "dot"
    dot.write_text(f'#!/bin/sh\necho call >> "{calls}"\nexec dot "$@"\n')
    dot.chmod(0o755)
    build = build_here(make_site(tmp_path), graphviz_dot=str(dot), **HOSTILE_OWN)
    assert calls.read_text().splitlines() == ["call"]
    page = build.page(f"{GENERATED}/hostile_pkg.operators.widget.WidgetOperator")
    (image,) = re.findall(r"(graphviz-[0-9a-f]+\.svg)", page)[:1]
    assert "WidgetOperator" in (build.html / "_images" / image).read_text(encoding="utf-8")


def test_conformance_page_lists_every_finding_with_its_rule_and_class(hostile_site: Build) -> None:
    catalog = Catalog.load(hostile_site.html / "catalog.json")
    page = hostile_site.page("catalog/conformance")
    body = page.split('class="catalog-list', 2)[2]  # the table of every finding, after the counts
    assert body.count('href="../docs/conventions.html#cat0') == len(catalog.findings)
    for finding in catalog.findings:
        assert f"_generated/{finding.import_path}.html" in body


def test_package_and_connection_pages_link_every_class_with_its_summary_as_text(hostile_site: Build) -> None:
    catalog = Catalog.load(hostile_site.html / "catalog.json")
    package = hostile_site.page(f"{GENERATED}/package-hostile_pkg")
    for entry in catalog.entries:
        assert f'href="{entry.import_path}.html"' in package, entry.import_path
    assert "<script>alert" not in package and "&lt;script&gt;" in package  # a hostile summary stays text
    connection = hostile_site.page(f"{GENERATED}/connection-widget")
    table = connection.split('class="catalog-list no-search', 1)[1].split("</table>", 1)[0]
    row = table.split('href="hostile_pkg.operators.widget.WidgetOperator.html"', 1)[1].split("</tr>", 1)[0]
    assert "<td><p>operator</p></td>" in row  # the kind column
    assert '<col style="width: 30.0%" />' in table
