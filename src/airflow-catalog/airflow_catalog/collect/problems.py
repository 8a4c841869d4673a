"""Describe why a module could not be read: the module, the error and what would most likely fix it."""

from __future__ import annotations

import dataclasses
import re
import traceback
from pathlib import Path

from airflow_catalog.collect.isolation import TIMEOUT_VARIABLE, LeftOutError
from airflow_catalog.collect.sources import ModuleSource, guess_distribution
from airflow_catalog.model.catalog import ImportProblem

_PARTIAL_MODULE = re.compile(r"partially initialized module '([\w.]+)'")


def problem_for(source: ModuleSource, error: BaseException) -> ImportProblem:
    """Describe an import failure: the module, the error and what would most likely fix it."""
    error_text = f"{type(error).__name__}: {error}"
    if isinstance(error, LeftOutError):
        return _left_out(source, error)
    if isinstance(error, SyntaxError):
        where = f"{error.filename}:{error.lineno}" if error.filename else str(source.path)
        hint = f"fix the syntax error at {where}, or leave the module out with --exclude {source.name}"
        return ImportProblem(source.name, error_text, hint, line=error.lineno or 0)
    partial = _PARTIAL_MODULE.search(str(error))
    if isinstance(error, ImportError | AttributeError) and partial and "circular import" in str(error):
        return _circular(source, error, partial.group(1))
    if isinstance(error, ModuleNotFoundError) and error.name:
        missing = _longest_import_of(error.name, source.text or "")
        own_top = source.name.split(".", 1)[0]
        if source.name == error.name or source.name.startswith(error.name + "."):
            hint = f"a parent package of {source.name} failed to import; fix that package first"
        elif missing.split(".", 1)[0] == own_top and not missing.startswith("airflow.providers."):
            hint = (
                f"{source.name} imports {missing!r}, which its own package {own_top!r} does not have: "
                "fix the import (a renamed or deleted module?)"
            )
        else:
            hint = (
                f"pip install {guess_distribution(missing)} (it provides {missing!r}, which {source.name} "
                f"imports), or leave the module out with --exclude {source.name}"
            )
        return ImportProblem(source.name, error_text, hint)
    if isinstance(error, ImportError) or type(error).__name__.endswith("OptionalProviderFeatureException"):
        hint = (
            f"a dependency of {source.name} is missing: install what the error names, or leave the module "
            f"out with --exclude {source.name}"
        )
        return ImportProblem(source.name, error_text, hint)
    if not isinstance(error, Exception):  # SystemExit, KeyboardInterrupt: caught in the worker
        hint = (
            f"the module raised {type(error).__name__} while it was imported, which would end the command "
            f"that imports it: fix the module, or leave it out with --exclude {source.name}"
        )
        return ImportProblem(source.name, error_text.rstrip(": "), hint)
    hint = (
        f"the module raised {type(error).__name__} while it was imported: fix the module (an import must "
        f"not need configuration or network), or leave it out with --exclude {source.name}"
    )
    return ImportProblem(source.name, error_text, hint)


def fault_problem(module: str, what: str) -> ImportProblem:
    """Describe what a module's import (or the reading of its classes) did to a worker process.

    :param what: as :mod:`airflow_catalog.collect.isolation` words it: ``exited with status 3 at
        import``, ``did not finish importing within 60 s``, ``changed the working directory … at
        import``, ``raised SystemExit while its classes were read``.
    """
    if what.startswith("did not finish"):
        fix = (
            f"fix {module} so that its import returns (it must not wait for input, the network or a "
            f"lock), or raise {TIMEOUT_VARIABLE} if it is only slow"
        )
    elif what.startswith(("exited", "was killed")):
        fix = f"an import must not end the process: fix {module}"
    elif what.startswith("raised"):
        fix = f"reading the classes of {module} runs their code, which must not raise: fix {module}"
    else:
        fix = (
            f"an import must not change the process it runs in (autodoc imports the module into the "
            f"build's own): fix {module}"
        )
    hint = (
        f"{fix}, or leave it out with --exclude {module} (catalog_exclude in conf.py); its classes are "
        "read from its source meanwhile"
    )
    return ImportProblem(module, what, hint)


def unreadable_signatures(source: ModuleSource, classes: list[str]) -> ImportProblem:
    """Describe classes whose signature :func:`inspect.signature` cannot read, which autodoc would fail on.

    :param classes: each class's name and the error, e.g. ``WidgetOperator (TypeError: …)``.
    """
    error = f"the signature of {', '.join(classes)} cannot be read"
    hint = (
        "autodoc cannot document such a class, so its page is written from the catalog alone: fix its "
        "__signature__ (or its metaclass's __call__, its __new__ or __init__) so that "
        f"inspect.signature() reads it, or leave the module out with --exclude {source.name}"
    )
    return ImportProblem(source.name, error, hint)


def with_path(problem: ImportProblem, source: ModuleSource, root: Path) -> ImportProblem:
    """Give a problem the module's file, relative to its distribution's root folder when inside it."""
    if source.path is None:
        return problem
    try:
        relative = source.path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        relative = source.path.as_posix()
    return dataclasses.replace(problem, path=relative)


def _left_out(source: ModuleSource, error: LeftOutError) -> ImportProblem:
    """Describe a blocked module: the one whose import stopped a worker, or one that imports it."""
    if error.name == source.name or not error.name:
        return fault_problem(source.name, error.what)
    return ImportProblem(
        source.name,
        f"{source.name} imports {error.name}, which {error.what}",
        f"fix {error.name}, or leave both out with --exclude {error.name} --exclude {source.name}; their "
        "classes are read from their source meanwhile",
    )


def _circular(source: ModuleSource, error: BaseException, partial: str) -> ImportProblem:
    """Name the modules of a circular import, in the order they import each other."""
    running = [
        str(frame.f_globals.get("__name__", ""))
        for frame, _ in traceback.walk_tb(error.__traceback__)
        if frame.f_code.co_name == "<module>"
    ]
    cycle = running[running.index(partial) :] if partial in running else [source.name]
    names = " → ".join([*cycle, partial])
    hint = (
        f"{names} import each other at module level (a circular import): move one of these imports "
        "into the function that uses it (or under `if TYPE_CHECKING:` when only annotations need it), "
        f"or leave the module out with --exclude {source.name}"
    )
    return ImportProblem(source.name, f"{type(error).__name__}: {error}", hint)


def _longest_import_of(missing: str, text: str) -> str:
    """Find the full path the source imports below a missing namespace (``airflow.providers.cncf``)."""
    found = re.findall(r"(?<![\w.])" + re.escape(missing) + r"(?:\.\w+)*", text)
    return max(found, key=len) if found else missing
