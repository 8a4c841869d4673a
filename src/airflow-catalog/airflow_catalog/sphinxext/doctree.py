"""Small builders of docutils nodes the catalog's directives share: tables, references, script data."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from airflow_catalog.sphinxext.warnings_ import warn


def reference(
    refdoc: str, domain: str, role: str, target: str, title: nodes.Node, *, warn: bool = False
) -> pending_xref:
    """Return an explicit-title cross-reference, resolved by Sphinx when the page is written.

    :param refdoc: the document the reference stands in.
    :param domain: ``std`` or ``py``.
    :param role: ``doc``, ``ref`` or ``class``.
    :param target: the docname (absolute, ``/…``), label or import path.
    :param title: the node shown as the link's text.
    :param warn: whether an unresolved target is a warning (our own labels must exist).
    """
    xref = pending_xref(
        "", refdomain=domain, reftype=role, reftarget=target, refexplicit=True, refwarn=warn, refdoc=refdoc
    )
    xref += title
    return xref


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[nodes.Node | list[nodes.Node] | str]],
    widths: Sequence[int],
    css_class: str,
) -> nodes.table:
    """Build a docutils table; a cell is a string, one node or a list of nodes.

    The table is left out of smart quotes: its cells are names and one-line summaries, and the
    transform visits every text node of a page (a quarter of reading a large provider's
    connection page, whose tables list hundreds of classes).
    """
    result = nodes.table(classes=css_class.split(), support_smartquotes=False)
    group = nodes.tgroup(cols=len(headers))
    result += group
    for width in widths:
        group += nodes.colspec(colwidth=width)

    def row_of(cells: Sequence[nodes.Node | list[nodes.Node] | str]) -> nodes.row:
        row = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            if isinstance(cell, str):
                if cell:
                    entry += nodes.paragraph(cell, cell)
            elif isinstance(cell, list):
                entry.extend(cell)
            elif isinstance(cell, nodes.Inline | nodes.Text):
                entry += nodes.paragraph("", "", cell)
            else:
                entry += cell
            row += entry
        return row

    head = nodes.thead()
    head += row_of(list(headers))
    group += head
    body = nodes.tbody()
    for cells in rows:
        body += row_of(cells)
    group += body
    return result


def json_for_script(value: Any) -> str:
    """Serialise ``value`` for a ``<script type="application/json">`` element.

    ``<``, ``>`` and ``&`` become JSON escapes, so no text of a docstring or of provider metadata (a
    label holding ``</script>``) can end the element early; ``JSON.parse`` reads them back as characters.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def diagram_options(docname: str) -> dict[str, Any]:
    """Return the options of a class page's graphviz node (part of the picture's file name)."""
    return {"docname": docname}


def doc_link(refdoc: str, docname: str, title: nodes.Node) -> pending_xref:
    """Return a link from ``refdoc`` to the page ``docname`` (absolute, without the leading ``/``)."""
    return reference(refdoc, "std", "doc", "/" + docname, title)


def json_content(directive: SphinxDirective, *, per_line: bool) -> Any:
    """Return a catalog directive's content read as JSON, or ``None`` after a warning when it is not.

    The generated pages hand their data to the directives as JSON: one value a line (a docutils
    line may not exceed 10,000 characters) or one value over all lines.

    :param directive: the running directive.
    :param per_line: one JSON value a line (returned as a list), else one value in all.
    """
    try:
        if per_line:
            return [json.loads(line) for line in directive.content if line.strip()]
        return json.loads("\n".join(directive.content) or "[]")
    except ValueError as error:
        warn(
            "page",
            "%s: invalid content (%s); run the build again",
            directive.name,
            error,
            location=directive.get_location(),
        )
        return None


def skip_node(self: Any, node: nodes.Node) -> None:
    """Leave a widget out of a builder other than HTML: it has no text form."""
    raise nodes.SkipNode


def add_html_only_node(app: Sphinx, node_class: type[nodes.Element], visit_html: Callable[..., None]) -> None:
    """Register a node that only HTML draws (a widget its script drives); other builders leave it out."""
    skip = (skip_node, None)
    app.add_node(node_class, html=(visit_html, None), latex=skip, text=skip, man=skip, texinfo=skip)
