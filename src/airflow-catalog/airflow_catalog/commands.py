"""The ``json`` and ``check`` verbs of the command line, as plain functions returning an exit status."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from airflow_catalog.collect.catalog import collect_catalog
from airflow_catalog.conventions import RULES_BY_ID
from airflow_catalog.files import write_atomically
from airflow_catalog.model.catalog import Catalog, CatalogEntry, ImportProblem, Severity

#: Where a finding's rule is explained, relative to the site's root.
CONVENTIONS_PAGE = "docs/conventions.html"
_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def write_json(
    packages: Sequence[str], output: Path, exclude: Sequence[str] = (), strict: bool = False
) -> int:
    """Write the catalog of ``packages`` to ``output`` as ``catalog.json``.

    The file is written to a temporary name and renamed over ``output``, so a reader never sees half
    a file and a failed run leaves the old file as it was.

    :param strict: a module that fails to import fails the command, and nothing is written.
    :returns: 0 on success, 1 when ``strict`` and a module failed to import.
    :raises ValueError: when ``output`` is a folder.
    """
    if output.is_dir():
        raise ValueError(f"{output} is a folder: give the file to write, e.g. {output / 'catalog.json'}")
    catalog = collect_catalog(packages, exclude)
    report_problems(catalog.import_problems, strict, sys.stderr)
    if strict and catalog.import_problems:
        print(
            f"error: {len(catalog.import_problems)} module(s) failed to import; {output} not written",
            file=sys.stderr,
        )
        return 1
    write_atomically(output, catalog.dumps())
    print(f"Wrote {len(catalog.entries)} classes from {len(catalog.packages)} package(s) to {output}")
    return 0


def check_conventions(
    packages: Sequence[str], output_format: str = "text", exclude: Sequence[str] = (), strict: bool = False
) -> int:
    """Print the conventions findings of ``packages``.

    :param output_format: ``text`` (one line per finding), ``json`` (findings and import problems) or
        ``github`` (GitHub Actions workflow commands that annotate the pull request's files).
    :returns: 1 when any finding is an error, or in strict mode when a module failed to import; else 0.
    """
    catalog = collect_catalog(packages, exclude)
    out = sys.stdout
    if output_format == "json":
        print_json(catalog, out)
    elif output_format == "github":
        print_github(catalog, strict, out)
    elif output_format == "text":
        report_problems(catalog.import_problems, strict, sys.stderr)
        print_text(catalog, out)
    else:
        raise ValueError(f"unknown output format {output_format!r}: use text, json or github")
    failed = any(f.severity is Severity.ERROR for f in catalog.findings) or (
        strict and catalog.import_problems
    )
    return 1 if failed else 0


def report_problems(problems: Sequence[ImportProblem], strict: bool, stream: TextIO) -> None:
    """Print one line per module that failed to import: the module, the error, the likely fix."""
    level = "error" if strict else "warning"
    for problem in problems:
        print(f"{level}: cannot import {problem.module}: {problem.error}\n  fix: {problem.hint}", file=stream)


def print_text(catalog: Catalog, stream: TextIO) -> None:
    """One line per finding, ``path:line: CAT00x [severity] message`` and its fix, then a count."""
    entries = {entry.import_path: entry for entry in catalog.entries}
    for finding in catalog.findings:
        where = _where(entries.get(finding.import_path))
        print(f"{where}: {finding.rule} [{finding.severity}] {finding.message}", file=stream)
        print(f"    fix: {finding.fix}", file=stream)
    counts = {severity: sum(f.severity is severity for f in catalog.findings) for severity in Severity}
    summary = ", ".join(f"{count} {severity}" for severity, count in counts.items())
    print(f"{len(catalog.findings)} finding(s) in {len(catalog.entries)} classes: {summary}", file=stream)


def print_json(catalog: Catalog, stream: TextIO) -> None:
    """Print the findings and import problems as one JSON document."""
    data = catalog.to_json()
    document = {
        "schema_version": data["schema_version"],
        "findings": data["findings"],
        "import_problems": data["import_problems"],
    }
    json.dump(document, stream, indent=1, ensure_ascii=False)
    stream.write("\n")


def print_github(catalog: Catalog, strict: bool, stream: TextIO) -> None:
    """GitHub Actions workflow commands: ``::error file=…,line=…,title=CAT00x::message``.

    See https://docs.github.com/actions/reference/workflow-commands-for-github-actions; no library
    writes these, so the escaping rules from that page are applied here.
    """
    entries = {entry.import_path: entry for entry in catalog.entries}
    for finding in catalog.findings:
        entry = entries.get(finding.import_path)
        properties = {"title": finding.rule}
        if entry is not None and entry.source is not None:
            properties = {"file": _repository_path(entry), "line": str(entry.source.line or 1), **properties}
        title = RULES_BY_ID[finding.rule].title if finding.rule in RULES_BY_ID else finding.rule
        link = f"{CONVENTIONS_PAGE}#{finding.rule.lower()}"
        message = f"{title}: {finding.message}. Fix: {finding.fix}. ({link})"
        stream.write(_workflow_command(_GITHUB_LEVEL[finding.severity], properties, message))
    for problem in catalog.import_problems:
        properties = {"title": f"cannot import {problem.module}"}
        path = _module_file(problem.module) or problem.path
        if path:
            properties = {"file": path, "line": str(problem.line or 1), **properties}
        stream.write(
            _workflow_command(
                "error" if strict else "warning", properties, f"{problem.error}. Fix: {problem.hint}"
            )
        )


def _workflow_command(level: str, properties: dict[str, str], message: str) -> str:
    rendered = ",".join(f"{key}={_escape_property(value)}" for key, value in properties.items())
    return f"::{level} {rendered}::{_escape_data(message)}\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _where(entry: CatalogEntry | None) -> str:
    if entry is None or entry.source is None:
        return entry.import_path if entry else "?"
    return f"{_repository_path(entry)}:{entry.source.line}"


def _repository_path(entry: CatalogEntry) -> str:
    """Return the class's file relative to the working directory when it lives there (GitHub wants that)."""
    assert entry.source is not None
    return _module_file(entry.source.module) or entry.source.path


def _module_file(module: str) -> str | None:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    origin = spec.origin if spec is not None else None
    if not origin:
        return None
    path = Path(origin).resolve()
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()
