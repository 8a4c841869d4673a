"""A class's page: sections produced separately and put in order in one place (``SECTIONS``).

The header (summary, badges, import line, parameters, connection, diagram, examples, findings) is
drawn by the ``catalog-entry`` directive from the collected entry; the digest beside it makes the
page's text change whenever any of that changes. Then come the source link, the class's history
across published versions, and autodoc's reference.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterable

from airflow_catalog.changes.history import History
from airflow_catalog.model.catalog import Catalog, CatalogEntry, Finding, Parameter
from airflow_catalog.model.index import CatalogIndex
from airflow_catalog.model.names import CONSTRUCTOR_KINDS
from airflow_catalog.pages.history import history_section
from airflow_catalog.pages.provenance import SourceSettings, source_section
from airflow_catalog.pages.rst import HEADER, title


@dataclasses.dataclass(frozen=True)
class PageContext:
    """What the pages of one build are drawn from besides the entry itself.

    :param index: the catalog's look-ups.
    :param history: each class's history across the published versions.
    :param source: how our own classes link to their source.
    """

    index: CatalogIndex
    history: History
    source: SourceSettings


def heading(entry: CatalogEntry, context: PageContext) -> str:
    """Return the page's label and title."""
    return f"{HEADER}.. _catalog:{entry.import_path}:\n\n{title(entry.name)}"


def entry_header(entry: CatalogEntry, context: PageContext) -> str:
    """Return the ``catalog-entry`` directive, with the digest of everything it draws."""
    index = context.index
    digest = entry_digest(
        entry, index.findings.get(entry.import_path, ()), index.conn_types[entry.import_path]
    )
    return f"\n.. catalog-entry:: {entry.import_path}\n   :digest: {digest}\n\n"


def source(entry: CatalogEntry, context: PageContext) -> str:
    """Return where the class is defined, linked to its source."""
    return source_section(entry, context.index.packages.get(entry.package), context.source)


def history(entry: CatalogEntry, context: PageContext) -> str:
    """Return when the class was first published and how its parameters changed since."""
    return history_section(context.history, entry.import_path)


def reference(entry: CatalogEntry, context: PageContext) -> str:
    """Autodoc's reference of an imported class.

    A DAG author uses an operator through its constructor; its methods (``execute`` and the like)
    are Airflow's to call. A hook, trigger or notifier is used through its methods.
    """
    if not entry.imported:
        return ""
    members = "" if entry.kind in CONSTRUCTOR_KINDS else "   :members:\n"
    return f"Reference\n---------\n\n.. autoclass:: {entry.import_path}\n{members}   :show-inheritance:\n"


#: A class page's sections, in the order a reader meets them.
SECTIONS: tuple[Callable[[CatalogEntry, PageContext], str], ...] = (
    heading,
    entry_header,
    source,
    history,
    reference,
)


def class_page(entry: CatalogEntry, context: PageContext) -> str:
    """Return the reStructuredText of one class's page: its :data:`SECTIONS`, in order."""
    return "".join(section(entry, context) for section in SECTIONS)


def entry_digest(entry: CatalogEntry, findings: Iterable[Finding], conn_types: Iterable[str]) -> str:
    """Hash of everything a class page shows, autodoc's reference of a constructor-only page included.

    An operator's reference is its docstring and signature, both in the entry, so the digest alone
    decides when the page is read again (see :data:`CONSTRUCTOR_KINDS`). The source location is
    left out: the page does not show it, and lines added above a class move it.
    """
    shown = dataclasses.replace(entry, source=None)
    payload = json.dumps(
        [Catalog(entries=(shown,), findings=tuple(findings)).to_json(), list(conn_types)], sort_keys=True
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


def parameters_by_origin(
    entry: CatalogEntry,
) -> tuple[tuple[Parameter, ...], dict[str, tuple[Parameter, ...]]]:
    """Split an entry's parameters into its own and those of each base class, in MRO order.

    :param entry: a catalogued class.
    :returns: its own parameters (those only its docstring names included), and the inherited ones
        by the import path of the class that declares them.
    """
    own = tuple(p for p in entry.parameters if p.origin in ("", entry.import_path) or p.documented_only)
    inherited: dict[str, list[Parameter]] = {}
    for parameter in entry.parameters:
        if parameter not in own:
            inherited.setdefault(parameter.origin, []).append(parameter)
    return own, {origin: tuple(items) for origin, items in inherited.items()}
