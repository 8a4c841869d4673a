"""A connection type's page (who declares it, the classes that use it, its builder), and the overview."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping

from airflow_catalog.model.catalog import CatalogEntry
from airflow_catalog.model.index import CatalogIndex
from airflow_catalog.model.names import class_docname, connection_docname, package_docname
from airflow_catalog.pages.rst import (
    HEADER,
    KIND_ORDER,
    doc_link,
    entries_table,
    hidden_toctree,
    list_table,
    rst_escape,
    title,
)


def connections_by_type(index: CatalogIndex) -> dict[str, list[CatalogEntry]]:
    """Every connection type and the entries that need it, hooks first."""
    by_type: dict[str, list[CatalogEntry]] = defaultdict(list)
    for package in index.catalog.packages:
        for conn in package.connection_types:
            by_type.setdefault(conn.conn_type, [])
    for entry in index.catalog.entries:
        for conn_type in index.conn_types[entry.import_path]:
            by_type[conn_type].append(entry)
    return dict(sorted(by_type.items()))


def connection_page(conn_type: str, entries: list[CatalogEntry], index: CatalogIndex) -> str:
    """Return the page of one connection type: its hooks, then every class that uses them."""
    declared = [
        (package, conn)
        for package in index.catalog.packages
        for conn in package.connection_types
        if conn.conn_type == conn_type
    ]
    parts = [
        HEADER,
        f".. _catalog:connection:{conn_type}:\n\n",
        title(f"Connection type {conn_type}"),
        f"\nWhich classes use a connection of type ``{rst_escape(conn_type)}``.\n",
    ]
    if declared:
        parts.append("\nDeclared by\n\n")
        for package, conn in declared:
            hook = index.by_path.get(conn.hook_class)
            hook_text = (
                doc_link(hook.name, class_docname(hook.import_path)) if hook else f"``{conn.hook_class}``"
            )
            parts.append(
                f"* {hook_text} in {doc_link(package.import_name, package_docname(package.import_name))}\n"
            )
    if entries:
        parts.append("\n")
        parts.append(entries_table(entries))
    else:
        parts.append("\nNo catalogued class uses it.\n")
    parts.append(f"\n.. catalog-connection-builder:: {conn_type}\n")
    return "".join(parts)


def connections_page(by_type: Mapping[str, list[CatalogEntry]]) -> str:
    """Return the overview of connection types with how many classes use each."""
    rows = []
    for conn_type, entries in by_type.items():
        kinds = Counter(entry.kind for entry in entries)
        rows.append(
            [
                doc_link(conn_type, connection_docname(conn_type)),
                ", ".join(f"{kinds[kind]} {kind}" for kind in KIND_ORDER if kinds[kind]) or "none",
            ]
        )
    return "".join(
        [
            HEADER,
            ".. _catalog:connections:\n\n",
            title("Connection types"),
            "\nWhich operators, sensors and hooks use a connection of each type.\n\n",
            list_table(
                ["Connection type", "Used by"],
                rows,
                "40 60",
                empty="No catalogued package declares a connection type.",
            ),
            "\n",
            hidden_toctree(connection_docname(conn_type) for conn_type in by_type),
        ]
    )
