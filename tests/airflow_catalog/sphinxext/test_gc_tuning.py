"""gc_tuning: the collector's thresholds are raised while a real Sphinx build reads, and restored after."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sphinx.application import Sphinx
from sphinx.util.docutils import docutils_namespace

from airflow_catalog.sphinxext.gc_tuning import THRESHOLDS

CONF = """
import gc, json
from pathlib import Path

extensions = ["airflow_catalog.sphinxext.gc_tuning"]


def record(app, doctree):
    # What the collector's thresholds are while a page is read.
    Path(app.outdir, "thresholds.json").write_text(json.dumps(gc.get_threshold()))


def setup(app):
    app.connect("doctree-read", record)
"""


@pytest.fixture
def own_thresholds() -> Iterator[tuple[int, ...]]:
    """Give the process thresholds of its own during the test, and put the usual ones back after."""
    before = gc.get_threshold()
    gc.set_threshold(900, 11, 12)
    yield gc.get_threshold()
    gc.set_threshold(*before)


def test_thresholds_raised_during_the_build_and_restored_after(
    tmp_path: Path, own_thresholds: tuple[int, ...]
) -> None:
    (tmp_path / "conf.py").write_text(CONF)
    (tmp_path / "index.rst").write_text("Title\n=====\n\nText.\n")
    out = tmp_path / "_build"
    # Sphinx registers its nodes and directives in docutils' globals: undone when the block ends.
    with docutils_namespace():
        app = Sphinx(str(tmp_path), str(tmp_path), str(out), str(out / "doctrees"), "html", status=None)
        app.build()

    assert tuple(json.loads((out / "thresholds.json").read_text())) == THRESHOLDS
    assert gc.get_threshold() == own_thresholds
