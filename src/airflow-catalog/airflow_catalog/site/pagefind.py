"""Index a built site for full-text search with Pagefind, after the Sphinx build.

Pagefind (the ``pagefind[bin]`` wheel: the binary ships in the wheel, nothing is downloaded) reads
the built HTML and writes a static search bundle into ``<site>/pagefind/``: index chunks fetched on
demand by the browser, so search works from any static server and costs nothing at build time but
this step. Which part of a page is indexed and its filters (kind, package, connection type) are
marked in the HTML by :mod:`airflow_catalog.sphinxext.search`.

The bundle is written beside the site and renamed into place, so a failed run leaves the previous
bundle (or none) and never half of one.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from airflow_catalog.files import BUILD_INFO, swap_folder

#: The search bundle's folder inside the site.
BUNDLE = "pagefind"
#: Parts of a page that are chrome, not content: the ``¶`` after each heading and the copy button.
EXCLUDE_SELECTORS = (".headerlink", ".copybtn")
#: Characters that belong to words in this site's vocabulary (``template_fields``, ``conn_id``...).
INCLUDE_CHARACTERS = "_"
#: Files of the bundle the search page loads first; an empty one breaks search for every reader.
REQUIRED_FILES = (
    "pagefind.js",
    "pagefind-ui.js",
    "pagefind-ui.css",
    "pagefind-entry.json",
    "pagefind-worker.js",
)
#: Written by :mod:`airflow_catalog.sphinxext.versioning` when the Sphinx build finished cleanly.


class SearchIndexError(RuntimeError):
    """The site could not be indexed; the site keeps its previous search bundle, if any."""


@dataclass(frozen=True)
class IndexReport:
    """What one indexing run did.

    :param pages: how many pages are searchable.
    :param seconds: how long indexing and writing the bundle took.
    :param bundle: the bundle's folder.
    """

    pages: int
    seconds: float
    bundle: Path


def index_site(site: Path) -> IndexReport:
    """Index every HTML page of ``site`` into ``site/pagefind``.

    :param site: a built HTML site.
    :raises SearchIndexError: when the folder holds no built site, its pages were built without
        :mod:`airflow_catalog.sphinxext.search` (no ``data-pagefind-body`` marks), or Pagefind fails.
    :returns: how many pages were indexed and how long it took.
    """
    site = site.resolve()
    home = site / "index.html"
    if not home.is_file():
        raise SearchIndexError(f"{site} holds no index.html: build the site before indexing it")
    # Without the marks Pagefind would index every page whole, sidebar and footer included, for a
    # search page that Sphinx's own search would still own.
    if "data-pagefind-body" not in home.read_text(encoding="utf-8", errors="replace"):
        raise SearchIndexError(
            f"{home} has no data-pagefind-body mark: add airflow_catalog.sphinxext.search to the "
            "extensions in conf.py and build again"
        )
    started = time.perf_counter()
    staged = site / f".{BUNDLE}-{uuid.uuid4().hex}"
    try:
        _run_pagefind(site, staged)
        pages = searchable_pages(staged)
        if not staged.is_dir():
            raise SearchIndexError(f"Pagefind wrote no bundle to {staged}")
        swap_folder(staged, site / BUNDLE)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    return IndexReport(pages=pages, seconds=time.perf_counter() - started, bundle=site / BUNDLE)


def index_after_build(site: Path) -> int:
    """Index a site the Sphinx build has just written, for the command line's ``build``.

    A site whose index failed is not complete: its ``build-info.json`` is removed so that the
    publisher refuses it, as it refuses a build that failed.

    :param site: the built HTML site.
    :returns: 0 on success, 1 after printing the error.
    """
    try:
        report = index_site(site)
    except SearchIndexError as error:
        (site / BUILD_INFO).unlink(missing_ok=True)
        print(f"error: search index not written: {error}", flush=True)
        return 1
    print(f"Search index: {report.pages} pages in {report.seconds:.2f} s ({report.bundle})", flush=True)
    return 0


def searchable_pages(bundle: Path) -> int:
    """Return how many pages a written bundle makes searchable, from its ``pagefind-entry.json``.

    :raises SearchIndexError: when the bundle has no readable entry file, or a file the search page
        loads is missing or empty.
    """
    for name in REQUIRED_FILES:
        path = bundle / name
        if not path.is_file() or path.stat().st_size == 0:
            raise SearchIndexError(f"Pagefind's bundle in {bundle} lacks {name} or it is empty: index again")
    try:
        entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
        return sum(int(language["page_count"]) for language in entry["languages"].values())
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SearchIndexError(
            f"Pagefind wrote no readable pagefind-entry.json to {bundle}: {error}"
        ) from error


def _run_pagefind(site: Path, output: Path) -> None:
    """Run Pagefind's command line on ``site``, writing the bundle to ``output``.

    The command line, not Pagefind's Python API: the API's service process is terminated when its
    context closes, and under load here that once left a 0-byte ``pagefind.js`` in a bundle it had
    reported written. The command exits only when every file is.

    :raises SearchIndexError: with Pagefind's own output when it fails.
    """
    command = [sys.executable, "-m", "pagefind", "--site", str(site), "--output-path", str(output)]
    for selector in EXCLUDE_SELECTORS:
        command += ["--exclude-selectors", selector]
    command += ["--include-characters", INCLUDE_CHARACTERS, "--quiet"]
    process = subprocess.run(command, capture_output=True, text=True)
    if process.returncode:
        output_text = (process.stderr or process.stdout).strip()[-2000:]
        raise SearchIndexError(f"Pagefind could not index {site} (exit {process.returncode}): {output_text}")
