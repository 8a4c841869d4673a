"""The catalog's event handlers: collect and write the pages at the start, link and clean up while reading."""

from __future__ import annotations

import hashlib
from pathlib import Path

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.errors import ExtensionError
from sphinx.util import logging

from airflow_catalog.collect.module_files import module_file
from airflow_catalog.files import write_atomically
from airflow_catalog.model.catalog import Catalog, ImportProblem
from airflow_catalog.model.index import CatalogIndex
from airflow_catalog.model.names import (
    CONSTRUCTOR_KINDS,
    GENERATED_DIR,
    class_docname,
)
from airflow_catalog.pages.class_page import PageContext
from airflow_catalog.pages.diagrams import draw_svgs, operator_diagram
from airflow_catalog.pages.site import page_texts, write_pages
from airflow_catalog.sphinxext.config import CatalogConfig, read_config
from airflow_catalog.sphinxext.doctree import diagram_options
from airflow_catalog.sphinxext.state import CatalogState, remember, state_of
from airflow_catalog.sphinxext.warnings_ import warn
from airflow_catalog.sphinxext.xrefs import (
    DocstringDispatcher,
    UndefinedSubstitutionsAsText,
    install_log_filter,
    provider_docs_url,
)

logger = logging.getLogger(__name__)


STATIC_DIR = Path(__file__).parent / "_static"


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


def report_import_problems(catalog: Catalog, strict: bool) -> None:
    """Give each module that failed to import one warning; fail the build in strict mode.

    :raises ExtensionError: when ``strict`` and any module failed.
    """
    for problem in catalog.import_problems:
        warn(
            "import",
            "cannot import %s: %s; %s (its classes are listed from the source, without the "
            "autodoc reference)",
            problem.module,
            problem.error,
            problem.hint,
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
    remember(app, state)
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
    write_atomically(Path(app.outdir) / "catalog.json", state.catalog.dumps())
