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
    from airflow_catalog.collect import collect_catalog

    return collect_catalog(["hostile_pkg"])
