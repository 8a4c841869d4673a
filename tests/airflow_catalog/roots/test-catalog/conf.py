"""A tiny site with the catalog: the test decides what is catalogued (see ``catalog_packages``)."""

project = "catalog test"
extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx_autodoc_typehints", "sphinx_copybutton", "airflow_catalog"]
nitpicky = True
html_theme = "sphinx_rtd_theme"
html_theme_options = {"includehidden": False, "collapse_navigation": True, "navigation_depth": 2}
exclude_patterns = ["_build"]
catalog_packages: list[str] = []
graphviz_output_format = "svg"
autodoc_typehints = "description"
