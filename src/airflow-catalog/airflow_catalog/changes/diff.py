"""What changed in the catalog between two versions: classes and parameters, breaking changes marked.

A change is breaking when a DAG written for the old version can fail with the new one: a class or a
parameter that is gone (a rename counts, the old keyword is refused), or a parameter a caller must now
pass. A new default is reported but is not breaking.
"""

from __future__ import annotations

import difflib
import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from airflow_catalog.model.catalog import Catalog, CatalogEntry, Parameter

#: How alike two descriptions must be (difflib's ratio) for a removed and an added parameter of the
#: same type to count as one parameter renamed.
RENAME_SIMILARITY = 0.8


class Change(StrEnum):
    """What happened to a class or a parameter."""

    ADDED = "added"
    REMOVED = "removed"
    RENAMED = "renamed"
    MOVED = "moved"
    DEFAULT = "new default"
    REQUIRED = "now required"
    OPTIONAL = "now optional"
    CHANGED = "changed"


@dataclass(frozen=True)
class ParameterChange:
    """One parameter of a class that exists in both versions.

    :param name: the parameter's name in the new version (in the old one when removed).
    :param old_name: its name in the old version, when renamed.
    :param old_default: ``repr`` of the old default (``None`` when it was required).
    :param new_default: ``repr`` of the new default (``None`` when it is required).
    """

    change: Change
    name: str
    breaking: bool
    old_name: str | None = None
    old_default: str | None = None
    new_default: str | None = None

    def describe(
        self,
        code: Callable[[str | None], str] = lambda text: f"`{text}`",
        value: Callable[[str | None], str] | None = None,
    ) -> str:
        """Say what happened in a few words.

        :param code: how a parameter's name is marked up (Markdown's backticks by default).
        :param value: how a default value is marked up; by default as ``code``.
        """
        value = value or code
        name = code(self.name)
        if self.change is Change.RENAMED:
            return f"{code(self.old_name)} renamed to {name}"
        if self.change is Change.DEFAULT:
            return f"{name}: default {value(self.old_default)} → {value(self.new_default)}"
        if self.change is Change.ADDED:
            return f"{name} added" + (
                " (required)" if self.breaking else f" (default {value(self.new_default)})"
            )
        return f"{name} {self.change}"


@dataclass(frozen=True)
class ClassChange:
    """One class added, removed, moved or changed.

    :param import_path: where it lives in the new version (in the old one when removed).
    :param moved_from: its old import path, when moved.
    """

    change: Change
    import_path: str
    kind: str
    breaking: bool
    moved_from: str | None = None
    parameters: tuple[ParameterChange, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "change": str(self.change),
            "import_path": self.import_path,
            "kind": self.kind,
            "breaking": self.breaking,
            "moved_from": self.moved_from,
            "parameters": [
                {
                    "change": str(p.change),
                    "name": p.name,
                    "old_name": p.old_name,
                    "breaking": p.breaking,
                    "old_default": p.old_default,
                    "new_default": p.new_default,
                }
                for p in self.parameters
            ],
        }


