"""Wire the catalog into Sphinx: configuration, page generation, the page directives and references.

At ``builder-inited`` the configured packages are collected once and the generated pages are
written (only those whose text changed). Reading a page then draws its header from the collected
entry, held in this process's :data:`_STATES` (forked parallel readers inherit it); nothing is
stored on the environment, so parallel reads have nothing to merge.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import html
import json
import os
import re
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.errors import ExtensionError
from sphinx.ext.graphviz import graphviz
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.parsing import nested_parse_to_nodes
from sphinx.writers.html5 import HTML5Translator

from airflow_catalog import __version__
from airflow_catalog.collect.module_files import module_file
from airflow_catalog.model.catalog import Catalog, CatalogEntry, ImportProblem, Parameter, Severity
from airflow_catalog.model.index import CatalogIndex
from airflow_catalog.model.names import (
    CONSTRUCTOR_KINDS,
    GENERATED_DIR,
    class_docname,
    connection_docname,
    is_airflow_core,
)
from airflow_catalog.pages.class_page import PageContext, parameters_by_origin
from airflow_catalog.pages.diagrams import draw_svgs, operator_diagram
from airflow_catalog.pages.rst import plain_text
from airflow_catalog.pages.site import page_texts, write_pages
from airflow_catalog.sphinxext.class_tables import CatalogClassesDirective
from airflow_catalog.sphinxext.xrefs import (
    DocstringDispatcher,
    ReferencePolicy,
    ScriptLinksAsText,
    UndefinedSubstitutionsAsText,
    install_log_filter,
    provider_docs_url,
)

logger = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "_static"
ENV_VERSION = 9
_IMPORT_NAME = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


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


@dataclass(frozen=True)
class CatalogConfig:
    """The catalog's settings from ``conf.py``, validated.

    :param packages: import names to catalogue (``catalog_packages``).
    :param exclude: modules to leave out, with their submodules (``catalog_exclude``).
    :param strict: whether a module that fails to import fails the build (``catalog_strict``).
    :param own: import names of our own packages; ``None`` lets the collector decide by
        distribution name (``catalog_own_packages``).
    """

    packages: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    strict: bool = False
    own: tuple[str, ...] | None = None


def _import_names(name: str, value: Any, location: str) -> tuple[str, ...]:
    if isinstance(value, str):
        # ``-D catalog_own_packages=a,b`` on the command line arrives as one string.
        value = [item.strip() for item in value.split(",") if item.strip()]
    if not isinstance(value, list | tuple):
        logger.warning(
            "%s must be a list of import names such as ['etl_platform'], not %r: using []",
            name,
            value,
            type="catalog",
            subtype="config",
            location=location,
        )
        return ()
    good = []
    for item in value:
        if isinstance(item, str) and _IMPORT_NAME.match(item):
            good.append(item)
        else:
            logger.warning(
                "%s: %r is not an import name (dotted Python identifiers, e.g. 'airflow.providers.http'): "
                "left out",
                name,
                item,
                type="catalog",
                subtype="config",
                location=location,
            )
    return tuple(dict.fromkeys(good))


def read_config(app: Sphinx) -> CatalogConfig:
    """Validate the ``catalog_*`` values once; a bad value is reported and its default used.

    :param app: the Sphinx application.
    :returns: the validated settings.
    """
    config = app.config
    location = str(Path(app.confdir) / "conf.py")
    strict = config.catalog_strict
    if not isinstance(strict, bool):
        logger.warning(
            "catalog_strict must be True or False, not %r: using False",
            strict,
            type="catalog",
            subtype="config",
            location=location,
        )
        strict = False
    own = config.catalog_own_packages
    return CatalogConfig(
        packages=_import_names("catalog_packages", config.catalog_packages, location),
        exclude=_import_names("catalog_exclude", config.catalog_exclude, location),
        strict=strict,
        own=None if own is None else _import_names("catalog_own_packages", own, location),
    )


def collect(config: CatalogConfig, cache: Path | None = None) -> Catalog:
    """Collect the configured packages (imports :mod:`airflow_catalog.collect.catalog` on first use).

    :param config: validated settings.
    :param cache: the collector's per-module cache file: a rebuild then imports only the modules
        whose files changed.
    :returns: the catalog with its findings.
    """
    if not config.packages:
        return Catalog()
    from airflow_catalog.collect.catalog import collect_catalog

    return collect_catalog(config.packages, exclude=config.exclude, own=config.own, cache=cache)


@dataclass
class CatalogState:
    """What one build knows about the catalog, shared by directives and event handlers.

    :param catalog: the collected catalog.
    :param index: its look-ups.
    :param upstream_docs: docname of each upstream class's page → its package's published docs.
    """

    catalog: Catalog
    index: CatalogIndex
    upstream_docs: dict[str, str] = field(default_factory=dict)
    policy: ReferencePolicy = field(init=False)

    def __post_init__(self) -> None:
        own = [package.import_name for package in self.catalog.packages if package.is_own]
        pages = {class_docname(path): path for path in self.index.by_path}
        self.policy = ReferencePolicy(self.upstream_docs, own, pages)


#: One state per source folder, i.e. per Sphinx project built in this process.
_STATES: dict[str, CatalogState] = {}


def state_of(env: BuildEnvironment) -> CatalogState | None:
    """Return the catalog state of ``env``'s project, if the catalog was built for it."""
    return _STATES.get(str(env.srcdir))


