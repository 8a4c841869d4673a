"""The connection builder on each connection type's page, a Sphinx extension beside ``airflow_catalog``.

``.. catalog-connection-builder:: http`` draws three things from the collected catalog: the table of
every parameter that takes a connection id of that type (with its default id); for a type whose hook
derives from a hook with no type of its own (common.sql's ``DbApiHook``), the parameters that take
any connection of such a type (common.sql's operators' ``conn_id``); and a form built from
the type's declared fields that writes the connection as a URI, as JSON and as an
``AIRFLOW_CONN_<ID>`` environment variable. The form's data travels in the page as JSON; the script
``connection-builder.js`` computes the three outputs in the browser, so nothing is sent anywhere.

A connection page is re-read when its builder's data changes even if the page's text did not
(``env-get-outdated``), so a new field in the provider metadata reaches the page on the next build.
"""

from __future__ import annotations

import hashlib
import html
import json
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util.docutils import SphinxDirective
from sphinx.writers.html5 import HTML5Translator

from airflow_catalog import __version__
from airflow_catalog.model.index import CatalogIndex
from airflow_catalog.model.names import class_docname
from airflow_catalog.pages.connections import (
    ConnectionUse,
    GenericGroup,
    builder_data,
    connection_uses,
    generic_uses,
    implementing_hooks,
)
from airflow_catalog.sphinxext.class_tables import class_link_html, code_html, html_table
from airflow_catalog.sphinxext.doctree import add_html_only_node, json_for_script, reference
from airflow_catalog.sphinxext.state import state_of
from airflow_catalog.sphinxext.warnings_ import warn

#: The columns of the tables of parameters that take a connection id, and their widths (per cent).
_USE_COLUMNS = ("Class", "Kind", "Parameter", "Default connection id")
_USE_WIDTHS = (35, 12, 28, 25)
JS_FILE = "connection-builder.js"
CSS_FILE = "connection-builder.css"


class connection_builder(nodes.General, nodes.Element):
    """The builder's form: its data travels in ``node['data']``."""


def _digest(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:20]


def _page_data(conn_type: str, index: CatalogIndex) -> dict[str, Any]:
    """Everything a builder directive shows for ``conn_type``: what its digest covers."""
    uses = connection_uses(conn_type, index)
    return {
        "builder": builder_data(conn_type, index),
        "uses": [[use.entry.import_path, use.parameter.name, use.default] for use in uses],
        "hooks": [hook.import_path for hook in implementing_hooks(conn_type, index)],
        "generic": [
            [group.base, [hook.import_path for hook in group.via]]
            + [[use.entry.import_path, use.parameter.name, use.default] for use in group.uses]
            for group in generic_uses(conn_type, index)
        ],
    }


