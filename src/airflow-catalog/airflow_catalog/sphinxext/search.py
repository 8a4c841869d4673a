"""The browser side of full-text search: Pagefind's search page in place of Sphinx's own.

Sphinx's search box and page read ``searchindex.js``; this extension points the theme's box at a
search page that runs Pagefind's UI over the bundle :mod:`airflow_catalog.site.pagefind` writes after the
build, and stops Sphinx from building the index nothing reads any more. On that page:

- every catalogued class can be filtered by **kind**, **package** and **connection type** (the
  class pages carry them as ``<meta data-pagefind-filter>`` tags, added here from the catalog the
  build collected, so the page renderer needs to know nothing about search);
- a published version offers a scope switch, "this version" or "all published versions", which
  merges the bundles of the other versions listed in ``versions.json`` at run time (Pagefind's
  multisite search), so an old version finds pages published after it. A local build has no
  ``versions.json`` and shows no switch.

Only a page's content is indexed: the body of every document is marked ``data-pagefind-body``, so
the sidebar, the search page itself and the general index stay out of the results.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config

from airflow_catalog import __version__

HERE = Path(__file__).parent
#: Pagefind's filter names, as the search page shows them.
KIND, PACKAGE, CONNECTION_TYPE = "kind", "package", "connection type"


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the search page's templates and script, and mark each page's content and filters."""
    app.connect("config-inited", add_templates)
    app.connect("builder-inited", retire_sphinx_search)
    app.connect("html-page-context", mark_page)
    return {"version": __version__, "env_version": 1, "parallel_read_safe": True, "parallel_write_safe": True}


def add_templates(app: Sphinx, config: Config) -> None:
    """Put this package's ``searchbox.html``/``search.html`` before the theme's, and its script."""
    templates, static = str(HERE / "_templates"), str(HERE / "_static")
    # New lists, not append(): an unset value is Sphinx's shared default list.
    if templates not in config.templates_path:
        config.templates_path = [*config.templates_path, templates]
    if static not in config.html_static_path:
        config.html_static_path = [*config.html_static_path, static]


def retire_sphinx_search(app: Sphinx) -> None:
    """Stop Sphinx from feeding every page to ``searchindex.js``, which no page reads any more.

    The search page is still written, from this package's template, as an additional page.
    """
    if getattr(app.builder, "search", False) and app.builder.format == "html":
        app.builder.search = False  # type: ignore[attr-defined]
        app.config.html_additional_pages = {"search": "search.html", **app.config.html_additional_pages}


def mark_page(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: nodes.document | None
) -> None:
    """Mark a document's content for indexing and give a class page its filters."""
    if doctree is None or "body" not in context:
        return  # the search page, the general index: generated lists, not content
    context["body"] = f"<div data-pagefind-body>\n{context['body']}\n</div>"
    filters = page_filters(app, pagename)
    if filters:
        tags = [
            f'<meta data-pagefind-filter="{escape(name)}[content]" content="{escape(value)}">'
            for name, values in filters.items()
            for value in values
        ]
        context["metatags"] = context.get("metatags", "") + "\n" + "\n".join(tags)


def page_filters(app: Sphinx, pagename: str) -> dict[str, list[str]]:
    """Return the Pagefind filters of a page: a catalogued class's kind, package and connection types.

    :returns: filter name → values; empty for a page that documents no catalogued class.
    """
    from airflow_catalog.sphinxext.state import once_per_build

    return once_per_build(app, "search filters", lambda: _filters_by_page(app)).get(pagename, {})


def _filters_by_page(app: Sphinx) -> dict[str, dict[str, list[str]]]:
    from airflow_catalog.model.names import class_docname
    from airflow_catalog.sphinxext.state import state_of

    state = state_of(app.env)
    if state is None:  # the catalog extension is not loaded: no class pages, no filters
        return {}
    result = {}
    for entry in state.catalog.entries:
        filters = {KIND: [str(entry.kind)], PACKAGE: [entry.package]}
        conn_types = list(state.index.conn_types.get(entry.import_path, ()))
        if conn_types:
            filters[CONNECTION_TYPE] = conn_types
        result[class_docname(entry.import_path)] = filters
    return result
