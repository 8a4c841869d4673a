"""Sphinx configuration of the platform's site: hand-written docs plus the operator catalog."""

from __future__ import annotations

from importlib.metadata import version as installed_version

project = "ETL platform"
author = "Data platform team"
copyright = "2026, the data platform team"
release = installed_version("etl-platform")
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx_autodoc_typehints",
    "sphinx.ext.graphviz",
    "sphinx_copybutton",
    "airflow_catalog",
    "airflow_catalog.sphinxext.connection_builder",
    "airflow_catalog.sphinxext.versioning",
    "airflow_catalog.sphinxext.search",
    # The catalog generator's own reference pages, drawn from its code.
    "airflow_catalog.sphinxext.reference",
    "sphinxarg.ext",
]

# The repository root is the source folder: only these hold pages.
include_patterns = ["index.md", "docs/**", "catalog/**"]
exclude_patterns = ["_build", ".venv", "**/.ipynb_checkpoints"]
root_doc = "index"

nitpicky = True
myst_heading_anchors = 2
myst_enable_extensions = ["colon_fence", "deflist", "fieldlist", "attrs_block"]

# Diagrams are drawn at build time from their text sources.
graphviz_output_format = "svg"

# The catalog: our provider and the upstream providers the platform allows.
catalog_packages = [
    "etl_platform",
    "airflow.providers.http",
    "airflow.providers.standard",
    "airflow.providers.common.sql",
    # The providers whose hooks our operators compose (FTP, and the SQL databases they load into).
    "airflow.providers.ftp",
    "airflow.providers.sqlite",
    "airflow.providers.postgres",
]
# datafusion is an optional dependency of common.sql that the platform does not install.
catalog_exclude = ["airflow.providers.common.sql.datafusion"]
catalog_strict = False
catalog_own_packages = ["etl_platform"]
# Our classes link to their source at the release's tag (CATALOG_SOURCE_REF, set by the release workflow).
catalog_source_url = "https://github.com/example/etl-platform/blob/{ref}/src/etl-platform/{path}#L{line}"

autodoc_typehints = "description"
typehints_defaults = "comma"

html_theme = "sphinx_rtd_theme"
html_title = f"ETL platform {release}"
html_theme_options = {
    # Hidden toctrees hold one page per catalogued class: listing them in every page's sidebar would
    # make the build quadratic in the number of classes.
    "includehidden": False,
    "collapse_navigation": True,
    "navigation_depth": 2,
    "titles_only": True,
}
html_static_path = ["docs/_static"]
# Without an icon every browser asks the server for /favicon.ico, a 404 on each first page view.
html_favicon = "docs/_static/favicon.svg"
html_css_files = ["site.css"]
html_last_updated_fmt = None
