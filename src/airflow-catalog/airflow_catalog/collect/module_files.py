"""Where a module's file is, without importing the module itself."""

from __future__ import annotations

import sys
from importlib.util import find_spec
from pathlib import Path


def module_file(module: str) -> Path | None:
    """Return the file of a module, importing at most its parent packages.

    :param module: a dotted module name.
    :returns: the module's file, or ``None`` when it has none (built-in, namespace) or cannot be found.
    """
    loaded = sys.modules.get(module)
    if loaded is not None and getattr(loaded, "__file__", None):
        return Path(str(loaded.__file__))
    try:
        spec = find_spec(module)
    except Exception:
        # Finding a submodule imports its parents, and a broken parent can raise anything.
        return None
    if spec is None or spec.origin in (None, "built-in", "frozen"):
        return None
    return Path(spec.origin)