class ConnectionBuilderDirective(SphinxDirective):
    """``.. catalog-connection-builder:: conn_type``: who takes the connection, and the builder."""

    required_arguments = 1
    final_argument_whitespace = True

    def run(self) -> list[nodes.Node]:
        """Return the table of parameters taking this connection type, then the builder's form."""
        conn_type = self.arguments[0].strip()
        state = state_of(self.env)
        if state is None:
            warn(
                "connection",
                "catalog-connection-builder: no catalog was collected; add airflow_catalog to extensions",
                location=self.get_location(),
            )
            return []
        index = state.index
        data = _page_data(conn_type, index)
        digests = _digests(self.env)
        digests[self.env.current_document.docname] = (conn_type, _digest(data))
        result: list[nodes.Node] = []
        result.extend(self.uses_section(conn_type, index))
        for group in generic_uses(conn_type, index):
            result.extend(self.generic_section(conn_type, group))
        anchor = nodes.make_id(f"catalog-connection-builder-{conn_type}")
        title = "Connection builder"
        result.append(nodes.rubric(title, title, ids=[anchor], classes=["catalog-section"]))
        result.append(
            nodes.paragraph(
                "",
                "Fill in the fields to get the connection as a URI, as JSON and as an environment "
                "variable. It is computed in your browser: nothing you type is sent anywhere.",
            )
        )
        result.append(connection_builder("", data=data["builder"]))
        return result

    def uses_section(self, conn_type: str, index: CatalogIndex) -> list[nodes.Node]:
        """Return the table of hooks and parameters that take a connection id of this type."""
        rows: list[list[str]] = []
        for hook in implementing_hooks(conn_type, index):
            identity = hook.hook
            assert identity is not None, "implementing_hooks returns hooks only"
            rows.append(
                [
                    self.class_link(hook.import_path, hook.name),
                    "hook",
                    self.code(identity.conn_name_attr),
                    self.code(identity.default_conn_name),
                ]
            )
        uses: list[ConnectionUse] = connection_uses(conn_type, index)
        rows.extend(self.use_row(use) for use in uses)
        title = "Connection id parameters"
        anchor = nodes.make_id(f"catalog-connection-parameters-{conn_type}")
        heading = nodes.rubric(title, title, ids=[anchor], classes=["catalog-section"])
        if not rows:
            return [heading, nodes.paragraph("", "No catalogued class takes a connection id of this type.")]
        # Raw HTML, as class_tables draws its tables: hundreds of rows for a large provider.
        text = html_table(_USE_COLUMNS, _USE_WIDTHS, rows, "catalog-list")
        return [heading, nodes.raw("", text, format="html")]

    def use_row(self, use: ConnectionUse) -> list[str]:
        """Return one row of a table of parameters that take a connection id, as HTML cells."""
        default = self.code(use.default) if use.default else ("required" if use.parameter.required else "")
        return [
            self.class_link(use.entry.import_path, use.entry.name),
            html.escape(str(use.entry.kind)),
            self.code(use.parameter.name),
            default,
        ]

    def generic_section(self, conn_type: str, group: GenericGroup) -> list[nodes.Node]:
        """Return the classes that take any connection whose hook derives from ``group``'s generic hook."""
        title = f"Also works with any {group.name} connection"
        anchor = nodes.make_id(f"catalog-connection-generic-{conn_type}-{group.name}")
        heading = nodes.rubric(title, title, ids=[anchor], classes=["catalog-section"])
        base: nodes.Node = (
            reference(
                self.env.current_document.docname,
                "std",
                "doc",
                "/" + class_docname(group.base),
                nodes.inline(group.name, group.name),
            )
            if group.entry is not None
            else nodes.literal(group.base, group.base)
        )
        intro = nodes.paragraph("", "These classes take a connection of any type whose hook derives from ")
        intro += base
        intro += nodes.Text(f", as {self.names([hook.name for hook in group.via])} of type ")
        intro += nodes.literal(conn_type, conn_type)
        intro += nodes.Text(" does.")
        rows = [self.use_row(use) for use in group.uses]
        text = html_table(_USE_COLUMNS, _USE_WIDTHS, rows, "catalog-list catalog-generic-connections")
        return [heading, intro, nodes.raw("", text, format="html")]

    def names(self, names: list[str]) -> str:
        """Return ``a``, ``a and b`` or ``a, b and c``."""
        return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"

    def code(self, text: str | None) -> str:
        """Return ``text`` as inline code (HTML), or an empty cell."""
        return code_html(text) if text else ""

    def class_link(self, import_path: str, name: str) -> str:
        """Return the HTML link to a class's catalog page."""
        return class_link_html(import_path, name, self.env.current_document.docname)


def _digests(env: BuildEnvironment) -> dict[str, tuple[str, str]]:
    """Docname → (connection type, digest of its builder's data), kept in the pickled environment."""
    if not hasattr(env, "catalog_connection_digests"):
        env.catalog_connection_digests = {}  # type: ignore[attr-defined]
    return env.catalog_connection_digests  # type: ignore[attr-defined]


def outdated_builders(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """At ``env-get-outdated``: the pages whose builder data changed although their text did not."""
    state = state_of(env)
    if state is None:
        return []
    return [
        docname
        for docname, (conn_type, digest) in _digests(env).items()
        if docname not in removed and _digest(_page_data(conn_type, state.index)) != digest
    ]


def forget_doc(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    """At ``env-purge-doc``: drop a page's digest (it is recorded again when the page is read)."""
    _digests(env).pop(docname, None)


def merge_digests(app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment) -> None:
    """At ``env-merge-info``: take the digests a parallel reader recorded."""
    theirs = _digests(other)
    _digests(env).update({docname: theirs[docname] for docname in docnames if docname in theirs})


def visit_builder_html(self: HTML5Translator, node: connection_builder) -> None:
    """Write the builder's container, its data and the text shown without JavaScript."""
    self.body.append(
        '<div class="catalog-connection-builder" data-connection-builder="">'
        "<noscript><p>The connection builder needs JavaScript.</p></noscript>"
        '<script type="application/json" class="catalog-connection-data">'
        f"{json_for_script(node['data'])}</script>"
        "</div>"
    )
    raise nodes.SkipNode


def add_assets(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: nodes.document | None
) -> None:
    """At ``html-page-context``: the builder's script and style, on the pages that hold a builder."""
    if doctree is not None and any(doctree.findall(connection_builder)):
        app.add_css_file(CSS_FILE)
        app.add_js_file(JS_FILE, defer="defer")


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directive, its node, the assets and the events that keep its pages fresh."""
    # ``airflow_catalog`` loads this extension (its connection pages use the directive), collects the
    # catalog and puts ``_static``, where our assets live, on the static path.
    app.add_directive("catalog-connection-builder", ConnectionBuilderDirective)
    add_html_only_node(app, connection_builder, visit_builder_html)
    app.connect("env-get-outdated", outdated_builders)
    app.connect("env-purge-doc", forget_doc)
    app.connect("env-merge-info", merge_digests)
    app.connect("html-page-context", add_assets)
    return {"version": __version__, "env_version": 1, "parallel_read_safe": True, "parallel_write_safe": True}