def report_import_problems(catalog: Catalog, strict: bool) -> None:
    """Give each module that failed to import one warning; fail the build in strict mode.

    :raises ExtensionError: when ``strict`` and any module failed.
    """
    for problem in catalog.import_problems:
        logger.warning(
            "cannot import %s: %s; %s (its classes are listed from the source, without the "
            "autodoc reference)",
            problem.module,
            problem.error,
            problem.hint,
            type="catalog",
            subtype="import",
            location=_problem_location(problem),
        )
    if strict and catalog.import_problems:
        modules = ", ".join(problem.module for problem in catalog.import_problems)
        raise ExtensionError(
            f"catalog_strict is on and {len(catalog.import_problems)} module(s) failed to import: {modules}. "
            "Install what they need, add them to catalog_exclude, or set catalog_strict = False."
        )


def _problem_location(problem: ImportProblem) -> str | None:
    # A string holding ``:`` is used by Sphinx as it is; without one it would be read as a docname.
    path = module_file(problem.module)
    return f"{path}:{problem.line or 1}" if path else None


def generate(app: Sphinx) -> None:
    """At ``builder-inited``: collect, report import problems, write the pages that changed."""
    config = read_config(app)
    # Beside the doctrees: it lives and dies with the build's other saved state.
    catalog = collect(config, cache=Path(app.doctreedir) / "airflow-catalog-cache.json")
    report_import_problems(catalog, config.strict)
    index = CatalogIndex.of(catalog)
    upstream_docs = {
        class_docname(entry.import_path): provider_docs_url(entry.package)
        for entry in catalog.entries
        if not index.is_own(entry)
    }
    state = CatalogState(catalog, index, upstream_docs)
    _STATES[str(app.srcdir)] = state
    UndefinedSubstitutionsAsText.upstream_docs = frozenset(upstream_docs)
    install_log_filter(lambda: _current_doc(app), frozenset(upstream_docs))
    report = write_pages(generated_texts(app, index), Path(app.srcdir) / GENERATED_DIR)
    predraw_diagrams(app, index)
    logger.info(
        "catalog: %d classes from %d packages; %d pages written, %d unchanged, %d removed",
        len(catalog.entries),
        len(catalog.packages),
        len(report.written),
        len(report.unchanged),
        len(report.removed),
    )
    if app.builder.format == "html":
        app.config.html_static_path.append(str(STATIC_DIR))
        app.add_css_file("catalog.css")
        app.add_js_file("catalog.js", defer="defer")


def generated_texts(app: Sphinx, index: CatalogIndex) -> dict[str, str]:
    """Return every generated page: class pages with their source and history, tombstones, indexes.

    :raises ExtensionError: when the history folder or the source URL template cannot be used.
    """
    from airflow_catalog.changes import history
    from airflow_catalog.pages import provenance

    config = app.config
    # The version being built comes from the versioning extension when it is loaded.
    version = str(config.catalog_version) if "catalog_version" in config else "dev"
    folder = config.catalog_history_dir
    settings = provenance.SourceSettings(config.catalog_source_url or "", config.catalog_source_ref or "main")
    try:
        settings.check()
        published = history.load_published(Path(app.confdir, folder) if folder else None)
    except (history.HistoryError, provenance.ProvenanceError) as error:
        raise ExtensionError(str(error)) from error
    classes = history.build_history(published, index.catalog, version)
    return page_texts(PageContext(index, classes, settings))


def diagram_options(docname: str) -> dict[str, Any]:
    """Return the options of a class page's graphviz node (part of the picture's file name)."""
    return {"docname": docname}


