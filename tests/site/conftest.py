"""The site built once per session from a copy of the repository, for every test of tests/site."""

from __future__ import annotations

import subprocess

import pytest
from site_build import SiteBuild, assert_built_cleanly, build_site, copy_repository


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> SiteBuild:
    source = tmp_path_factory.mktemp("repository")
    copy_repository(source)
    process = build_site(source)
    assert_built_cleanly(process)
    return SiteBuild(source=source, html=source / "_build" / "html", output=process.stdout + process.stderr)


@pytest.fixture(scope="session")
def rebuild(site: SiteBuild) -> subprocess.CompletedProcess[str]:
    """The same build run a second time with nothing changed."""
    return build_site(site.source)
