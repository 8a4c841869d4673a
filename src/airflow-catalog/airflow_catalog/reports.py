"""How ``check`` prints what the conventions found: plain text, JSON, or GitHub workflow commands."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from airflow_catalog.collect.module_files import module_file
from airflow_catalog.conventions import RULES_BY_ID
from airflow_catalog.model.catalog import Catalog, CatalogEntry, ImportProblem, Severity

#: Where a finding's rule is explained, relative to the site's root.
CONVENTIONS_PAGE = "docs/conventions.html"
_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


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
        path = _relative_module_file(problem.module) or problem.path
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
    return _relative_module_file(entry.source.module) or entry.source.path


def _relative_module_file(module: str) -> str | None:
    path = module_file(module)
    if path is None:
        return None
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()
