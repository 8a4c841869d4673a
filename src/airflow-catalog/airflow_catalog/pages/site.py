"""Every generated page of a build, and writing them into the Sphinx source tree.

A page that is rewritten gets a new modification time and Sphinx re-reads it; a page left alone is
not re-read. So every generated text must be a pure function of what the page shows: a class page
carries a digest of its entry, its findings and its connection types, and nothing that changes from
one build to the next (no dates, no absolute paths, no set ordering).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from airflow_catalog.files import write_atomically
from airflow_catalog.model.catalog import CatalogEntry
from airflow_catalog.model.names import (
    CONFORMANCE_FRAGMENT,
    CONNECTIONS_DOC,
    FINDER_FRAGMENT,
    PACKAGES_DOC,
    SCHEMES_DOC,
    class_docname,
    connection_docname,
    generated_file,
    package_docname,
)
from airflow_catalog.pages.class_page import PageContext, class_page
from airflow_catalog.pages.connection_pages import connection_page, connections_by_type, connections_page
from airflow_catalog.pages.fragments import conformance_fragment, finder_fragment
from airflow_catalog.pages.history import tombstone_page
from airflow_catalog.pages.package_pages import package_page, packages_page
from airflow_catalog.pages.provider_items import schemes_page


def page_texts(context: PageContext) -> dict[str, str]:
    """Every generated file's text, by path relative to :data:`~airflow_catalog.model.names.GENERATED_DIR`.

    :param context: the catalog's look-ups, the classes' history and the source settings.
    :returns: file name (``<docname tail>.rst`` or a fragment) → text; a removed class's address
        holds its tombstone page.
    """
    index = context.index
    catalog = index.catalog
    grouped: dict[str, list[CatalogEntry]] = defaultdict(list)
    for entry in catalog.entries:
        package = index.package_of(entry)
        grouped[package.import_name if package else entry.package].append(entry)
    texts: dict[str, str] = {}

    def put(docname: str, text: str) -> None:
        texts[generated_file(docname)] = text

    for entry in catalog.entries:
        put(class_docname(entry.import_path), class_page(entry, context))
    current_paths = set(index.by_path)
    for path, removal in context.history.removed.items():
        put(class_docname(path), tombstone_page(removal, current_paths))
    for package in catalog.packages:
        put(
            package_docname(package.import_name),
            package_page(package, grouped.get(package.import_name, []), index),
        )
    put(PACKAGES_DOC, packages_page(index, grouped))
    by_type = connections_by_type(index)
    for conn_type, entries in by_type.items():
        put(connection_docname(conn_type), connection_page(conn_type, entries, index))
    put(CONNECTIONS_DOC, connections_page(by_type))
    put(SCHEMES_DOC, schemes_page(index))
    texts[FINDER_FRAGMENT] = finder_fragment(index)
    texts[CONFORMANCE_FRAGMENT] = conformance_fragment(index)
    return texts


@dataclass(frozen=True)
class WriteReport:
    """What :func:`write_pages` did, by file name."""

    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]


def write_pages(texts: Mapping[str, str], folder: Path) -> WriteReport:
    """Make ``folder`` hold exactly ``texts``, touching only files whose text differs.

    Each file is written to a temporary name and renamed over the old one, so an interrupted build
    never leaves a half-written page. Files of an earlier build that are no longer generated are
    removed (a stale page would otherwise be read, and warn that no toctree lists it).

    :param texts: file name → text, as :func:`page_texts` returns.
    :param folder: the generated folder, created when missing.
    :returns: which files were written, left alone and removed.
    """
    folder.mkdir(parents=True, exist_ok=True)
    written, unchanged = [], []
    for name, text in sorted(texts.items()):
        path = folder / name
        try:
            if path.read_text(encoding="utf-8") == text:
                unchanged.append(name)
                continue
        except FileNotFoundError:
            pass
        write_atomically(path, text)
        written.append(name)
    removed = []
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.name not in texts:
            path.unlink()
            removed.append(path.name)
    return WriteReport(tuple(written), tuple(unchanged), tuple(removed))