def predraw_diagrams(app: Sphinx, index: CatalogIndex) -> None:
    """Draw every class page's diagram that is not drawn yet, with one ``dot`` process.

    The files get the names ``sphinx.ext.graphviz`` gives them (a hash of the source, the node's
    options and the ``dot`` settings), so it finds them and starts no process of its own; should
    the naming ever differ, it simply draws them itself.
    """
    config = app.config
    if app.builder.format != "html" or config.graphviz_output_format != "svg":
        return
    images = Path(app.outdir) / app.builder.imagedir
    graphs: dict[Path, str] = {}
    for entry in index.catalog.entries:
        code = operator_diagram(entry, index.hooks)
        if code is None:
            continue
        options = diagram_options(class_docname(entry.import_path))
        key = "".join((code, str(options), str(config.graphviz_dot), str(config.graphviz_dot_args)))
        path = images / f"graphviz-{hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()}.svg"
        if not path.is_file():
            graphs[path] = code
    draw_svgs(graphs, config.graphviz_dot, config.graphviz_dot_args)


def _current_doc(app: Sphinx) -> str | None:
    try:
        return app.env.current_document.docname
    except AttributeError:
        return None


def install_dispatcher(app: Sphinx, docname: str, source: list[str]) -> None:
    """At ``source-read`` of a generated page: the docstring fallbacks for this page's parse."""
    if not docname.startswith(GENERATED_DIR + "/"):
        return
    state = state_of(app.env)
    upstream = state is not None and docname in state.upstream_docs
    # Uninstalled by Sphinx with its own dispatcher when the document is done.
    DocstringDispatcher(upstream).enable()


def resolve_missing(
    app: Sphinx, env: BuildEnvironment, node: pending_xref, contnode: nodes.TextElement
) -> nodes.Node | None:
    """At ``missing-reference``: link standard-library and Airflow types, soften upstream references."""
    state = state_of(env)
    if state is None:
        return None
    return state.policy.resolve(node, contnode)


def forget_module_dependencies(app: Sphinx, doctree: nodes.document) -> None:
    """Drop autodoc's dependency of an operator's page on its module file.

    autodoc makes every page that documents a module's object depend on the module's file, so
    editing one class would re-read the pages of all its neighbours. An operator, sensor or
    transfer page shows only what its entry holds (docstring and constructor), and the page's text
    carries the entry's digest, which rewrites it (and only it) when the class changes. A hook's,
    trigger's or notifier's page also shows its methods: it keeps the dependency.
    """
    docname = app.env.current_document.docname
    state = state_of(app.env)
    if state is None or not docname.startswith(GENERATED_DIR + "/"):
        return
    entry = state.index.by_path.get(docname.removeprefix(GENERATED_DIR + "/"))
    dependencies = app.env.dependencies.get(docname)
    if entry is not None and entry.kind in CONSTRUCTOR_KINDS and dependencies:
        dependencies.difference_update({dep for dep in dependencies if str(dep).endswith(".py")})


