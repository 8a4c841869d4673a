"""Import a walked module, or the module a dotted name lives in, in the process that reads modules.

Both run in the worker process of :mod:`airflow_catalog.collect.isolation`, never in the command's
own: a module's import is code of the package being catalogued.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from typing import Any

from airflow_catalog.collect.problems import problem_for
from airflow_catalog.collect.sources import ModuleSource
from airflow_catalog.model.catalog import ImportProblem

#: Modules that failed to import in this process: never tried again (a retry re-runs their code).
_FAILED_MODULES: set[str] = set()


def import_module(source: ModuleSource) -> ImportProblem | None:
    """Import a walked module, keeping it on ``source``; return the problem when it fails.

    Any exception a module raises while it is imported is caught: one broken module must not hide
    the classes of the others. Deprecation warnings raised at import time are silenced here because
    they concern the module's users, not the catalog.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            source.module = importlib.import_module(source.name)
    except (Exception, SystemExit) as error:
        _FAILED_MODULES.add(source.name)
        return problem_for(source, error)
    return None


def load_object(dotted: str) -> Any:
    """Find the object a dotted path names, importing its module if needed (but never a broken one).

    A class read from source names its bases and helpers by where they are imported from; those
    modules import fine (it is another import that failed), so loading them gives the same answer
    whichever order the modules are met in, and whether or not the cache spared their import.
    """
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:cut])
        module = sys.modules.get(module_name)
        if module is None and module_name not in _FAILED_MODULES:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    module = importlib.import_module(module_name)
            except (Exception, SystemExit):
                _FAILED_MODULES.add(module_name)
                module = None
        if module is None:
            continue
        obj: Any = module
        for part in parts[cut:]:
            obj = getattr(obj, part, None)
            if obj is None:
                return None
        return obj
    return None
