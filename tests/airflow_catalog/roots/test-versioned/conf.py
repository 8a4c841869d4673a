"""A tiny site for the publishing tests: the project's theme and the versioning extension."""

project = "Versioned"
extensions = ["myst_parser", "airflow_catalog.sphinxext.versioning"]
html_theme = "sphinx_rtd_theme"
exclude_patterns = ["_build"]
nitpicky = True