def write_catalog_json(app: Sphinx, exception: Exception | None) -> None:
    """At ``build-finished``: ``catalog.json`` at the root of the built site."""
    state = state_of(app.env)
    if exception is not None or state is None or app.builder.format != "html":
        return
    path = Path(app.outdir) / "catalog.json"
    text = state.catalog.dumps()
    temporary = path.with_name(".catalog.json.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


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
            logger.warning(
                "catalog-entry: %s is not in the catalog; run the build again to regenerate this page",
                import_path,
                type="catalog",
                subtype="page",
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
        result.extend(self.section("Connection", self.connection(entry)))
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
        text = f"Module {entry.module} could not be imported, so this page was read from its source."
        if problems:
            text += f" Error: {problems[0].error}. Fix: {problems[0].hint}"
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
        return [
            nodes.literal(parameter.name, parameter.name),
            nodes.literal(parameter.type, parameter.type) if parameter.type else "",
            nodes.literal(parameter.default, parameter.default) if parameter.default is not None else "",
            "yes" if parameter.required else "",
            "yes" if parameter.templated else "",
            description or "",
        ]

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
        return reference(
            self.env.current_document.docname,
            "std",
            "doc",
            "/" + connection_docname(conn_type),
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


class CatalogFindingsDirective(SphinxDirective):
    """``.. catalog-findings::`` with one ``[rule, severity, class, problem, fix]`` JSON array a line.

    Draws the count of findings by rule and the table of every finding, each rule linked to its
    explanation on the conventions page and each class to its page.
    """

    has_content = True

    def run(self) -> list[nodes.Node]:
        """Return the two tables."""
        try:
            findings = [json.loads(line) for line in self.content if line.strip()]
        except ValueError as error:
            logger.warning(
                "catalog-findings: invalid content (%s); run the build again",
                error,
                type="catalog",
                subtype="page",
                location=self.get_location(),
            )
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
        return reference(
            self.env.current_document.docname,
            "std",
            "doc",
            "/" + class_docname(import_path),
            nodes.inline(name, name),
        )


class catalog_finder(nodes.General, nodes.Element):
    """The filterable index: its records travel in ``node['records']``."""


class CatalogFinderDirective(SphinxDirective):
    """``.. catalog-finder::`` with the records as JSON content: the table that filters as you type."""

    has_content = True

    def run(self) -> list[nodes.Node]:
        """Return the finder node holding the records."""
        try:
            records = json.loads("\n".join(self.content) or "[]")
        except ValueError as error:
            logger.warning(
                "catalog-finder: invalid records (%s); run the build again",
                error,
                type="catalog",
                subtype="page",
                location=self.get_location(),
            )
            records = []
        return [catalog_finder("", records=records)]


def json_for_script(value: Any) -> str:
    """Serialise ``value`` for a ``<script type="application/json">`` element.

    ``<``, ``>`` and ``&`` become JSON escapes, so no text of a docstring or of provider metadata (a
    label holding ``</script>``) can end the element early; ``JSON.parse`` reads them back as characters.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


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


def skip_finder(self: Any, node: catalog_finder) -> None:
    """Other builders: the finder has no text form."""
    raise nodes.SkipNode


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the catalog's configuration, events, directives and the finder node."""
    # sphinx-autodoc-typehints 3.6 calls two APIs Sphinx 9 deprecates, once per docstring, and
    # Airflow's logging prints every one of them: hundreds of lines that bury the build's own output.
    for deprecated in (r".*_RstSnippetParser\.set_application", r".*BuildEnvironment\.app"):
        warnings.filterwarnings("ignore", message=deprecated, category=DeprecationWarning)
        warnings.filterwarnings("ignore", message=deprecated, category=PendingDeprecationWarning)
    app.setup_extension("sphinx.ext.autodoc")
    app.setup_extension("sphinx.ext.graphviz")
    app.setup_extension("airflow_catalog.sphinxext.connection_builder")  # connection pages use its directive
    app.setup_extension("airflow_catalog.sphinxext.gc_tuning")
    app.add_config_value(
        "catalog_packages", [], "env", types=frozenset({Any}), description="import names to catalogue"
    )
    app.add_config_value(
        "catalog_exclude",
        [],
        "env",
        types=frozenset({Any}),
        description="modules to leave out, with their submodules",
    )
    app.add_config_value(
        "catalog_strict",
        False,
        "env",
        types=frozenset({Any}),
        description="a module that fails to import fails the build",
    )
    app.add_config_value(
        "catalog_own_packages",
        None,
        "env",
        types=frozenset({Any}),
        description="import names of our own packages (errors, not notes)",
    )
    app.add_config_value(
        "catalog_history_dir",
        lambda _config: os.environ.get("CATALOG_HISTORY_DIR", ""),
        "env",
        types=frozenset({str}),
        description="folder of <version>/catalog.json files of the published versions (class history)",
    )
    app.add_config_value(
        "catalog_source_url",
        "",
        "env",
        types=frozenset({str}),
        description="our classes' source link: a template with {ref}, {path} and {line}",
    )
    app.add_config_value(
        "catalog_source_ref",
        lambda _config: os.environ.get("CATALOG_SOURCE_REF", "main"),
        "env",
        types=frozenset({str}),
        description="the tag or commit the source links point at",
    )
    app.add_directive("catalog-entry", CatalogEntryDirective)
    app.add_directive("catalog-finder", CatalogFinderDirective)
    app.add_directive("catalog-findings", CatalogFindingsDirective)
    app.add_directive("catalog-classes", CatalogClassesDirective)
    app.add_node(
        catalog_finder,
        html=(visit_finder_html, None),
        latex=(skip_finder, None),
        text=(skip_finder, None),
        man=(skip_finder, None),
        texinfo=(skip_finder, None),
    )
    app.add_transform(UndefinedSubstitutionsAsText)
    app.add_transform(ScriptLinksAsText)
    app.connect("builder-inited", generate)
    app.connect("source-read", install_dispatcher)
    app.connect("doctree-read", forget_module_dependencies, priority=900)
    app.connect("missing-reference", resolve_missing, priority=400)
    app.connect("build-finished", write_catalog_json)
    # Bump ENV_VERSION whenever a directive draws different nodes: the pages' text would not change,
    # so only a new environment makes Sphinx read them again.
    return {
        "version": __version__,
        "env_version": ENV_VERSION,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
