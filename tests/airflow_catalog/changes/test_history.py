"""Class history and tombstones: real Sphinx builds of one small package in two versions.

Version 1.0.0 is built and its ``catalog.json`` put where the release workflow puts the published
ones (``<history>/1.0.0/catalog.json``); version 2.0.0 of the package is then built against it.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from roots.catalog_site import Build, build_fresh_process, make_site

from airflow_catalog.changes.history import (
    HistoryError,
    Published,
    build_history,
    load_published,
)
from airflow_catalog.model.catalog import Catalog, CatalogEntry, Kind, Parameter
from airflow_catalog.pages.history import tombstone_page

GENERATED = "catalog/_generated"
HEADER = '''from __future__ import annotations

from typing import Any

from airflow.sdk import BaseHook, BaseOperator


class ThingHook(BaseHook):
    """Talk to the thing service.

    :param thing_conn_id: the connection.
    """

    conn_name_attr = "thing_conn_id"
    default_conn_name = "thing_default"
    conn_type = "thing"
    hook_name = "Thing"

    def __init__(self, *, thing_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.thing_conn_id = thing_conn_id

'''
VERSION_1 = (
    HEADER
    + '''
class ThingOperator(BaseOperator):
    """Fetch a thing.

    Failure behaviour: an unreachable source raises and Airflow retries.

    :param name: which thing.
    :param size: how much of it.
    :param colour: its colour.
    """

    template_fields = ("name",)

    def __init__(self, *, name: str, size: int = 1, colour: str = "red", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.name, self.size, self.colour = name, size, colour

    def execute(self, context: Any) -> None:
        """Fetch it."""


class OldOperator(BaseOperator):
    """Fetch an old thing.

    .. deprecated:: 1.0.0
        Use histpkg.operators.ThingOperator instead.

    Failure behaviour: as ThingOperator's.
    """

    def execute(self, context: Any) -> None:
        """Fetch it."""
'''
)
VERSION_2 = (
    HEADER
    + '''
class ThingOperator(BaseOperator):
    """Fetch a thing.

    Failure behaviour: an unreachable source raises and Airflow retries.

    :param name: which thing.
    :param size: how much of it. (templated)
    :param hue: its colour.
    :param timeout: how long to wait.
    """

    template_fields = ("name", "size")

    def __init__(
        self, *, name: str, size: int = 2, hue: str = "red", timeout: float = 10.0, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.name, self.size, self.hue, self.timeout = name, size, hue, timeout

    def execute(self, context: Any) -> None:
        """Fetch it."""
'''
)


def build(root: Path, code: str, version: str, history: Path) -> Build:
    source = make_site(root)
    shutil.rmtree(source / "pkgs")
    (source / "pkgs" / "histpkg").mkdir(parents=True)
    (source / "pkgs" / "histpkg" / "__init__.py").write_text("")
    (source / "pkgs" / "histpkg" / "operators.py").write_text(code)
    return build_fresh_process(
        source,
        "-D",
        "catalog_packages=histpkg",
        "-D",
        "catalog_own_packages=histpkg",
        "-D",
        f"catalog_history_dir={history}",
        "-D",
        f"catalog_version={version}",
        "-D",
        "extensions=myst_parser,sphinx.ext.autodoc,sphinx_autodoc_typehints,airflow_catalog,"
        "airflow_catalog.sphinxext.versioning",
    )


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Build, Build, Path]:
    history = tmp_path_factory.mktemp("history")
    first = build(tmp_path_factory.mktemp("v1"), VERSION_1, "1.0.0", history)
    assert first.status == 0 and first.warnings == [], first.output
    (history / "1.0.0").mkdir()
    shutil.copy(first.html / "catalog.json", history / "1.0.0" / "catalog.json")
    second = build(tmp_path_factory.mktemp("v2"), VERSION_2, "2.0.0", history)
    assert second.status == 0 and second.warnings == [], second.output
    return first, second, history


def test_an_unpublished_class_says_its_history_starts_with_the_first_publication(releases):
    first, _, _ = releases
    page = text_of(first.page(f"{GENERATED}/histpkg.operators.ThingOperator"))
    assert "History Not yet published" in page


def test_each_class_says_when_it_appeared_and_what_changed_in_each_version(releases):
    _, second, _ = releases
    page = text_of(second.page(f"{GENERATED}/histpkg.operators.ThingOperator"))
    history = page[page.index("History") :]
    assert history.startswith("History First published in 1.0.0.")
    line = history[history.index("2.0.0:") :]
    assert "colour renamed to hue" in line
    assert "size: default 1 → 2" in line
    assert "timeout added (default 10.0)" in line
    assert "size now templated" in line


def test_a_removed_class_leaves_a_tombstone_at_its_old_address(releases):
    _, second, _ = releases
    tombstone = second.page(f"{GENERATED}/histpkg.operators.OldOperator")
    text = text_of(tombstone)
    assert "OldOperator (removed)" in text
    assert "was removed in version 2.0.0" in text
    assert "last published in version 1.0.0" in text
    assert 'href="../../../1.0.0/catalog/_generated/histpkg.operators.OldOperator.html"' in tombstone
    # The replacement its deprecation notice named, linked to its page in this version.
    assert 'href="histpkg.operators.ThingOperator.html"' in tombstone
    assert "Use histpkg.operators.ThingOperator instead" in text
    # Not in the new catalog: the tombstone is a page, not a class.
    catalog = Catalog.load(second.html / "catalog.json")
    assert "histpkg.operators.OldOperator" not in {e.import_path for e in catalog.entries}


def test_the_version_being_built_replaces_its_own_earlier_publication(releases):
    first, _, history = releases
    published = load_published(history)
    assert [p.version for p in published] == ["1.0.0"]
    # Republishing 1.0.0 itself: nothing earlier, so every class is new in it and nothing is removed.
    again = build_history(published, Catalog.load(first.html / "catalog.json"), "1.0.0")
    assert again.published == () and again.removed == {}


def test_history_folders_without_a_catalog_or_not_releases_are_left_out(tmp_path: Path):
    (tmp_path / "0.9.0").mkdir()  # published before the catalog existed
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "catalog.json").write_text(Catalog().dumps())
    for version in ("1.10.0", "1.9.0"):
        (tmp_path / version).mkdir()
        (tmp_path / version / "catalog.json").write_text(Catalog().dumps())
    assert [p.version for p in load_published(tmp_path)] == ["1.9.0", "1.10.0"]
    assert load_published(tmp_path / "missing") == []


def test_an_unreadable_published_catalog_names_the_file_and_the_fix(tmp_path: Path):
    (tmp_path / "1.0.0").mkdir()
    (tmp_path / "1.0.0" / "catalog.json").write_text(json.dumps({"schema_version": 99}))
    with pytest.raises(HistoryError, match=r"1\.0\.0/catalog\.json.*schema_version 99.*delete that folder"):
        load_published(tmp_path)


def operator(import_path: str, *parameters: Parameter) -> CatalogEntry:
    module, _, name = import_path.rpartition(".")
    return CatalogEntry(import_path, name, module, Kind.OPERATOR, "pkg", "1", parameters=parameters)


def test_a_moved_class_keeps_its_history_and_its_old_address_points_to_the_new_one():
    size = Parameter("size", "int", "1", origin="x")
    published = [
        Published("1.0.0", Catalog(entries=(operator("pkg.old.ThingOperator", size),))),
        Published("1.1.0", Catalog(entries=(operator("pkg.new.ThingOperator", size),))),
    ]
    current = Catalog(entries=(operator("pkg.new.ThingOperator", replace(size, default="2")),))
    history = build_history(published, current, "2.0.0")
    moved = history.classes["pkg.new.ThingOperator"]
    assert moved.first == "1.0.0"
    assert [(n.version, n.changes) for n in moved.notes] == [
        ("1.1.0", ("moved from ``pkg.old.ThingOperator``",)),
        ("2.0.0", ("``size``: default 1 → 2",)),
    ]
    removal = history.removed["pkg.old.ThingOperator"]
    assert (removal.last, removal.removed_in, removal.replacement) == (
        "1.0.0",
        "1.1.0",
        "pkg.new.ThingOperator",
    )
    page = tombstone_page(removal, {"pkg.new.ThingOperator"})
    assert "was removed in version 1\\.1\\.0" in page
    assert ":doc:`ThingOperator </catalog/_generated/pkg.new.ThingOperator>`" in page
