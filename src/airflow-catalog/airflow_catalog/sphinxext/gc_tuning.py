"""Run the cyclic garbage collector less often while Sphinx builds.

A build creates and drops hundreds of thousands of docutils nodes. A node points at its parent, so
every doctree is a reference cycle that only the cyclic collector frees. With CPython's default
thresholds (700, 10, 10) a doctree still being read or written lives through many young
collections, is promoted to the oldest generation, and is freed by full collections that walk every
object of the process (Airflow's modules, the environment, the catalog): in the amazon provider's
catalog build these took 10 s of the main process's 19 s of CPU. With larger thresholds a doctree
mostly dies young and is freed by a cheap young collection (main process 12 s of CPU, 2.5 s of it
collecting; peak memory about a sixth higher). No library tunes this for a Sphinx build, hence this
module. The thresholds are set at ``builder-inited`` (before parallel workers fork, so they inherit
them) and the previous ones restored when the build finishes, for processes that build more than
once, such as tests.
"""

from __future__ import annotations

import gc
from typing import Any

from sphinx.application import Sphinx

from airflow_catalog import __version__

#: Young collections every 50,000 net allocations instead of 700; the older generations as CPython's.
THRESHOLDS = (50_000, 20, 10)
_previous: list[tuple[int, ...]] = []


def raise_thresholds(app: Sphinx) -> None:
    """At ``builder-inited``: collect less often for the rest of the build."""
    if not _previous:
        _previous.append(gc.get_threshold())
    gc.set_threshold(*THRESHOLDS)


def restore_thresholds(app: Sphinx, exception: Exception | None) -> None:
    """At ``build-finished``: the thresholds the process had before the build."""
    if _previous:
        gc.set_threshold(*_previous.pop())


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the two event handlers."""
    app.connect("builder-inited", raise_thresholds)
    # Last of the build-finished handlers: those before it (catalog.json) still allocate a lot.
    app.connect("build-finished", restore_thresholds, priority=900)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
