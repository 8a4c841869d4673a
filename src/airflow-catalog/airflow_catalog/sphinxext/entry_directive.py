"""``.. catalog-entry::``: the header of a class's page, drawn from its catalog entry."""

from __future__ import annotations

import dataclasses
import functools
import html
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.ext.graphviz import graphviz
from sphinx.util.docutils import SphinxDirective
from sphinx.util.parsing import nested_parse_to_nodes

from airflow_catalog.model import docstrings
from airflow_catalog.model.catalog import CatalogEntry, Parameter, Severity
from airflow_catalog.model.names import (
    connection_docname,
    is_airflow_core,
)
from airflow_catalog.pages.class_page import parameters_by_origin
from airflow_catalog.pages.diagrams import operator_diagram
from airflow_catalog.pages.rst import plain_text
from airflow_catalog.sphinxext.doctree import diagram_options, doc_link, reference, table
from airflow_catalog.sphinxext.state import state_of
from airflow_catalog.sphinxext.warnings_ import warn

#: Defaults longer than this many characters are shown under the description, not in their column.
LONG_DEFAULT = 24


class CatalogEntryDirective(SphinxDirective):
    """``.. catalog-entry:: import.path``: the header of a class's page, drawn from its entry.

    The ``digest`` option is not read: it is in the page so the page's text changes whenever the
    entry does.
    """

    required_arguments = 1
    option_spec: ClassVar[dict[str, Any]] = {"digest": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        """Return the summary, badges, import line, parameters, connection, diagram, examples, findings."""
        state = state_of(self.env)
        import_path = self.arguments[0]
        entry = state.index.by_path.get(import_path) if state else None
        if state is None or entry is None:
            warn(
                "page",
                "catalog-entry: %s is not in the catalog; run the build again to regenerate this page",
                import_path,
                location=self.get_location(),
            )
            return []
        self.index = state.index
        # Straight quotes on the whole page (autodoc's reference below included): the text is about
        # code, where ``'json'`` or ``['.sql']`` must not turn into typographic quotes. It also
        # spares the smart-quotes pass over every annotation sphinx-autodoc-typehints parses.
        self.state.document.settings.smart_quotes = False
        result: list[nodes.Node] = []
        if entry.summary:
            result.extend(self.parse(entry.summary))
        result.append(self.badges(entry))
        if entry.deprecation is not None:
            result.append(self.deprecation(entry))
        if not entry.imported:
            result.append(self.not_imported(entry))
        code = f"from {entry.module} import {entry.name}"
        block = nodes.literal_block(code, code, language="python", classes=["catalog-import"])
        result.append(block)
        result.extend(self.section("Parameters", self.parameter_groups(entry)))
        # Beside the parameters, where a DAG author decides on_empty and retries: not only far
        # down in the reference.
        failure = docstrings.failure_section(entry.docstring)
        result.extend(self.section("Failure behaviour", self.parse(failure) if failure else []))
        result.extend(self.section("Connection", self.connection(entry)))
        result.extend(self.section("Buttons in Airflow's UI", self.extra_links(entry)))
        result.extend(self.section("Diagram", self.diagram(entry)))
        result.extend(self.section("Examples", self.examples(entry)))
        result.extend(self.section("Conventions", self.findings(entry)))
        if not entry.imported and entry.docstring:
            result.extend(self.section("Docstring", [nodes.literal_block(entry.docstring, entry.docstring)]))
        return result

    def parse(self, text: str) -> list[nodes.Node]:
        """Parse a docstring fragment (reStructuredText) as part of this page."""
        return nested_parse_to_nodes(
            self.state, text, source=f"docstring of {self.arguments[0]}", allow_section_headings=False
        )

    def section(self, title: str, body: list[nodes.Node]) -> list[nodes.Node]:
        """Return ``body`` under a rubric, or nothing when ``body`` is empty."""
        if not body:
            return []
        anchor = nodes.make_id(f"catalog-{title}")
        rubric = nodes.rubric(title, title, ids=[anchor], classes=["catalog-section"])
        return [rubric, *body]

    def badges(self, entry: CatalogEntry) -> nodes.paragraph:
        """Kind, package@version, deferrable, deprecated and conformance, as labelled spans."""
        paragraph = nodes.paragraph(classes=["catalog-badges"])

        def badge(text: str, *classes: str) -> None:
            paragraph.append(nodes.inline(text, text, classes=["catalog-badge", *classes]))
            paragraph.append(nodes.Text(" "))

        badge(str(entry.kind), f"catalog-kind-{entry.kind}")
        badge(f"{entry.package}@{entry.package_version}", "catalog-package")
        if entry.integration:
            badge(entry.integration, "catalog-integration")
        if entry.deferrable:
            badge("deferrable", "catalog-deferrable")
        elif not entry.deferrable_known:
            badge("deferrable: unknown (source unread)", "catalog-deferrable-unknown")
        if entry.deprecation is not None:
            badge("deprecated", "catalog-deprecated")
        findings = self.index.findings.get(entry.import_path, ())
        errors = sum(1 for finding in findings if finding.severity == Severity.ERROR)
        if not findings:
            badge("conforms", "catalog-conforms")
        elif errors:
            badge(f"{errors} convention error{'s' * (errors != 1)}", "catalog-nonconforming")
        else:
            badge(f"{len(findings)} convention note{'s' * (len(findings) != 1)}", "catalog-notes")
        return paragraph

    def deprecation(self, entry: CatalogEntry) -> nodes.Node:
        """Return a warning box with the deprecation message and the replacement."""
        assert entry.deprecation is not None
        box = nodes.warning()
        text = f"Deprecated: {entry.deprecation.message}".strip()
        box += nodes.paragraph(text, text)
        if entry.deprecation.replacement:
            paragraph = nodes.paragraph("", "Use instead: ")
            paragraph += self.class_link(entry.deprecation.replacement)
            box += paragraph
        return box

    def not_imported(self, entry: CatalogEntry) -> nodes.Node:
        """Return a note that the module could not be imported: the page is read from the source."""
        problems = [p for p in self.index.catalog.import_problems if p.module == entry.module]
        # The problem says what happened: an import that failed, or a class autodoc cannot read
        # (a signature that raises), which the module's problem names.
        text = "This page was read from the class's source, not from its imported module"
        if problems:
            text += f": {problems[0].error}. Fix: {problems[0].hint}"
        else:
            text += f" ({entry.module} could not be imported)."
        box = nodes.caution()
        box += nodes.paragraph(text, text)
        return box

    def class_link(self, import_path: str) -> nodes.Node:
        """Return a ``py:class`` reference: the class's page when catalogued, else by pattern or as text."""
        short = import_path.rsplit(".", 1)[-1]
        return reference(
            self.env.current_document.docname, "py", "class", import_path, nodes.literal(short, short)
        )

    def parameters(self, entry: CatalogEntry) -> list[nodes.Node]:
        """Return the parameters table: name, type, default, required, templated, description."""
        if not entry.parameters:
            return []
        headers = ["Name", "Type", "Default", "Required", "Templated", "Description"]
        rows = [self.parameter_row(entry, parameter) for parameter in entry.parameters]
        result = table(headers, rows, [14, 16, 12, 8, 8, 42], "catalog-parameters")
        if entry.imported:
            # autodoc's reference below holds the same descriptions, and the search index has them
            # from there: indexing them twice costs the build time and the reader nothing.
            result["classes"].append("no-search")
        return [result]

    def parameter_groups(self, entry: CatalogEntry) -> list[nodes.Node]:
        """Return the class's own parameters, then each base class's under a fold of its own.

        The bases come in MRO order; Airflow's own (``BaseOperator``, ``BaseSensorOperator``) are
        folded by default: every task accepts them, and their list is long.
        """
        own, inherited = parameters_by_origin(entry)
        result = self.parameters(dataclasses.replace(entry, parameters=own)) if own else []
        for origin, parameters in inherited.items():
            short = origin.rsplit(".", 1)[-1]
            count = f"{len(parameters)} parameter{'s' * (len(parameters) != 1)}"
            folded = is_airflow_core(origin)
            summary = html.escape(f"Inherited from {short} ({count})")
            # Folded (Airflow's bases) is also left out of the search index: the same text on every
            # operator page ranked Bash and HITL operators above HTTP ones for "http".
            state = " data-pagefind-ignore" if folded else " open"
            opening = f'<details class="catalog-inherited"{state}>'
            result.append(nodes.raw("", f"{opening}<summary>{summary}</summary>", format="html"))
            if not folded:
                paragraph = nodes.paragraph("", "Accepted through ", classes=["catalog-origin"])
                paragraph += self.class_link(origin)
                paragraph += nodes.Text(" (passed on with **kwargs).")
                result.append(paragraph)
            if folded:
                # The same few dozen arguments on every operator page: built as docutils nodes on
                # each of the hundreds of pages, their table made the amazon catalog's build half
                # again as long. Written once as HTML and reused, it costs a page next to nothing.
                result.append(nodes.raw("", folded_parameters_html(parameters), format="html"))
            else:
                shown = tuple(dataclasses.replace(p, origin=entry.import_path) for p in parameters)
                result.extend(self.parameters(dataclasses.replace(entry, parameters=shown)))
            result.append(nodes.raw("", "</details>", format="html"))
        return result

    def parameter_row(self, entry: CatalogEntry, parameter: Parameter) -> list[nodes.Node | str]:
        """One row of the parameters table."""
        # Plain text: the reference below renders the same description with its links, and parsing
        # every description again would cost each page a docutils state machine per parameter.
        text = plain_text(parameter.description)
        description: list[nodes.Node] = [nodes.paragraph(text, text)] if text else []
        if parameter.origin and parameter.origin != entry.import_path:
            paragraph = nodes.paragraph("", "Inherited from ", classes=["catalog-origin"])
            paragraph += self.class_link(parameter.origin)
            description.append(paragraph)
        default: nodes.Node | str = ""
        if parameter.default is not None and len(parameter.default) > LONG_DEFAULT:
            # A long default (a dict, a lambda) wrapped into the narrow column reads as noise: it
            # goes under the description, at the description's width.
            paragraph = nodes.paragraph("", "Default: ", classes=["catalog-default"])
            paragraph += nodes.literal(parameter.default, parameter.default)
            description.insert(0, paragraph)
            default = nodes.emphasis("below", "below")
        elif parameter.default is not None:
            default = nodes.literal(parameter.default, parameter.default)
        return [
            nodes.literal(parameter.name, parameter.name),
            nodes.literal(parameter.type, parameter.type) if parameter.type else "",
            default,
            "yes" if parameter.required else "",
            "yes" if parameter.templated else "",
            description or "",
        ]

    def extra_links(self, entry: CatalogEntry) -> list[nodes.Node]:
        """Return the operator's extra links: each button's label and the link class that makes its URL."""
        items = nodes.bullet_list()
        for link in entry.extra_links:
            paragraph = nodes.paragraph("", "")
            paragraph += nodes.strong(link.name, link.name)
            paragraph += nodes.Text(", made by ")
            paragraph += self.class_link(link.link_class)
            items += nodes.list_item("", paragraph)
        return [items] if len(items) else []

    def connection(self, entry: CatalogEntry) -> list[nodes.Node]:
        """Return the connection a hook declares, or the connections (and hooks) an operator needs."""
        items = nodes.bullet_list()
        if entry.hook is not None:
            identity = entry.hook
            for label, value in (
                ("Connection type", identity.conn_type),
                ("Default connection id", identity.default_conn_name),
                ("Connection id argument", identity.conn_name_attr),
                ("Hook name", identity.hook_name),
            ):
                if value:
                    paragraph = nodes.paragraph("", f"{label}: ")
                    paragraph += (
                        self.connection_link(value)
                        if label == "Connection type"
                        else nodes.literal(value, value)
                    )
                    items += nodes.list_item("", paragraph)
        for hook_path in entry.uses_hooks:
            hook = self.index.by_path.get(hook_path)
            paragraph = nodes.paragraph("", "Uses ")
            paragraph += self.class_link(hook_path)
            conn_type = hook.hook.conn_type if hook and hook.hook else None
            if conn_type:
                paragraph += nodes.Text(" with a connection of type ")
                paragraph += self.connection_link(conn_type)
            items += nodes.list_item("", paragraph)
        return [items] if len(items) else []

    def connection_link(self, conn_type: str) -> nodes.Node:
        """Return a link to the page of a connection type."""
        return doc_link(
            self.env.current_document.docname,
            connection_docname(conn_type),
            nodes.literal(conn_type, conn_type),
        )

    def diagram(self, entry: CatalogEntry) -> list[nodes.Node]:
        """Return ``source → operator → target`` drawn by graphviz, when the class uses hooks."""
        code = operator_diagram(entry, self.index.hooks)
        if code is None:
            return []
        node = graphviz()
        node["code"] = code
        node["options"] = diagram_options(self.env.current_document.docname)
        node["alt"] = f"{entry.name} between the systems it connects"
        node["classes"] = ["catalog-diagram"]
        return [node]

    def examples(self, entry: CatalogEntry) -> list[nodes.Node]:
        """Each example snippet as a Python code block captioned with its file."""
        result: list[nodes.Node] = []
        for example in entry.examples:
            caption_text = f"{example.file}, line {example.start_line}"
            if example.dag_id:
                caption_text += f" (DAG {example.dag_id})"
            container = nodes.container("", literal_block=True, classes=["literal-block-wrapper"])
            container += nodes.caption(caption_text, caption_text)
            container += nodes.literal_block(example.code, example.code, language="python")
            result.append(container)
        return result

    def findings(self, entry: CatalogEntry) -> list[nodes.Node]:
        """Each conventions finding with its rule linked to the conventions page."""
        findings = self.index.findings.get(entry.import_path, ())
        if not findings:
            text = "Follows every convention."
            return [nodes.paragraph(text, text, classes=["catalog-conforms-note"])]
        items = nodes.bullet_list(classes=["catalog-findings"])
        for finding in findings:
            paragraph = nodes.paragraph(classes=[f"catalog-severity-{finding.severity}"])
            paragraph += reference(
                self.env.current_document.docname,
                "std",
                "ref",
                finding.rule.lower(),
                nodes.inline(finding.rule, finding.rule),
                warn=True,
            )
            paragraph += nodes.Text(f" ({finding.severity}): {finding.message} Fix: {finding.fix}")
            items += nodes.list_item("", paragraph)
        return [items]


def _code_html(text: str) -> str:
    # The markup docutils writes for a literal, so the theme and catalog.css style both alike.
    words = " ".join(f'<span class="pre">{html.escape(word)}</span>' for word in text.split(" "))
    return f'<p><code class="docutils literal notranslate">{words}</code></p>'


@functools.lru_cache(maxsize=64)
def folded_parameters_html(parameters: tuple[Parameter, ...]) -> str:
    """Return the HTML table of an Airflow base class's parameters, as :func:`table` would draw it.

    Cached: ``BaseOperator``'s parameters are the same on every operator's page.
    """
    rows = []
    for index, parameter in enumerate(parameters):
        description = plain_text(parameter.description)
        cells = [
            _code_html(parameter.name),
            _code_html(parameter.type) if parameter.type else "",
            _code_html(parameter.default) if parameter.default is not None else "",
            "<p>yes</p>" if parameter.required else "",
            "<p>yes</p>" if parameter.templated else "",
            f"<p>{html.escape(description)}</p>" if description else "",
        ]
        row_class = "row-odd" if index % 2 else "row-even"
        rows.append(f'<tr class="{row_class}">' + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    head = "".join(
        f'<th class="head"><p>{title}</p></th>'
        for title in ("Name", "Type", "Default", "Required", "Templated", "Description")
    )
    return (
        '<table class="catalog-parameters no-search docutils align-default">'
        f'<thead><tr class="row-odd">{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )
