"""Wire the catalog into Sphinx: its configuration, events, directives and nodes.

At ``builder-inited`` the configured packages are collected once and the generated pages are
written (only those whose text changed, :mod:`~airflow_catalog.sphinxext.events`). Reading a page
then draws its header from the collected entry (:mod:`~airflow_catalog.sphinxext.entry_directive`).
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

from airflow_catalog import __version__
from airflow_catalog.sphinxext.class_tables import CatalogClassesDirective
from airflow_catalog.sphinxext.config import CATALOG, register
from airflow_catalog.sphinxext.directives import (
    CatalogFinderDirective,
    CatalogFindingsDirective,
    catalog_finder,
    visit_finder_html,
)
from airflow_catalog.sphinxext.doctree import add_html_only_node
from airflow_catalog.sphinxext.entry_directive import CatalogEntryDirective
from airflow_catalog.sphinxext.events import (
    forget_module_dependencies,
    generate,
    install_dispatcher,
    resolve_missing,
    write_catalog_json,
)
from airflow_catalog.sphinxext.xrefs import (
    ScriptLinksAsText,
    UndefinedSubstitutionsAsText,
)

#: Bumped by hand when the environment's own format changes.
ENV_FORMAT = 10
#: The subpackages whose code decides what a page's doctree holds.
_PAGE_CODE = ("model", "pages", "sphinxext")


def environment_version(package: Path | None = None) -> int:
    """Return a version of the environment that changes whenever the code drawing the pages does.

    A page whose text did not change is not read again, so a change to a directive (or to what it
    is drawn from) would leave stale pages; Sphinx reads every page again when an extension's
    ``env_version`` differs from the saved environment's. Rebuilding everything after an upgrade
    or an edit of this package is the price of never serving a stale page.

    :param package: the ``airflow_catalog`` folder; by default the one this module is in.
    """
    package = package or Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(str(ENV_FORMAT).encode())
    for name in _PAGE_CODE:
        for path in sorted((package / name).rglob("*.py")):
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    return int(digest.hexdigest()[:12], 16)


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
    app.setup_extension("airflow_catalog.sphinxext.accessibility")
    register(app, CATALOG)
    app.add_directive("catalog-entry", CatalogEntryDirective)
    app.add_directive("catalog-finder", CatalogFinderDirective)
    app.add_directive("catalog-findings", CatalogFindingsDirective)
    app.add_directive("catalog-classes", CatalogClassesDirective)
    add_html_only_node(app, catalog_finder, visit_finder_html)
    app.add_transform(UndefinedSubstitutionsAsText)
    app.add_transform(ScriptLinksAsText)
    app.connect("builder-inited", generate)
    app.connect("source-read", install_dispatcher)
    app.connect("doctree-read", forget_module_dependencies, priority=900)
    app.connect("missing-reference", resolve_missing, priority=400)
    app.connect("build-finished", write_catalog_json)
    # The environment's version follows the code that draws the pages: the pages' text would not change,
    # so only a new environment makes Sphinx read them again.
    return {
        "version": __version__,
        "env_version": environment_version(),
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