@dataclass(frozen=True)
class CatalogChanges:
    """Every change between two catalogs, classes in import-path order."""

    classes: tuple[ClassChange, ...] = field(default=())

    @property
    def breaking(self) -> tuple[ClassChange, ...]:
        """The classes with at least one breaking change."""
        return tuple(change for change in self.classes if change.breaking)

    def of(self, change: Change) -> tuple[ClassChange, ...]:
        """Return the classes with this kind of change."""
        return tuple(item for item in self.classes if item.change is change)

    def summary(self) -> str:
        """Count the changes in one line."""
        if not self.classes:
            return "No class was added, removed or changed."
        counts = [
            f"{len(self.of(c))} {c}" for c in (Change.ADDED, Change.REMOVED, Change.MOVED, Change.CHANGED)
        ]
        return f"{', '.join(c for c in counts if not c.startswith('0 '))}; {len(self.breaking)} breaking."

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form: a summary and every class change."""
        return {
            "summary": self.summary(),
            "breaking": len(self.breaking),
            "classes": [change.to_json() for change in self.classes],
        }

    def to_text(self) -> str:
        """Render for a terminal: one line per class, its parameter changes indented."""
        marks = {Change.ADDED: "+", Change.REMOVED: "-", Change.MOVED: ">", Change.CHANGED: "~"}
        lines = [self.summary()]
        for item in self.classes:
            where = f" (from {item.moved_from})" if item.moved_from else ""
            flag = "  BREAKING" if item.breaking else ""
            lines.append(f"{marks[item.change]} {item.import_path} [{item.kind}] {item.change}{where}{flag}")
            for parameter in item.parameters:
                lines.append(f"    {parameter.describe()}" + ("  BREAKING" if parameter.breaking else ""))
        return "\n".join(lines) + "\n"

    def to_markdown(
        self, link: Callable[[str], str | None] = lambda _path: None, heading_level: int = 2
    ) -> str:
        """Render as MyST Markdown: a summary, then one section per kind of change.

        :param link: gives the document a class's import path links to, or ``None`` for plain text.
        :param heading_level: the level of the section headings; 0 renders them as bold paragraphs
            (for a directive that sits under its page's title).
        """

        def name(path: str) -> str:
            target = link(path)
            return f"{{doc}}`{path} <{target}>`" if target else f"`{path}`"

        def heading(text: str) -> str:
            return f"{'#' * heading_level} {text}" if heading_level else f"**{text}**"

        lines = [self.summary(), ""]
        if self.breaking:
            lines += [
                "Breaking changes are marked **breaking**: a DAG written for the older version may fail.",
                "",
            ]
        titles = {
            Change.ADDED: "Classes added",
            Change.REMOVED: "Classes removed",
            Change.MOVED: "Classes moved",
            Change.CHANGED: "Classes changed",
        }
        for change, title in titles.items():
            items = self.of(change)
            if not items:
                continue
            lines += [heading(title), ""]
            for item in items:
                mark = " — **breaking**" if item.breaking else ""
                where = f" (was `{item.moved_from}`)" if item.moved_from else ""
                lines.append(f"- {name(item.import_path)} ({item.kind}){where}{mark}")
                for parameter in item.parameters:
                    flag = " — **breaking**" if parameter.breaking else ""
                    lines.append(f"  - {parameter.describe()}{flag}")
            lines.append("")
        return "\n".join(lines).rstrip() + "\n"


def diff_catalogs(old: Catalog, new: Catalog) -> CatalogChanges:
    """Compare two catalogs.

    A class whose import path is gone but whose name and kind reappear elsewhere counts as moved.
    """
    before = {entry.import_path: entry for entry in old.entries}
    after = {entry.import_path: entry for entry in new.entries}
    removed = {path: before[path] for path in before.keys() - after.keys()}
    added = {path: after[path] for path in after.keys() - before.keys()}
    changes: list[ClassChange] = []
    for path in sorted(added):
        entry = added[path]
        twin = next(
            (p for p, e in sorted(removed.items()) if e.name == entry.name and e.kind == entry.kind), None
        )
        if twin is None:
            changes.append(ClassChange(Change.ADDED, path, str(entry.kind), breaking=False))
            continue
        parameters = _parameter_changes(removed.pop(twin), entry)
        changes.append(
            ClassChange(Change.MOVED, path, str(entry.kind), True, moved_from=twin, parameters=parameters)
        )
    for path, entry in removed.items():
        changes.append(ClassChange(Change.REMOVED, path, str(entry.kind), breaking=True))
    for path in sorted(before.keys() & after.keys()):
        parameters = _parameter_changes(before[path], after[path])
        if parameters:
            breaking = any(p.breaking for p in parameters)
            changes.append(
                ClassChange(Change.CHANGED, path, str(after[path].kind), breaking, parameters=parameters)
            )
    return CatalogChanges(tuple(sorted(changes, key=lambda change: change.import_path)))


def _parameter_changes(old: CatalogEntry, new: CatalogEntry) -> tuple[ParameterChange, ...]:
    before = {p.name: p for p in old.parameters}
    after = {p.name: p for p in new.parameters}
    gone = [before[name] for name in before if name not in after]
    fresh = [after[name] for name in after if name not in before]
    changes = []
    for was, now in _renames(gone, fresh):
        gone.remove(was)
        fresh.remove(now)
        changes.append(ParameterChange(Change.RENAMED, now.name, True, old_name=was.name))
    changes += [ParameterChange(Change.REMOVED, p.name, True, old_default=p.default) for p in gone]
    changes += [ParameterChange(Change.ADDED, p.name, p.required, new_default=p.default) for p in fresh]
    for name in before.keys() & after.keys():
        was, now = before[name], after[name]
        if now.required and not was.required:
            changes.append(ParameterChange(Change.REQUIRED, name, True, old_default=was.default))
        elif was.required and not now.required:
            changes.append(ParameterChange(Change.OPTIONAL, name, False, new_default=now.default))
        elif was.default != now.default:
            changes.append(
                ParameterChange(Change.DEFAULT, name, False, old_default=was.default, new_default=now.default)
            )
    return tuple(sorted(changes, key=lambda change: change.name))


def _renames(gone: Iterable[Parameter], fresh: Iterable[Parameter]) -> list[tuple[Parameter, Parameter]]:
    """Pair removed and added parameters that look like one parameter under a new name.

    No library knows a parameter's identity across versions; this pairs those with the same type and
    default whose descriptions are (nearly) the same text, best pairs first.
    """
    candidates = []
    for was in gone:
        for now in fresh:
            if was.type != now.type or was.default != now.default or not was.description:
                continue
            ratio = difflib.SequenceMatcher(None, was.description, now.description).ratio()
            if ratio >= RENAME_SIMILARITY:
                candidates.append((ratio, was, now))
    pairs: list[tuple[Parameter, Parameter]] = []
    for _ratio, was, now in sorted(candidates, key=lambda item: -item[0]):
        if all(was is not a and now is not b for a, b in pairs):
            pairs.append((was, now))
    return pairs


def load_catalog(path: Path) -> Catalog:
    """Read a ``catalog.json``.

    :raises OSError: when the file cannot be read.
    :raises ValueError: when it is not JSON or has another schema version.
    """
    try:
        return Catalog.load(path)
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not JSON ({error})") from error
    except (KeyError, TypeError) as error:
        raise ValueError(f"{path} is not a catalog.json ({error!r})") from error


def print_changes(old: Path, new: Path, output_format: str = "text") -> int:
    """Print what changed from the catalog ``old`` to the catalog ``new``.

    :param output_format: ``text``, ``json`` or ``markdown``.
    :returns: 0.
    """
    changes = diff_catalogs(load_catalog(old), load_catalog(new))
    if output_format == "json":
        sys.stdout.write(json.dumps(changes.to_json(), indent=1) + "\n")
    elif output_format == "markdown":
        sys.stdout.write(changes.to_markdown())
    else:
        sys.stdout.write(changes.to_text())
    return 0
