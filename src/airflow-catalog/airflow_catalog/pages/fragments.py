"""The fragments hand-written catalog pages include: the finder's records and the list of findings."""

from __future__ import annotations

import json

from airflow_catalog.model.index import CatalogIndex
from airflow_catalog.model.names import class_docname
from airflow_catalog.pages.rst import HEADER, plain_text, sort_key


def finder_records(index: CatalogIndex) -> list[dict[str, object]]:
    """One plain record per entry for the filterable index (escaped by the browser as text)."""
    records = []
    for entry in sorted(index.catalog.entries, key=sort_key):
        findings = index.findings.get(entry.import_path, ())
        records.append(
            {
                "name": entry.name,
                "path": entry.import_path,
                "doc": class_docname(entry.import_path),
                "kind": str(entry.kind),
                "package": entry.package,
                "version": entry.package_version,
                "integration": entry.integration or "",
                "conn": list(index.conn_types[entry.import_path]),
                "summary": plain_text(entry.summary),
                "deferrable": entry.deferrable,
                # Values for the finder's filters, which offer the values records hold.
                "defers": ("can defer" if entry.deferrable else "") if entry.deferrable_known else "unknown",
                "ui_links": "has UI links" if entry.extra_links else "",
                "deprecated": entry.deprecation is not None,
                "findings": len(findings),
            }
        )
    return records


def finder_fragment(index: CatalogIndex) -> str:
    """Return the fragment holding the filterable index's data, included by ``catalog/index``."""
    # One record a line: docutils refuses lines over 10,000 characters.
    records = [json.dumps(record, ensure_ascii=False, sort_keys=True) for record in finder_records(index)]
    body = [f"{record}," for record in records[:-1]] + records[-1:]
    lines = "".join(f"   {line}\n" for line in ["[", *body, "]"])
    return f"{HEADER}.. catalog-finder::\n\n{lines}"


def conformance_fragment(index: CatalogIndex) -> str:
    """Return the fragment listing every finding, included by ``catalog/conformance``.

    The findings travel as one JSON array a line to the ``catalog-findings`` directive, which
    builds the tables as nodes: a large provider has thousands of findings, and docutils parses a
    ``list-table`` cell by cell (seconds for the amazon provider's).
    """
    if not index.catalog.findings:
        return HEADER + "Every catalogued class follows the conventions.\n"
    findings = sorted(index.catalog.findings, key=lambda f: (f.severity != "error", f.rule, f.import_path))
    lines = "".join(
        "   "
        + json.dumps(
            [f.rule, str(f.severity), f.import_path, " ".join(f.message.split()), " ".join(f.fix.split())],
            ensure_ascii=False,
        )
        + "\n"
        for f in findings
    )
    return f"{HEADER}.. catalog-findings::\n\n{lines}"
