"""Generated pages: their text, escaping, and files rewritten only when their text changed."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from docutils.core import publish_doctree

from airflow_catalog.changes.history import build_history
from airflow_catalog.model import names
from airflow_catalog.model.catalog import (
    Catalog,
    CatalogEntry,
    ConnectionType,
    Finding,
    HookIdentity,
    Kind,
    PackageInfo,
    Parameter,
    Severity,
)
from airflow_catalog.model.docstrings import rst_escape
from airflow_catalog.model.index import CatalogIndex
from airflow_catalog.pages.class_page import PageContext
from airflow_catalog.pages.provenance import SourceSettings
from airflow_catalog.pages.rst import plain_text
from airflow_catalog.pages.site import page_texts as context_page_texts
from airflow_catalog.pages.site import write_pages

HOSTILE_TEXT = "Say <script>alert(1)</script> *twice* `now` |sub| a_ [1]_ :ref:`x` .. raw:: html"


def page_texts(catalog: Catalog) -> dict[str, str]:
    """The pages of ``catalog`` built as ``dev`` with nothing published and no source template."""
    history = build_history([], catalog, "dev")
    return context_page_texts(PageContext(CatalogIndex.of(catalog), history, SourceSettings("", "main")))


def small_catalog(summary: str = "Fetch a widget.") -> Catalog:
    hook = CatalogEntry(
        import_path="pkg.hooks.WidgetHook",
        name="WidgetHook",
        module="pkg.hooks",
        kind=Kind.HOOK,
        package="pkg",
        package_version="1.0",
        summary="Talk to widgets.",
        hook=HookIdentity(
            conn_type="widget", conn_name_attr="widget_conn_id", default_conn_name="widget_default"
        ),
    )
    operator = CatalogEntry(
        import_path="pkg.operators.WidgetOperator",
        name="WidgetOperator",
        module="pkg.operators",
        kind=Kind.OPERATOR,
        package="pkg",
        package_version="1.0",
        summary=summary,
        parameters=(Parameter("widget_id", "str", None, True, True, "which widget. (templated)"),),
        uses_hooks=("pkg.hooks.WidgetHook",),
    )
    package = PackageInfo(
        import_name="pkg",
        distribution="pkg",
        version="1.0",
        connection_types=(ConnectionType("widget", "pkg.hooks.WidgetHook"),),
        is_own=True,
    )
    finding = Finding("CAT008", Severity.ERROR, operator.import_path, "no example uses it", "add one")
    return Catalog(packages=(package,), entries=(hook, operator), findings=(finding,))


def test_rst_escape_shows_any_text_verbatim() -> None:
    doctree = publish_doctree(rst_escape(HOSTILE_TEXT), settings_overrides={"report_level": 1})
    assert doctree.astext() == HOSTILE_TEXT
    assert not list(doctree.findall(lambda node: node.tagname in ("system_message", "raw", "reference")))


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("Run a :class:`~a.b.SqlHook` query", "Run a SqlHook query"),
        ("See :ref:`the guide <howto/operator:X>`.", "See the guide."),
        ("See :ref:`howto/deferrable:HttpOperator`.", "See HttpOperator."),
        ("Read :doc:`/guides/connections`.", "Read connections."),
        ("Use ``conn_id``\n   here", "Use conn_id here"),
        ("Calls :external+boto3:py:meth:`S3.Client.get`", "Calls S3.Client.get"),
        (
            "`Hypertext Transfer Protocol (HTTP) <https://www.w3.org/Protocols/>`__",
            "Hypertext Transfer Protocol (HTTP)",
        ),
    ],
)
def test_plain_text_keeps_what_a_reader_sees(text: str, plain: str) -> None:
    assert plain_text(text) == plain


def test_pages_of_a_catalog() -> None:
    texts = page_texts(small_catalog())
    assert set(texts) == {
        "pkg.hooks.WidgetHook.rst",
        "pkg.operators.WidgetOperator.rst",
        "package-pkg.rst",
        "packages.rst",
        "connection-widget.rst",
        "connections.rst",
        "schemes.rst",
        names.FINDER_FRAGMENT,
        names.CONFORMANCE_FRAGMENT,
    }
    page = texts["pkg.operators.WidgetOperator.rst"]
    assert ".. catalog-entry:: pkg.operators.WidgetOperator" in page
    assert ".. autoclass:: pkg.operators.WidgetOperator\n   :show-inheritance:" in page
    assert ":members:" in texts["pkg.hooks.WidgetHook.rst"]  # a hook is used through its methods
    # The classes that use the connection, as rows of the catalog-classes directive.
    connection = texts["connection-widget.rst"]
    assert ".. catalog-classes::\n   :kind:\n\n" in connection
    row = '["pkg.operators.WidgetOperator", "WidgetOperator", "operator", "Fetch a widget."]'
    assert f"   {row}\n" in connection
    assert (
        '["CAT008", "error", "pkg.operators.WidgetOperator", "no example uses it", "add one"]'
        in (texts[names.CONFORMANCE_FRAGMENT])
    )
    package = texts["package-pkg.rst"]
    assert "* - Operators\n     - 1" in package and "* - Hooks\n     - 1" in package


def test_a_class_that_failed_to_import_gets_a_page_without_autodoc() -> None:
    catalog = small_catalog()
    entries = (catalog.entries[0], dataclasses.replace(catalog.entries[1], imported=False))
    page = page_texts(dataclasses.replace(catalog, entries=entries))["pkg.operators.WidgetOperator.rst"]
    assert ".. catalog-entry::" in page and "autoclass" not in page


def test_finder_records_keep_hostile_text_as_data() -> None:
    texts = page_texts(small_catalog(summary=HOSTILE_TEXT))
    fragment = texts[names.FINDER_FRAGMENT]
    body = fragment.split(".. catalog-finder::\n\n", 1)[1]
    records = json.loads("\n".join(line.removeprefix("   ") for line in body.splitlines()))
    operator = next(record for record in records if record["name"] == "WidgetOperator")
    assert operator["summary"] == plain_text(HOSTILE_TEXT)
    assert operator["conn"] == ["widget"] and operator["findings"] == 1
    assert all(len(line) < 10_000 for line in fragment.splitlines())


def test_summary_in_index_tables_is_escaped() -> None:
    page = page_texts(small_catalog(summary=HOSTILE_TEXT))["package-pkg.rst"]
    doctree = publish_doctree(page.split(".. toctree::")[0], settings_overrides={"report_level": 5})
    assert plain_text(HOSTILE_TEXT) in doctree.astext()
    assert not list(doctree.findall(lambda node: node.tagname == "raw"))


def test_texts_are_the_same_on_every_run() -> None:
    assert page_texts(small_catalog()) == page_texts(small_catalog())


def test_a_changed_docstring_changes_its_page_and_only_the_lists_that_show_it() -> None:
    before = page_texts(small_catalog())
    body_changed = small_catalog()
    body_changed = dataclasses.replace(
        body_changed,
        entries=(
            body_changed.entries[0],
            dataclasses.replace(body_changed.entries[1], docstring="Fetch a widget.\n\nNow with details."),
        ),
    )
    after = page_texts(body_changed)
    assert {name for name in before if before[name] != after[name]} == {"pkg.operators.WidgetOperator.rst"}

    summary_changed = page_texts(small_catalog(summary="Fetch two widgets."))
    changed = {name for name in before if before[name] != summary_changed[name]}
    assert changed == {
        "pkg.operators.WidgetOperator.rst",
        "package-pkg.rst",
        "connection-widget.rst",
        names.FINDER_FRAGMENT,
    }


def test_write_pages_touches_only_changed_files_and_removes_stale_ones(tmp_path: Path) -> None:
    folder = tmp_path / "_generated"
    first = write_pages({"a.rst": "A\n", "b.rst": "B\n", "old.rst": "old\n"}, folder)
    assert first.written == ("a.rst", "b.rst", "old.rst")
    a_stat = (folder / "a.rst").stat()

    second = write_pages({"a.rst": "A\n", "b.rst": "B changed\n"}, folder)
    assert second.written == ("b.rst",)
    assert second.unchanged == ("a.rst",)
    assert second.removed == ("old.rst",)
    assert (folder / "a.rst").stat().st_mtime_ns == a_stat.st_mtime_ns
    assert (folder / "a.rst").stat().st_ino == a_stat.st_ino
    assert sorted(path.name for path in folder.iterdir()) == ["a.rst", "b.rst"]
    assert (folder / "b.rst").read_text() == "B changed\n"


def test_connection_docnames_are_safe_file_names() -> None:
    assert (
        names.connection_docname("google_cloud_platform")
        == "catalog/_generated/connection-google_cloud_platform"
    )
    assert re.fullmatch(r"[\w./-]+", names.connection_docname("weird type/<x>"))


def test_a_catalog_without_connection_types_says_so_instead_of_an_empty_table() -> None:
    catalog = small_catalog()
    package = dataclasses.replace(catalog.packages[0], connection_types=())
    hook = dataclasses.replace(catalog.entries[0], hook=None)
    texts = page_texts(
        dataclasses.replace(catalog, packages=(package,), entries=(hook, *catalog.entries[1:]))
    )
    page = texts["connections.rst"]
    assert "list-table" not in page
    assert "No catalogued package declares a connection type." in page
