"""Classes that take any SQL connection, on the page of every connection type whose hook is a DbApiHook.

A real Sphinx build, in a fresh process as ``make docs`` runs it, catalogues common.sql, the sqlite
provider and a small provider written here: its ``WarehouseHook`` derives from ``DbApiHook`` under a
connection type of its own, its ``MirrorHook`` does not, and one of its modules fails to import, so
its hook is read from source. Nothing in the catalog names common.sql's operators on the sqlite or
warehouse pages by hand: the group comes from the hooks' ancestry and the hooks the operators use.
"""

from __future__ import annotations

import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from airflow.sdk import Connection

from airflow_catalog.collect.hook_forms import generic_bases

DBAPI = "airflow.providers.common.sql.hooks.sql.DbApiHook"
CONF = """
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # warehouse_pkg lives beside this file
extensions = ["airflow_catalog"]
catalog_packages = ["airflow.providers.common.sql", "airflow.providers.sqlite", "warehouse_pkg"]
catalog_exclude = ["airflow.providers.common.sql.datafusion"]
exclude_patterns = ["_build"]
"""
INDEX = """
Connections
===========

.. toctree::

   catalog/_generated/connections
"""
HOOKS = '''
from airflow.providers.common.sql.hooks.sql import DbApiHook
from airflow.sdk import BaseHook


class WarehouseHook(DbApiHook):
    """Reach the warehouse."""

    conn_name_attr = "warehouse_conn_id"
    default_conn_name = "warehouse_default"
    conn_type = "warehouse"
    hook_name = "Warehouse"


class MirrorHook(BaseHook):
    """Reach the mirror."""

    conn_name_attr = "mirror_conn_id"
    default_conn_name = "mirror_default"
    conn_type = "mirror"
    hook_name = "Mirror"
'''
OPERATORS = '''
from airflow.providers.common.sql.hooks.sql import DbApiHook
from airflow.sdk import BaseHook, BaseOperator

from warehouse_pkg.hooks import MirrorHook


class WarehouseToMirrorOperator(BaseOperator):
    """Copy a table from any database to the mirror.

    :param conn_id: the database.
    :param mirror_conn_id: the mirror.
    """

    def __init__(
        self, *, conn_id: str = "sqlite_default", mirror_conn_id: str = MirrorHook.default_conn_name, **kwargs
    ):
        super().__init__(**kwargs)
        self.conn_id = conn_id
        self.mirror_conn_id = mirror_conn_id

    def execute(self, context):
        hook = BaseHook.get_connection(self.conn_id).get_hook()
        assert isinstance(hook, DbApiHook)
        MirrorHook()
'''
#: A module whose driver is missing: its hook is read from source, and still derives from DbApiHook.
BROKEN = '''
import warehouse_driver_not_installed
from airflow.providers.common.sql.hooks.sql import DbApiHook


class LakeHook(DbApiHook):
    """Reach the lake."""

    conn_name_attr = "lake_conn_id"
    default_conn_name = "lake_default"
    conn_type = "lake"
    hook_name = "Lake"
'''
PROVIDER_INFO = """
def get_provider_info():
    return {
        "package-name": "warehouse-pkg",
        "name": "Warehouse",
        "description": "A provider whose hook is a DbApiHook.",
        "connection-types": [
            {"connection-type": "warehouse", "hook-class-name": "warehouse_pkg.hooks.WarehouseHook"},
            {"connection-type": "mirror", "hook-class-name": "warehouse_pkg.hooks.MirrorHook"},
        ],
    }
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("generic")
    (source / "conf.py").write_text(CONF, encoding="utf-8")
    (source / "index.rst").write_text(INDEX, encoding="utf-8")
    package = source / "warehouse_pkg"
    package.mkdir()
    (package / "__init__.py").write_text(PROVIDER_INFO, encoding="utf-8")
    (package / "hooks.py").write_text(HOOKS, encoding="utf-8")
    (package / "operators.py").write_text(OPERATORS, encoding="utf-8")
    (package / "lake.py").write_text(BROKEN, encoding="utf-8")
    html = source / "_build" / "html"
    process = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-q", str(source), str(html)],
        capture_output=True,
        text=True,
    )
    assert process.returncode == 0, process.stderr
    return html


class _GenericGroup(HTMLParser):
    """Read the "Also works with any … connection" group of a page: its paragraph, links and rows."""

    def __init__(self) -> None:
        super().__init__()
        self.intro = ""
        self.links: list[str] = []
        self.rows: list[list[str]] = []
        self._paragraph: list[str] | None = None
        self._paragraph_links: list[str] = []
        self._in_table = False
        self._cell: list[str] | None = None
        self._last_paragraph: list[str] = []
        self._last_links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "table" and "catalog-generic-connections" in classes:
            self._in_table = True
            self.intro = "".join(self._last_paragraph)
            self.links = self._last_links
        elif tag == "p" and not self._in_table:
            self._paragraph, self._paragraph_links = [], []
        elif tag == "a" and self._paragraph is not None:
            self._paragraph_links.append(dict(attrs).get("href") or "")
        elif self._in_table and tag == "tr":
            self.rows.append([])
        elif self._in_table and tag == "td":
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "p" and self._paragraph is not None:
            self._last_paragraph, self._last_links = self._paragraph, self._paragraph_links
            self._paragraph = None
        elif tag == "td" and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._in_table = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        elif self._paragraph is not None:
            self._paragraph.append(data)


def generic_group(site: Path, conn_type: str) -> _GenericGroup:
    """Parse the group of a connection type's page."""
    parser = _GenericGroup()
    parser.feed(
        (site / "catalog" / "_generated" / f"connection-{conn_type}.html").read_text(encoding="utf-8")
    )
    parser.rows = [row for row in parser.rows if row]  # the header row has no td cells
    return parser


