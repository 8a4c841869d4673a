"""Build the ``test-catalog`` site in a temporary folder, in this process or in a fresh one.

The site is the test root plus the repository's own hand-written catalog pages (``catalog/*.md``),
so the tests read the pages that ``make docs`` reads.
"""

from __future__ import annotations

import io
import os
import pickle
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
ROOT = Path(__file__).resolve().parent / "test-catalog"
FIXTURES = REPO / "tests" / "airflow_catalog" / "fixtures"
#: The extensions of a test site with versioning and search, as the project's conf.py loads them.
SEARCH_EXTENSIONS = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx_autodoc_typehints",
    "sphinx_copybutton",
    "airflow_catalog",
    "airflow_catalog.sphinxext.versioning",
    "airflow_catalog.sphinxext.search",
]
#: The packages that live in the test root's ``pkgs`` folder.
SITE_PACKAGES = ("own_pkg", "vendor_pkg")


def make_site(folder: Path) -> Path:
    """Copy the test root and the repository's catalog pages into ``folder``; return the source folder."""
    source = folder / "site"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns("_build", "__pycache__"))
    (source / "catalog").mkdir(exist_ok=True)
    for page in ("index.md", "conformance.md"):
        shutil.copy(REPO / "catalog" / page, source / "catalog" / page)
    return source


@dataclass
class Build:
    """One finished build: where it went and what it warned."""

    source: Path
    html: Path
    warnings: list[str]
    status: int = 0
    output: str = ""

    def page(self, docname: str) -> str:
        """Return the built HTML of ``docname``."""
        return (self.html / f"{docname}.html").read_text(encoding="utf-8")


def _warning_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if "WARNING:" in line or "ERROR:" in line]


def build_here(source: Path, parallel: int = 1, **overrides: Any) -> Build:
    """Build ``source`` with Sphinx in this process; ``overrides`` replace ``conf.py`` values."""
    from sphinx.testing.util import SphinxTestApp

    if str(FIXTURES) not in sys.path:
        sys.path.insert(0, str(FIXTURES))
    # The fixture packages of an earlier site in this process would shadow this site's copies.
    for name in [name for name in sys.modules if name.split(".")[0] in SITE_PACKAGES]:
        del sys.modules[name]
    warnings = io.StringIO()
    app = SphinxTestApp(
        "html",
        srcdir=source,
        builddir=source / "_build",
        confoverrides=overrides,
        parallel=parallel,
        status=io.StringIO(),
        warning=warnings,
    )
    try:
        app.build()
    finally:
        app.cleanup()
    return Build(source, Path(app.outdir), _warning_lines(warnings.getvalue()))


def build_fresh_process(source: Path, *options: str) -> Build:
    """Build ``source`` with ``sphinx-build`` in a new process, as ``make docs`` does."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(FIXTURES), os.environ.get("PYTHONPATH", "")])}
    html = source / "_build" / "html"
    doctrees = source / "_build" / "doctrees"
    process = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-d", str(doctrees), *options, str(source), str(html)],
        capture_output=True,
        text=True,
        env=env,
    )
    return Build(source, html, _warning_lines(process.stderr), process.returncode, strip_ansi(process.stdout))


def read_times(source: Path) -> dict[str, int]:
    """When each document was last read, from the pickled environment (``all_docs``)."""
    with (source / "_build" / "doctrees" / "environment.pickle").open("rb") as stream:
        env = pickle.load(stream)
    return dict(env.all_docs)


def reread(before: dict[str, int], after: dict[str, int]) -> set[str]:
    """Documents read again between two builds (new ones included)."""
    return {docname for docname, when in after.items() if before.get(docname) != when}


def strip_ansi(text: str) -> str:
    """Remove colour codes from Sphinx's output."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)
