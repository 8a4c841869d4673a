"""Describe why a module could not be read: the module, the error and what would most likely fix it."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from airflow_catalog.collect.sources import ModuleSource, guess_distribution
from airflow_catalog.model.catalog import ImportProblem


def problem_for(source: ModuleSource, error: BaseException) -> ImportProblem:
    """Describe an import failure: the module, the error and what would most likely fix it."""
    error_text = f"{type(error).__name__}: {error}"
    if isinstance(error, SyntaxError):
        where = f"{error.filename}:{error.lineno}" if error.filename else str(source.path)
        hint = f"fix the syntax error at {where}, or leave the module out with --exclude {source.name}"
        return ImportProblem(source.name, error_text, hint, line=error.lineno or 0)
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
    hint = (
        f"the module raised {type(error).__name__} while it was imported: fix the module (an import must "
        f"not need configuration or network), or leave it out with --exclude {source.name}"
    )
    return ImportProblem(source.name, error_text, hint)


def with_path(problem: ImportProblem, source: ModuleSource, root: Path) -> ImportProblem:
    if source.path is None:
        return problem
    try:
        relative = source.path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        relative = source.path.as_posix()
    return dataclasses.replace(problem, path=relative)


def _longest_import_of(missing: str, text: str) -> str:
    """Find the full path the source imports below a missing namespace (``airflow.providers.cncf``)."""
    found = re.findall(r"(?<![\w.])" + re.escape(missing) + r"(?:\.\w+)*", text)
    return max(found, key=len) if found else missing