def generic_rows(site: Path, conn_type: str) -> list[list[str]]:
    """The rows of the "Also works with any … connection" table of a connection type's page."""
    return generic_group(site, conn_type).rows


def test_the_hooks_record_the_generic_hook_they_derive_from(site: Path) -> None:
    catalog = json.loads((site / "catalog.json").read_text(encoding="utf-8"))
    bases = {
        entry["name"]: entry["hook"]["generic_bases"]
        for entry in catalog["entries"]
        if entry["kind"] == "hook"
    }
    assert bases["WarehouseHook"] == [DBAPI]
    assert bases["SqliteHook"] == [DBAPI]
    assert bases["LakeHook"] == [DBAPI]  # read from source: its module did not import
    assert bases["MirrorHook"] == [] and bases["DbApiHook"] == []


@pytest.mark.parametrize("conn_type", ["sqlite", "warehouse", "lake"])
def test_every_database_type_lists_the_classes_that_take_any_sql_connection(
    site: Path, conn_type: str
) -> None:
    rows = generic_rows(site, conn_type)
    assert ["SQLExecuteQueryOperator", "operator", "conn_id", ""] in rows
    assert ["SQLColumnCheckOperator", "operator", "conn_id", ""] in rows
    assert ["SqlSensor", "sensor", "conn_id", "required"] in rows
    # GenericTransfer takes two, both any database.
    assert ["GenericTransfer", "operator", "source_conn_id", "required"] in rows
    assert ["GenericTransfer", "operator", "destination_conn_id", "required"] in rows
    # The mirror's own parameter is not a database connection; the database one keeps its default.
    assert ["WarehouseToMirrorOperator", "transfer", "conn_id", "sqlite_default"] in rows
    assert not [row for row in rows if row[2] == "mirror_conn_id"]
    page = (site / "catalog" / "_generated" / f"connection-{conn_type}.html").read_text(encoding="utf-8")
    assert "Also works with any DbApiHook connection" in page


def test_the_group_names_the_hook_it_comes_through(site: Path) -> None:
    group = generic_group(site, "sqlite")
    assert " ".join(group.intro.split()) == (
        "These classes take a connection of any type whose hook derives from DbApiHook, "
        "as SqliteHook of type sqlite does."
    )
    assert group.links and group.links[0].endswith(f"{DBAPI}.html")


@pytest.mark.parametrize("conn_type", ["mirror"])
def test_a_type_whose_hook_is_no_dbapihook_has_no_such_group(site: Path, conn_type: str) -> None:
    assert generic_rows(site, conn_type) == []
    page = (site / "catalog" / "_generated" / f"connection-{conn_type}.html").read_text(encoding="utf-8")
    assert "Also works with any" not in page
    # Its own parameter is listed with its own type.
    assert "mirror_conn_id" in page


def test_a_listed_operator_does_take_a_connection_of_that_type(
    site: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # What the page claims, checked with Airflow itself: the operator builds the SQLite hook.
    from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
    from airflow.providers.sqlite.hooks.sqlite import SqliteHook

    assert ["SQLExecuteQueryOperator", "operator", "conn_id", ""] in generic_rows(site, "sqlite")
    database = tmp_path / "listed.sqlite"
    monkeypatch.setenv(
        "AIRFLOW_CONN_LISTED_DB", Connection(conn_id="x", conn_type="sqlite", host=str(database)).as_json()
    )
    operator = SQLExecuteQueryOperator(task_id="t", conn_id="listed_db", sql="select 1")
    hook = operator.get_db_hook()
    assert isinstance(hook, SqliteHook)
    assert hook.get_first("select 41 + 1") == (42,)


def test_generic_bases_of_real_hooks() -> None:
    from airflow.providers.http.hooks.http import HttpHook
    from airflow.providers.sqlite.hooks.sqlite import SqliteHook

    class NamedSqlite(SqliteHook):
        hook_name = "Named"

    assert generic_bases(SqliteHook.__mro__[1:]) == (DBAPI,)
    # A subclass of a typed hook keeps the generic ancestor and skips the typed one.
    assert generic_bases(NamedSqlite.__mro__[1:]) == (DBAPI,)
    assert generic_bases(HttpHook.__mro__[1:]) == ()
