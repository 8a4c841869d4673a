"""Warm a process for rebuilds: import what a build imports, and parse Airflow's base classes once.

``make serve`` (:mod:`airflow_catalog.site.watch`) keeps one warm process and forks a child for each
rebuild; this module is the Sphinx-specific half of that: what to import, and autodoc's parse of the
classes every operator inherits from.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

#: Imported by the warm process besides the configured extensions: what every catalog build
#: imports (Sphinx, the catalog's own machinery, Airflow's task SDK that every operator imports).
WARM_MODULES = (
    "sphinx.cmd.build",
    "sphinx.application",
    "sphinx.builders.html",
    "airflow_catalog.collect.catalog",
    "airflow_catalog.changes.history",
    "airflow_catalog.pages.provenance",
    "airflow_catalog.site.pagefind",
    "airflow.sdk",
)


def site_settings(source: Path) -> dict[str, Any]:
    """Evaluate ``conf.py`` of ``source`` the way Sphinx does and return its names."""
    from sphinx.config import eval_config_file
    from sphinx.util.tags import Tags

    return eval_config_file(source / "conf.py", Tags())


def catalogued_packages(source: Path) -> list[str]:
    """Return the ``catalog_packages`` of ``source``'s ``conf.py``.

    :raises Exception: whatever ``conf.py`` raises.
    """
    return list(site_settings(source).get("catalog_packages", []))


def warm_up(source: Path) -> set[Path]:
    """Import what a build of ``source`` imports before it reads its first page.

    :param source: the Sphinx source folder (holds ``conf.py``).
    :returns: every file this process has loaded so far (``conf.py`` included): when one of them
        changes, this process is stale.
    """
    for name in WARM_MODULES:
        # A site without Airflow (or a missing optional part) is still served: it builds colder.
        if importlib.util.find_spec(name.split(".")[0]) is not None:
            importlib.import_module(name)
    for extension in site_settings(source).get("extensions", []):
        importlib.import_module(extension)
    analyze_airflow_bases()
    return loaded_files() | {(source / "conf.py").resolve()}


def analyze_airflow_bases() -> None:
    """Parse, once, the source of the classes every operator, sensor and hook inherits from.

    autodoc parses the module of each class in a documented class's MRO (Sphinx's ``ModuleAnalyzer``,
    cached per process by module name): for one operator's page, ``BaseOperator``'s modules and
    ``typing`` are most of the page's reading time. Parsed here, every forked rebuild inherits them;
    they are files this process loaded, so a change to one starts it over (:func:`restart`).
    """
    from sphinx.errors import PycodeError
    from sphinx.pycode import ModuleAnalyzer

    try:
        from airflow.sdk import BaseHook, BaseNotifier, BaseOperator, BaseSensorOperator
    except ImportError:
        return
    modules = {
        cls.__module__
        for base in (BaseOperator, BaseSensorOperator, BaseHook, BaseNotifier)
        for cls in base.__mro__
    }
    for module in sorted(modules):
        # A module without source (builtins) has nothing to parse, for autodoc either.
        with contextlib.suppress(PycodeError):
            ModuleAnalyzer.for_module(module).analyze()


def loaded_files() -> set[Path]:
    """Return the source files of every module this process has imported."""
    files = set()
    for module in list(sys.modules.values()):
        location = getattr(module, "__file__", None)
        if location:
            files.add(Path(location).resolve())
    return files
