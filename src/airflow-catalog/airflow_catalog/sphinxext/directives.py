"""``.. catalog-findings::`` and ``.. catalog-finder::``: the conformance tables and the filterable index."""

from __future__ import annotations

from collections import Counter

from docutils import nodes
from sphinx.util.docutils import SphinxDirective
from sphinx.writers.html5 import HTML5Translator

from airflow_catalog.model.names import (
    class_docname,
)
from airflow_catalog.sphinxext.doctree import doc_link, json_content, json_for_script, reference, table
from airflow_catalog.sphinxext.state import CatalogState, state_of


class CatalogFindingsDirective(SphinxDirective):
    """``.. catalog-findings::`` with one ``[rule, severity, class, problem, fix]`` JSON array a line.

    Draws the count of findings by rule and the table of every finding, each rule linked to its
    explanation on the conventions page and each class to its page.
    """

    has_content = True

    def run(self) -> list[nodes.Node]:
        """Return the two tables."""
        findings = json_content(self, per_line=True)
        if findings is None:
            return []
        state = state_of(self.env)
        counts = Counter((rule, severity) for rule, severity, *_ in findings)
        summary = table(
            ["Rule", "Severity", "Findings"],
            [
                [self.rule_link(rule), severity, str(count)]
                for (rule, severity), count in sorted(counts.items())
            ],
            [30, 30, 40],
            "catalog-list",
        )
        rows = [
            [self.rule_link(rule), severity, self.class_link(path, state), problem, fix]
            for rule, severity, path, problem, fix in findings
        ]
        every = table(
            ["Rule", "Severity", "Class", "Problem", "Fix"],
            rows,
            [8, 8, 20, 32, 32],
            "catalog-list catalog-findings",
        )
        return [summary, every]

    def rule_link(self, rule: str) -> nodes.Node:
        """Return a reference to the rule's section of the conventions page (label ``cat00N``)."""
        return reference(
            self.env.current_document.docname, "std", "ref", rule.lower(), nodes.inline(rule, rule), warn=True
        )

    def class_link(self, import_path: str, state: CatalogState | None) -> nodes.Node:
        """Return a link to the class's page, or its import path as code when it has none."""
        if state is None or import_path not in state.index.by_path:
            return nodes.literal(import_path, import_path)
        name = import_path.rsplit(".", 1)[-1]
        return doc_link(
            self.env.current_document.docname, class_docname(import_path), nodes.inline(name, name)
        )


class catalog_finder(nodes.General, nodes.Element):
    """The filterable index: its records travel in ``node['records']``."""


class CatalogFinderDirective(SphinxDirective):
    """``.. catalog-finder::`` with the records as JSON content: the table that filters as you type."""

    has_content = True

    def run(self) -> list[nodes.Node]:
        """Return the finder node holding the records."""
        records = json_content(self, per_line=False) or []
        return [catalog_finder("", records=records)]


def visit_finder_html(self: HTML5Translator, node: catalog_finder) -> None:
    """Write the finder's controls, an empty table and the records (links relative to this page)."""
    records = []
    for record in node["records"]:
        linked = dict(record)
        linked["url"] = self.builder.get_relative_uri(self.builder.current_docname, record["doc"])
        del linked["doc"]
        records.append(linked)
    selects = "".join(
        f'<label class="catalog-filter">{label} <select data-filter="{key}">'
        f'<option value="">any</option></select></label>'
        for key, label in (
            ("kind", "Kind"),
            ("package", "Package"),
            ("integration", "Integration"),
            ("conn", "Connection type"),
            ("defers", "Deferrable"),
            ("ui_links", "UI links"),
        )
    )
    self.body.append(
        '<div class="catalog-finder" data-catalog-finder="">'
        '<div class="catalog-controls">'
        '<label class="catalog-search">Find <input type="search" data-query="" autocomplete="off" '
        'placeholder="name, summary, import path, connection type" aria-label="Find a class"></label>'
        f"{selects}"
        '<p class="catalog-count" aria-live="polite"></p></div>'
        '<table class="docutils catalog-table"><thead><tr><th>Class</th><th>Kind</th><th>Package</th>'
        "<th>Summary</th></tr></thead><tbody></tbody></table>"
        "<noscript><p>The filter needs JavaScript: the package and connection-type pages list every class "
        "without it.</p></noscript>"
        f'<script type="application/json" class="catalog-records">{json_for_script(records)}</script>'
        "</div>"
    )
    raise nodes.SkipNode
