"""The build side of versioned publishing: switcher, banner, canonical links and ``build-info.json``.

Every page gets the version it was built as (``<meta name="docs-version">``), a canonical link to its
twin under ``stable/``, ``noindex`` when it is a pre-release or ``dev``, and the switcher script
(through the theme's ``versions.html`` hook, which sphinx-rtd-theme 3 leaves empty when not hosted
on Read the Docs). The script reads ``versions.json`` at run time, so old versions list new ones
without being rebuilt. ``build-info.json`` is written only when the build ends without an error or,
under ``-W``, a warning: the publisher refuses a folder without it.

Configuration (the defaults read the environment, so CI needs no change to ``conf.py``):

- ``catalog_version``: the version being built (``DOCS_VERSION``, else ``dev``).
- ``catalog_site_url``: the site root's absolute URL, for absolute canonical links (empty: relative).
- ``catalog_previous_json``: the previous version's ``catalog.json`` for the page of changes
  (``CATALOG_PREVIOUS_JSON``; empty: this is the first version).
- ``catalog_previous_version``: that version's name (``CATALOG_PREVIOUS_VERSION``).
- ``catalog_current_json``: this version's ``catalog.json``, when already written (empty: the catalog
  is collected from ``catalog_packages``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

import sphinx
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ConfigError
from sphinx.util.docutils import SphinxDirective

from airflow_catalog import __version__
from airflow_catalog.files import BUILD_INFO
from airflow_catalog.model.catalog import Catalog
from airflow_catalog.publish.versions import DEV, STABLE, VersionError, normalise_version
from airflow_catalog.sphinxext.config import VERSIONING, register
from airflow_catalog.sphinxext.warning_count import start_counting, stop_counting, warning_count
from airflow_catalog.sphinxext.warnings_ import warn

HERE = Path(__file__).parent


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the configuration values, the switcher's files and the page of changes."""
    register(app, VERSIONING)
    app.add_directive("catalog-changes", CatalogChangesDirective)
    app.connect("config-inited", check_config)
    app.connect("builder-inited", forget_build_info)
    app.connect("html-page-context", add_version_to_page)
    app.connect("build-finished", write_build_info)
    return {"version": __version__, "env_version": 1, "parallel_read_safe": True, "parallel_write_safe": True}


def check_config(app: Sphinx, config: Config) -> None:
    """Normalise ``catalog_version`` and register the switcher's template and script.

    :raises ConfigError: when the version could not be published.
    """
    try:
        config.catalog_version = normalise_version(config.catalog_version)
    except VersionError as error:
        raise ConfigError(f"catalog_version (or DOCS_VERSION): {error}") from error
    # New lists, not append(): an unset value is Sphinx's shared default list.
    config.templates_path = [*config.templates_path, str(HERE / "_templates")]
    config.html_static_path = [*config.html_static_path, str(HERE / "_static")]


def forget_build_info(app: Sphinx) -> None:
    """Delete the previous build's ``build-info.json``: only a build that finishes cleanly may write it."""
    (Path(app.outdir) / BUILD_INFO).unlink(missing_ok=True)
    start_counting(app)


def add_version_to_page(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: nodes.document | None
) -> None:
    """Give the page its version, its canonical ``stable/`` twin and, before a final release, ``noindex``."""
    version = app.config.catalog_version
    context["catalog_version"] = version
    uri = app.builder.get_target_uri(pagename)
    site_url = app.config.catalog_site_url
    if site_url:
        context["pageurl"] = f"{site_url.rstrip('/')}/{STABLE}/{uri}"
    else:
        root = context.get("content_root", "./")
        context["pageurl"] = f"{'' if root == './' else root}../{STABLE}/{uri}"
    tags = [f'<meta name="docs-version" content="{escape(version)}">']
    if _is_prerelease(version):
        # Search engines should send readers to stable, not to a release candidate or main.
        tags.append('<meta name="robots" content="noindex">')
    context["metatags"] = context.get("metatags", "") + "\n" + "\n".join(tags)


def write_build_info(app: Sphinx, exception: Exception | None) -> None:
    """Write ``build-info.json`` when the HTML build finished without an error or a warning.

    A build that warned is not published (``airflow-catalog publish`` requires the file), with or
    without ``-W``: a warning is a broken link or a page that could not be drawn.
    """
    warned = warning_count(app)
    stop_counting(app)
    if exception is not None or app.builder.format != "html" or warned:
        return
    info = {
        "version": app.config.catalog_version,
        "release": app.config.release,
        "built": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sphinx": sphinx.__display_version__,
    }
    (Path(app.outdir) / BUILD_INFO).write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")


def _is_prerelease(version: str) -> bool:
    from packaging.version import Version

    return version == DEV or Version(version).is_prerelease


class CatalogChangesDirective(SphinxDirective):
    """Render "Changes in the catalog since <previous>" from the previous version's ``catalog.json``.

    The current catalog is the one this build documents (see ``current_catalog``).
    """

    has_content = False

    def run(self) -> list[nodes.Node]:
        """Return a section whose title names the previous version and whose body lists the changes."""
        from airflow_catalog.changes.diff import diff_catalogs, load_catalog

        config = self.config
        previous_path = config.catalog_previous_json
        previous_name = config.catalog_previous_version or "the previous version"
        title = f"Changes in the catalog since {previous_name}" if previous_path else "Changes in the catalog"
        section = nodes.section(ids=["changes-in-the-catalog"], names=["changes in the catalog"])
        section += nodes.title(text=title)
        if not previous_path:
            section += nodes.paragraph(
                text=f"{config.catalog_version} is the first published version: there is nothing to compare."
            )
            return [section]
        path = Path(self.env.srcdir) / previous_path
        self.env.note_dependency(str(path))
        try:
            old = load_catalog(path)
        except (OSError, ValueError) as error:
            warn(
                "changes",
                "cannot read the previous catalog %s: %s (set catalog_previous_json to an existing "
                "catalog.json, or to an empty string for a first version)",
                path,
                error,
                location=self.get_location(),
            )
            return [section]
        current_path = config.catalog_current_json
        if current_path:
            self.env.note_dependency(str(Path(self.env.srcdir) / current_path))
            new = load_catalog(Path(self.env.srcdir) / current_path)
        elif hasattr(config, "catalog_packages"):
            new = current_catalog(self.env.app)
        else:
            warn(
                "changes",
                "the page of changes needs this version's catalog: load the airflow_catalog extension, "
                "or set catalog_current_json to its catalog.json",
                location=self.get_location(),
            )
            return [section]
        changes = diff_catalogs(old, new)
        found = self.env.found_docs

        def link(import_path: str) -> str | None:
            doc = f"catalog/_generated/{import_path}"
            return f"/{doc}" if doc in found else None

        markdown = changes.to_markdown(link=link, heading_level=0)
        content = StringList(markdown.splitlines(), source=self.get_source_info()[0])
        self.state.nested_parse(content, self.content_offset, section)
        return [section]


def current_catalog(app: Sphinx) -> Catalog:
    """Return the catalog this build documents: the one the catalog extension collected, if it ran.

    :returns: that catalog, or one collected from ``catalog_packages`` once per process.
    """
    from airflow_catalog.sphinxext.config import read_config
    from airflow_catalog.sphinxext.events import collect
    from airflow_catalog.sphinxext.state import once_per_build, state_of

    state = state_of(app.env)
    if state is not None:
        return state.catalog
    return once_per_build(app, "catalog for changes", lambda: collect(read_config(app)))
