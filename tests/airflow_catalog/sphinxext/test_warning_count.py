"""build-info.json is written only by a build that did not warn, -W or not; suppressed ones do not count."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from sphinx.application import Sphinx
from sphinx.util.docutils import docutils_namespace

VERSIONED_ROOT = Path(__file__).parents[1] / "roots" / "test-versioned"


def build(tmp_path: Path, *, broken_link: bool, suppress: list[str]) -> Path:
    """Build the tiny versioned site without ``-W``; return its HTML folder."""
    source = tmp_path / "src"
    shutil.copytree(VERSIONED_ROOT, source)
    if broken_link:
        (source / "broken.md").write_text("# Broken\n\nSee {ref}`a-label-nobody-defined`.\n")
    with docutils_namespace():
        app = Sphinx(
            str(source),
            str(source),
            str(tmp_path / "html"),
            str(tmp_path / "doctrees"),
            "html",
            confoverrides={"catalog_version": "1.2.0", "suppress_warnings": suppress},
            status=None,
            warning=io.StringIO(),
        )
        app.build()
    return tmp_path / "html"


@pytest.mark.parametrize(
    ("broken_link", "suppress", "written"),
    [(False, [], True), (True, [], False), (True, ["ref.ref"], True)],
    ids=["clean", "warned-without-W", "warning-suppressed"],
)
def test_build_info_only_after_a_build_without_warnings(
    tmp_path: Path, broken_link: bool, suppress: list[str], written: bool
) -> None:
    html = build(tmp_path, broken_link=broken_link, suppress=suppress)
    assert (html / "index.html").is_file()
    assert (html / "build-info.json").is_file() is written
