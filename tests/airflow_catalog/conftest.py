"""Fixtures of the catalog tests: the hostile fixture package on ``sys.path``, collected catalogs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
HOSTILE_PKG = FIXTURES / "hostile_pkg"

# The fixture package is not installed: it is imported from its folder, as a project's own package is
# imported from ``src`` during a docs build.
if str(FIXTURES) not in sys.path:
    sys.path.insert(0, str(FIXTURES))


@pytest.fixture(scope="session")
def hostile_catalog():  # type: ignore[no-untyped-def]
    """The catalog of ``hostile_pkg``, collected once per test session."""
    from airflow_catalog.collect.catalog import collect_catalog

    return collect_catalog(["hostile_pkg"])


@pytest.fixture(scope="session")
def http_catalog():  # type: ignore[no-untyped-def]
    """The catalog of the installed HTTP provider, collected once per test session."""
    from airflow_catalog.collect.catalog import collect_catalog

    return collect_catalog(["airflow.providers.http"])


@pytest.fixture
def entry(hostile_catalog):  # type: ignore[no-untyped-def]
    """Look a ``hostile_pkg`` entry up by its path below the package: ``entry("operators.odd.X")``."""
    by_path = {e.import_path: e for e in hostile_catalog.entries}
    return lambda path: by_path[f"hostile_pkg.{path}"]
