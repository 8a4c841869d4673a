"""The ``catalog-classes`` directive: a table of classes, each linked to its page, written as HTML.

The package and connection-type pages list hundreds of classes for a large provider, and such a page
is read again whenever one of its classes changes. Written as a ``list-table``, docutils parsed every
cell as reStructuredText: about a second for the amazon provider's package page. As docutils nodes,
the transforms still visited each of the table's thousands of nodes when the page was read, and the
writer when it was written (a third of a rebuild after one docstring edit). The table is therefore
one raw HTML node, drawn here the way Sphinx's HTML writer draws a table (so are the connection
pages' tables of :mod:`airflow_catalog.sphinxext.connection_builder`). The rows travel in the
page's text as one JSON array a line, so the text changes whenever a row does, which is what makes
Sphinx read the page again.

Every class page lives in ``catalog/_generated/`` (:func:`~airflow_catalog.pages.class_docname`), so
a link is the relative path from the listing page; ``tests/site/test_site_build.py`` checks that every
link of the built site resolves.
"""

from __future__ import annotations

import html
import posixpath
from collections.abc import Iterable, Sequence

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

from airflow_catalog.model.names import class_docname
from airflow_catalog.sphinxext.doctree import json_content

#: Column titles and widths (per cent), with and without the kind column.
_COLUMNS = {True: (("Class", "Kind", "Summary"), (30, 10, 60)), False: (("Class", "Summary"), (35, 65))}


def html_table(
    titles: Sequence[str],
    widths: Sequence[int],
    rows: Iterable[Sequence[str]],
    classes: str,
    searchable: bool = True,
) -> str:
    """Return a table as Sphinx's HTML writer draws one; each cell is HTML, one paragraph.

    :param titles: the column titles (plain text).
    :param widths: the column widths, per cent.
    :param rows: the cells of each row, as HTML.
    :param classes: the table's CSS classes besides those docutils gives every table.
    :param searchable: ``False`` leaves the table out of the search index (``data-pagefind-ignore``).
    """
    columns = "".join(f'<col style="width: {width:.1f}%" />' for width in widths)
    head = "".join(f'<th class="head"><p>{html.escape(title)}</p></th>' for title in titles)
    body = "".join(
        f'<tr class="{"row-odd" if number % 2 else "row-even"}">'
        + "".join(f"<td><p>{cell}</p></td>" if cell else "<td></td>" for cell in cells)
        + "</tr>"
        for number, cells in enumerate(rows)
    )
    ignore = "" if searchable else " data-pagefind-ignore"
    return (
        f'<table class="{classes} docutils align-default"{ignore}><colgroup>{columns}</colgroup>'
        f'<thead><tr class="row-odd">{head}</tr></thead><tbody>{body}</tbody></table>'
    )


def class_link_html(import_path: str, name: str, docname: str) -> str:
    """Return the link to a class's page from the page ``docname``, as a ``:doc:`` link is drawn."""
    href = posixpath.relpath(class_docname(import_path), posixpath.dirname(docname)) + ".html"
    title = f'<span class="doc">{html.escape(name)}</span>'
    return f'<a class="reference internal" href="{html.escape(href)}">{title}</a>'


def code_html(text: str) -> str:
    """Return ``text`` as inline code, as docutils draws a literal (so the theme styles both alike)."""
    words = " ".join(f'<span class="pre">{html.escape(word)}</span>' for word in text.split(" "))
    return f'<code class="docutils literal notranslate">{words}</code>'


def class_table_html(rows: list[list[str]], with_kind: bool, docname: str) -> str:
    """Return the table of classes of a ``catalog-classes`` directive.

    :param rows: ``[import path, name, kind, summary]`` each.
    :param with_kind: whether to show the kind column.
    :param docname: the page the table is on; links are relative to it.
    """
    titles, widths = _COLUMNS[with_kind]
    cells = (
        [
            class_link_html(path, name, docname),
            *([html.escape(kind)] if with_kind else []),
            html.escape(summary),
        ]
        for path, name, kind, summary in rows
    )
    return html_table(titles, widths, cells, "catalog-list no-search", searchable=False)


class CatalogClassesDirective(SphinxDirective):
    """``.. catalog-classes::``: the rows as :func:`~airflow_catalog.pages.rst.class_rows` writes them.

    The ``kind`` flag adds the kind column. Search (Pagefind) skips the table: the same names and
    summaries are on the class pages, which a query should find instead of every list of them.
    """

    has_content = True
    option_spec = {"kind": directives.flag}

    def run(self) -> list[nodes.Node]:
        """Return the table, or a warning and nothing when the content is not the rows."""
        rows = json_content(self, per_line=True)
        if rows is None:
            return []
        text = class_table_html(rows, "kind" in self.options, self.env.current_document.docname)
        return [nodes.raw("", text, format="html")]
