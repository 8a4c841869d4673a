"""The operator catalog: a Sphinx extension and a command line for any package of Airflow operators."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sphinx.application import Sphinx

__version__ = "0.1.0"


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the catalog with Sphinx; the wiring lives in :mod:`airflow_catalog.sphinxext.extension`."""
    from airflow_catalog.sphinxext.extension import setup as setup_extension

    return setup_extension(app)
