"""Import a catalogued module: in a worker, to read it; in the command's process, once it proved harmless.

:func:`import_module` and :func:`load_object` run in the worker process of
:mod:`airflow_catalog.collect.isolation`, never in the command's own: a module's import is code of the
package being catalogued. :func:`import_quietly` runs in the command's process, for a module whose
import a worker has seen end normally.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
import sys
import warnings
from collections.abc import Iterator
from typing import Any, TextIO

from airflow_catalog.collect.problems import problem_for
from airflow_catalog.collect.sources import ModuleSource
from airflow_catalog.model.catalog import ImportProblem

#: Modules that failed to import in this process: never tried again (a retry re-runs their code).
_FAILED_MODULES: set[str] = set()


def import_module(source: ModuleSource) -> ImportProblem | None:
    """Import a walked module, keeping it (or its error) on ``source``; return the problem when it fails.

    Any exception a module raises while it is imported is caught, ``SystemExit`` and
    ``KeyboardInterrupt`` included (the worker's, not the user's: a Ctrl-C stops the command, which
    stops the worker): one broken module must not hide the classes of the others. Deprecation
    warnings raised at import time are silenced here because they concern the module's users, not
    the catalog.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            source.module = importlib.import_module(source.name)
    except BaseException as error:
        _FAILED_MODULES.add(source.name)
        source.error = error
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
            except BaseException:  # the module's code: see import_module
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


def import_quietly(name: str) -> None:
    """Import, in this process, a module whose import a worker has seen end normally and harmlessly.

    Later stages import the same classes here (autodoc, at page-read time, in this process and in the
    readers Sphinx forks from it); importing each once now, in the order the worker did, leaves this
    process as it was when collection imported the modules itself: the same pages, and no reader that
    imports a provider again. What the module prints is silenced (:func:`silenced`); nothing it
    raises is reported: the worker's reading of it stands.
    """
    with silenced(), warnings.catch_warnings(), contextlib.suppress(Exception, SystemExit):
        warnings.simplefilter("ignore")
        importlib.import_module(name)


@contextlib.contextmanager
def silenced() -> Iterator[None]:
    """Send what this process writes to its standard output and error meanwhile to ``/dev/null``.

    At the file-descriptor level, so that a C library's ``write(1, …)`` is caught as well as
    ``print``; and ``sys.stdout``/``sys.stderr`` themselves when they do not write to those
    descriptors (a test runner's capture). Both are restored afterwards.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    streams = (sys.stdout, sys.stderr)
    saved = [os.dup(fd) for fd in (1, 2)]
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        for fd in (1, 2):
            os.dup2(null, fd)
        if not _writes_to(sys.stdout, 1):
            sys.stdout = _sink()
        if not _writes_to(sys.stderr, 2):
            sys.stderr = _sink()
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        sys.stdout, sys.stderr = streams
        for fd, copy in zip((1, 2), saved, strict=True):
            os.dup2(copy, fd)
            os.close(copy)
        os.close(null)


def _writes_to(stream: TextIO, fd: int) -> bool:
    try:
        return stream.fileno() == fd
    except (OSError, ValueError, AttributeError):
        return False


@functools.cache
def _sink() -> TextIO:
    # Opened once and never closed: a module may keep the stream it found in sys.stdout.
    return open(os.devnull, "w", encoding="utf-8")
