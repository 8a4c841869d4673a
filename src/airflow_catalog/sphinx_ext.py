"""Wire the catalog into Sphinx: configuration, page generation and per-document state."""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx

from airflow_catalog import __version__


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the catalog's configuration values and event handlers."""
    app.add_config_value("catalog_packages", [], "env", types=frozenset({list}))
    app.add_config_value("catalog_exclude", [], "env", types=frozenset({list}))
    app.add_config_value("catalog_strict", False, "env", types=frozenset({bool}))
    return {"version": __version__, "env_version": 1, "parallel_read_safe": True, "parallel_write_safe": True}
