"""A package's page (counts, install line, connection types, import problems, classes), and the overview."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from airflow_catalog.model.catalog import CatalogEntry, PackageInfo
from airflow_catalog.model.index import CatalogIndex
from airflow_catalog.model.names import class_docname, connection_docname, is_in_package, package_docname
from airflow_catalog.pages.provenance import package_section
from airflow_catalog.pages.provider_items import provider_items_section
from airflow_catalog.pages.rst import (
    HEADER,
    KIND_ORDER,
    KIND_TITLES,
    doc_link,
    entries_table,
    hidden_toctree,
    list_table,
    plain_text,
    rst_escape,
    sort_key,
    title,
)


def package_page(package: PackageInfo, entries: list[CatalogEntry], index: CatalogIndex) -> str:
    """Return the page of one package: counts by kind, connection types, problems, its classes."""
    counts = Counter(entry.kind for entry in entries)
    heading = f"{package.import_name} {package.version}"
    parts = [HEADER, f".. _catalog:package:{package.import_name}:\n\n", title(heading)]
    about = package.description or package.name
    if about:
        parts.append(f"\n{rst_escape(plain_text(about))}\n")
    role = (
        "our own package: conventions findings are errors"
        if package.is_own
        else ("an upstream package: conventions findings are informational")
    )
    parts.append(f"\nDistribution ``{package.distribution}``, {rst_escape(role)}.\n\n")
    parts.append(package_section(package))
    parts.append(
        list_table(
            ["Kind", "Classes"],
            [[KIND_TITLES[kind], str(counts[kind])] for kind in KIND_ORDER if counts[kind]]
            + [["**All**", f"**{len(entries)}**"]],
            "50 50",
        )
    )
    if package.connection_types:
        parts.append("\nConnection types\n----------------\n\n")
        parts.append(
            list_table(
                ["Connection type", "Hook"],
                [
                    [doc_link(conn.conn_type, connection_docname(conn.conn_type)), f"``{conn.hook_class}``"]
                    for conn in package.connection_types
                ],
                "40 60",
            )
        )
    problems = [p for p in index.catalog.import_problems if is_in_package(p.module, package.import_name)]
    if problems:
        parts.append("\nModules that could not be imported\n----------------------------------\n\n")
        parts.append(
            list_table(
                ["Module", "Error", "Fix"],
                [[f"``{p.module}``", rst_escape(p.error), rst_escape(p.hint)] for p in problems],
                "30 35 35",
            )
        )
    for kind in KIND_ORDER:
        of_kind = [entry for entry in entries if entry.kind == kind]
        if of_kind:
            parts.append(f"\n{title(KIND_TITLES[kind], '-')}\n")
            parts.append(entries_table(of_kind, with_kind=False))
    parts.append(provider_items_section(package, index))
    parts.append("\n" + hidden_toctree(class_docname(e.import_path) for e in sorted(entries, key=sort_key)))
    return "".join(parts)


def packages_page(index: CatalogIndex, grouped: Mapping[str, list[CatalogEntry]]) -> str:
    """Return the overview of every catalogued package with its counts by kind."""
    rows = []
    for package in index.catalog.packages:
        counts = Counter(entry.kind for entry in grouped.get(package.import_name, []))
        rows.append(
            [
                doc_link(package.import_name, package_docname(package.import_name)),
                rst_escape(package.version),
                *(str(counts[kind]) for kind in KIND_ORDER),
                str(sum(counts.values())),
            ]
        )
    headers = ["Package", "Version", *(KIND_TITLES[kind] for kind in KIND_ORDER), "All"]
    return "".join(
        [
            HEADER,
            ".. _catalog:packages:\n\n",
            title("Packages"),
            "\nEvery catalogued package and how many classes of each kind it defines.\n\n",
            list_table(headers, rows),
            "\n",
            hidden_toctree(package_docname(p.import_name) for p in index.catalog.packages),
        ]
    )
