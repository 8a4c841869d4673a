"""Where a module's file is, without importing the module or its parents."""

from __future__ import annotations

import sys
from pathlib import Path

from airflow_catalog.collect.sources import PackageNotFoundError, locate


def module_file(module: str) -> Path | None:
    """Return the file of a module, found on disk: nothing is imported.

    Not :func:`importlib.util.find_spec`, which imports the parent packages: those are catalogued code,
    whose import may print into the command's output or end it (the module is usually one that
    failed to import, named in a report).

    :param module: a dotted module name.
    :returns: the module's file, or ``None`` when it has none (built-in, namespace) or cannot be found.
    """
    loaded = sys.modules.get(module)
    if loaded is not None and getattr(loaded, "__file__", None):
        return Path(str(loaded.__file__))
    try:
        origin, _ = locate(module, fallback=False)
    except PackageNotFoundError:
        return None
    return origin
