"""The extension is parallel-read and parallel-write safe, verifiably: ``-j 2`` gives what ``-j 1`` gives."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from roots.catalog_site import Build, build_fresh_process, make_site

PACKAGES = "catalog_packages=own_pkg,vendor_pkg,hostile_pkg"
OPTIONS = (
    "-W",
    "--keep-going",
    "-D",
    PACKAGES,
    "-D",
    "catalog_exclude=hostile_pkg.broken",
    "-D",
    "catalog_own_packages=own_pkg",
)


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Build, Build]:
    serial_source = make_site(tmp_path_factory.mktemp("serial"))
    parallel_source = tmp_path_factory.mktemp("parallel") / "site"
    shutil.copytree(serial_source, parallel_source)
    return (
        build_fresh_process(serial_source, "-j", "1", *OPTIONS),
        build_fresh_process(parallel_source, "-j", "2", *OPTIONS),
    )


def pages(build: Build) -> dict[str, str]:
    return {
        str(path.relative_to(build.html)): path.read_text(encoding="utf-8")
        for path in sorted((build.html / "catalog").rglob("*.html"))
    }


def test_a_parallel_build_succeeds_without_warnings(builds: tuple[Build, Build]) -> None:
    serial, parallel = builds
    assert serial.status == 0 and serial.warnings == []
    assert parallel.status == 0 and parallel.warnings == []
    # An extension that does not declare itself parallel-safe makes Sphinx warn "doing serial read".
    assert "serial" not in parallel.output


def test_a_parallel_build_writes_the_same_pages(builds: tuple[Build, Build]) -> None:
    serial, parallel = pages(builds[0]), pages(builds[1])
    assert serial.keys() == parallel.keys()
    assert len([name for name in serial if name.startswith("catalog/_generated/")]) > 20
    assert [name for name in serial if serial[name] != parallel[name]] == []


def test_catalog_json_is_written_once_whatever_the_parallelism(builds: tuple[Build, Build]) -> None:
    serial, parallel = builds
    assert (serial.html / "catalog.json").read_bytes() == (parallel.html / "catalog.json").read_bytes()
    assert not list(Path(parallel.html).glob(".catalog.json*"))
