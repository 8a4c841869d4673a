"""A tiny site with the catalog; each test picks what is catalogued with ``-D``-style overrides."""

import sys
from pathlib import Path

# The fixture packages are imported from a folder, as our own package is imported from ``src``
# (the tests put ``hostile_pkg``'s folder on the path themselves).
sys.path.insert(0, str(Path(__file__).parent / "pkgs"))

project = "catalog test"
extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx_autodoc_typehints",
    "sphinx_copybutton",
    "airflow_catalog",
]
nitpicky = True
html_theme = "sphinx_rtd_theme"
html_theme_options = {"includehidden": False, "collapse_navigation": True, "navigation_depth": 2}
exclude_patterns = ["_build", "pkgs"]
graphviz_output_format = "svg"
autodoc_typehints = "description"
catalog_packages = ["own_pkg", "vendor_pkg"]
catalog_own_packages = ["own_pkg"]
# Without an icon the browser asks for /favicon.ico, and the 404 is a console error in the browser tests.
html_favicon = "favicon.svg"
