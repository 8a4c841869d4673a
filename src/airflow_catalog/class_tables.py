"""The ``catalog-classes`` directive: a table of classes, each linked to its page, built as nodes.

The package and connection-type pages list hundreds of classes for a large provider. Written as a
``list-table``, docutils parses every cell as reStructuredText: about a second for the amazon
provider's package page, on every rebuild that touches one of its classes. The rows travel instead
as one JSON array a line (so the page's text still changes whenever a row does, which is what makes
Sphinx read it again) and become table nodes directly.
"""

from __future__ import annotations

import json

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from airflow_catalog.render import class_docname
from airflow_catalog.sphinx_ext import reference

logger = logging.getLogger(__name__)

#: Column titles and widths (per cent), with and without the kind column.
_COLUMNS = {True: (("Class", "Kind", "Summary"), (30, 10, 60)), False: (("Class", "Summary"), (35, 65))}


class CatalogClassesDirective(SphinxDirective):
    """``.. catalog-classes::``: the rows as :func:`~airflow_catalog.render.class_rows` writes them.

    The ``kind`` flag adds the kind column.

    Each class links to its page (``/catalog/_generated/<import path>``). The table has the classes
    ``catalog-list no-search``: the same text is on the class pages, so search skips it here.
    """

    has_content = True
    option_spec = {"kind": directives.flag}

    def run(self) -> list[nodes.Node]:
        """Return the table, or a warning and nothing when the content is not the rows."""
        try:
            rows = [json.loads(line) for line in self.content if line.strip()]
        except ValueError as error:
            logger.warning(
                "catalog-classes: invalid rows (%s); run the build again",
                error,
                type="catalog",
                subtype="page",
                location=self.get_location(),
            )
            return []
        with_kind = "kind" in self.options
        titles, widths = _COLUMNS[with_kind]
        # Names and one-line summaries: left out of smart quotes, which visit every text node.
        classes = ["catalog-list", "no-search", "colwidths-given"]
        table = nodes.table(classes=classes, support_smartquotes=False)
        group = nodes.tgroup(cols=len(titles))
        table += group
        group.extend(nodes.colspec(colwidth=width) for width in widths)
        head = nodes.thead()
        head += self.row([nodes.paragraph(title, title) for title in titles])
        body = nodes.tbody()
        for path, name, kind, summary in rows:
            cells = [self.class_link(path, name)]
            if with_kind:
                cells.append(nodes.paragraph(kind, kind))
            cells.append(nodes.paragraph(summary, summary))
            body += self.row(cells)
        group += head
        group += body
        return [table]

    @staticmethod
    def row(cells: list[nodes.Element]) -> nodes.row:
        """Return a table row of one paragraph a cell."""
        row = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            entry += cell
            row += entry
        return row

    def class_link(self, import_path: str, name: str) -> nodes.paragraph:
        """Return a paragraph holding the link to the class's page."""
        link = reference(
            self.env.current_document.docname,
            "std",
            "doc",
            "/" + class_docname(import_path),
            nodes.inline(name, name),
            warn=True,
        )
        return nodes.paragraph("", "", link)
