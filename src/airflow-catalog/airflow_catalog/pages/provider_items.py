"""What a provider declares beyond its classes: the package page's list, and the page of URI schemes.

Every item of every list-valued section of a provider's metadata is on its package page, under the
section's title; the schemes a DAG can put in a URL (object storage for ``ObjectStoragePath``, asset
URIs, remote logging) are gathered on one page across packages, which is where a user looks for
"can ``archive_root`` be a ``gs://`` URL here".
"""

from __future__ import annotations

from collections.abc import Iterable

from airflow_catalog.model.catalog import PackageInfo, ProviderItem
from airflow_catalog.model.index import CatalogIndex
from airflow_catalog.model.names import class_docname, package_docname
from airflow_catalog.pages.rst import HEADER, doc_link, list_table, rst_escape, title

#: How each section is titled on a package page, in the order the page lists them; a section not
#: named here follows under its own name.
SECTION_TITLES = {
    "integrations": "Integrations",
    "task-decorators": "TaskFlow decorators",
    "operators": "Operator modules",
    "sensors": "Sensor modules",
    "transfers": "Transfer modules",
    "hooks": "Hook modules",
    "triggers": "Trigger modules",
    "notifications": "Notifiers",
    "connection-types": "Connection types",
    "extra-links": "Operator extra links (buttons in Airflow's UI)",
    "filesystems": "Object storage filesystems",
    "asset-uris": "Asset URI schemes",
    "dataset-uris": "Dataset URI schemes (Airflow 2's name for asset URIs)",
    "executors": "Executors",
    "secrets-backends": "Secrets backends",
    "logging": "Log handlers",
    "remote-logging": "Remote logging",
    "queues": "Message queues",
    "bundles": "DAG bundles",
    "dialects": "SQL dialects",
    "email-backends": "Email backends",
    "auth-managers": "Auth managers",
    "plugins": "Plugins",
    "cli": "CLI commands",
}
#: The sections whose items are URI schemes, and what the schemes page calls each.
SCHEME_SECTIONS = {
    "filesystems": "object storage (ObjectStoragePath)",
    "asset-uris": "asset URI",
    "dataset-uris": "asset URI (Airflow 2)",
    "remote-logging": "remote logging",
}


def section_title(section: str) -> str:
    """Return how a package page titles ``section``."""
    return SECTION_TITLES.get(section, section)


def _ordered_sections(items: Iterable[ProviderItem]) -> list[str]:
    present = list(dict.fromkeys(item.section for item in items))
    order = {name: position for position, name in enumerate(SECTION_TITLES)}
    return sorted(present, key=lambda name: (order.get(name, len(order)), name))


def _target(item: ProviderItem, index: CatalogIndex) -> str:
    if not item.target or item.target == item.name:  # a module listed by its own path
        return ""
    entry = index.by_path.get(item.target)
    if entry is not None:
        return doc_link(entry.name, class_docname(entry.import_path))
    return f"``{item.target}``"


def provider_items_section(package: PackageInfo, index: CatalogIndex) -> str:
    """Return the package page's section listing every item of its provider metadata, by section."""
    if not package.provider_items:
        return ""
    parts = ["\nWhat the provider declares\n--------------------------\n\n"]
    parts.append("Every list of the provider's metadata (``get_provider_info()``), as Airflow reads it.\n")
    for section in _ordered_sections(package.provider_items):
        rows = []
        for item in package.provider_items:
            if item.section == section:
                name = f"``{item.name}``" if item.name else ""
                rows.append([name, _target(item, index), rst_escape(item.detail)])
        parts.append(f"\n.. rubric:: {rst_escape(section_title(section))}\n\n")
        parts.append(list_table(["Name", "Points at", "Detail"], rows, "30 45 25"))
    return "".join(parts)


def schemes_page(index: CatalogIndex) -> str:
    """Return the page of every URI scheme the catalogued providers handle, and what handles each."""
    rows = []
    for package in index.catalog.packages:
        for item in package.provider_items:
            if item.section in SCHEME_SECTIONS:
                rows.append(
                    [
                        f"``{item.name}``",
                        rst_escape(SCHEME_SECTIONS[item.section]),
                        doc_link(package.import_name, package_docname(package.import_name)),
                        _target(item, index),
                    ]
                )
    rows.sort(key=lambda row: (row[1], row[0]))
    return "".join(
        [
            HEADER,
            ".. _catalog:schemes:\n\n",
            title("URI schemes"),
            "\nThe URL schemes the catalogued providers handle: for object storage (what "
            "``ObjectStoragePath`` can open, so what a path such as an archive root may use), for asset "
            "URIs, and for remote logging; each with its provider and the code that handles it.\n\n",
            list_table(
                ["Scheme", "For", "Provider", "Handled by"],
                rows,
                "15 25 25 35",
                empty="No catalogued provider declares a URI scheme.",
            ),
            "\n",
        ]
    )
