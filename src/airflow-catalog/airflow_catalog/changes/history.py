"""Class history across published versions, and tombstone pages for classes that were removed.

The release workflow copies each published version's ``catalog.json`` out of the published tree into
one folder (``catalog_history_dir``): ``<version>/catalog.json``. From those and the catalog being
built, each class page learns the version it first appeared in and, per later version, what changed
in its parameters (:func:`airflow_catalog.changes.diff.diff_catalogs` does the comparing). A class that
some published version had and this one lacks gets a short page at its old address, so links to it
keep working: when it went, where it was last documented, and what replaces it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from packaging.version import InvalidVersion, Version

from airflow_catalog.changes.diff import Change, ClassChange, ParameterChange, diff_catalogs, load_catalog
from airflow_catalog.model.catalog import Catalog, CatalogEntry
from airflow_catalog.model.docstrings import rst_escape

CATALOG_JSON = "catalog.json"
#: Where the class page's history goes: before autodoc's reference, or at the end when there is none.


class HistoryError(ValueError):
    """A history folder that cannot be read, with the fix."""


@dataclass(frozen=True)
class Published:
    """One published version's catalog.

    :param version: the version's name, as its folder in the published tree is named.
    :param catalog: its ``catalog.json``.
    """

    version: str
    catalog: Catalog


@dataclass(frozen=True)
class VersionNote:
    """What changed in one class in one version, in words.

    :param version: the version that brought the changes.
    :param changes: one short reStructuredText phrase per change.
    """

    version: str
    changes: tuple[str, ...]


@dataclass(frozen=True)
class ClassHistory:
    """A class across the published versions and the one being built.

    :param first: the version it first appeared in (under this or an earlier import path).
    :param notes: per later version, what changed in its parameters, oldest first.
    """

    first: str
    notes: tuple[VersionNote, ...] = ()


@dataclass(frozen=True)
class Removal:
    """A class some published version had and the version being built lacks.

    :param entry: the class as the last version that had it describes it.
    :param last: that version.
    :param removed_in: the first version without it.
    :param replacement: import path of what replaces it: where it moved, else what its deprecation
        notice names.
    """

    entry: CatalogEntry
    last: str
    removed_in: str
    replacement: str | None = None


@dataclass(frozen=True)
class History:
    """The history of every class of the catalog being built.

    :param published: the published versions read, oldest first (the one being built excluded).
    :param version: the version being built.
    :param classes: each current class's history, by import path.
    :param removed: the classes published once and gone now, by import path.
    """

    published: tuple[str, ...] = ()
    version: str = ""
    classes: Mapping[str, ClassHistory] = field(default_factory=dict)
    removed: Mapping[str, Removal] = field(default_factory=dict)


def version_key(name: str) -> tuple[int, Version | str]:
    """Order version folders: PEP 440 versions by their value, then any other name (``dev``) last."""
    try:
        return (0, Version(name))
    except InvalidVersion:
        return (1, name)


def load_published(folder: Path | None) -> list[Published]:
    """Read ``<version>/catalog.json`` of every version in ``folder``, oldest first.

    Folders without a ``catalog.json`` (a version published before the catalog existed) and ``dev``
    (not a release) are left out.

    :param folder: the history folder; ``None`` or a missing folder means nothing is published yet.
    :raises HistoryError: when a ``catalog.json`` cannot be read, naming the file and the fix.
    :returns: the published catalogs.
    """
    if folder is None or not folder.is_dir():
        return []
    found = []
    for child in folder.iterdir():
        path = child / CATALOG_JSON
        if not path.is_file() or version_key(child.name)[0]:
            continue
        try:
            found.append(Published(child.name, load_catalog(path)))
        except (OSError, ValueError) as error:
            raise HistoryError(
                f"cannot read {path}: {error}; delete that folder from the history folder or fetch the "
                "file again from the published tree"
            ) from error
    return sorted(found, key=lambda published: version_key(published.version))


def build_history(published: list[Published], current: Catalog, version: str) -> History:
    """Follow every class through the published versions to the one being built.

    :param published: the published catalogs, oldest first; a version equal to ``version`` is
        replaced by ``current`` (a version published again).
    :param current: the catalog being built.
    :param version: the version being built.
    :returns: the history of each current class and the classes removed since.
    """
    series = [p for p in published if p.version != version]
    series = [p for p in series if version_key(p.version) < version_key(version)] + [
        Published(version, current)
    ]
    first: dict[str, str] = {}
    notes: dict[str, list[VersionNote]] = {}
    last_seen: dict[str, tuple[str, CatalogEntry]] = {}
    moved_to: dict[str, str] = {}
    for previous, now in zip([None, *series[:-1]], series, strict=True):
        changed = (
            {c.import_path: c for c in diff_catalogs(previous.catalog, now.catalog).classes}
            if previous
            else {}
        )
        before = {e.import_path: e for e in previous.catalog.entries} if previous else {}
        for entry in now.catalog.entries:
            path = entry.import_path
            change = changed.get(path)
            if change is not None and change.change is Change.MOVED and change.moved_from:
                moved_to[change.moved_from] = path
                first.setdefault(path, first.get(change.moved_from, now.version))
                notes[path] = [*notes.get(change.moved_from, []), VersionNote(now.version, _moved(change))]
                continue
            first.setdefault(path, now.version)
            old = before.get(path)
            phrases = _describe(change, old, entry)
            if phrases:
                notes.setdefault(path, []).append(VersionNote(now.version, phrases))
        for entry in now.catalog.entries:
            last_seen[entry.import_path] = (now.version, entry)
    current_paths = {entry.import_path for entry in current.entries}
    removed = {}
    for path, (last, entry) in sorted(last_seen.items()):
        if path in current_paths:
            continue
        position = [p.version for p in series].index(last)
        replacement = _follow(moved_to, path) or (
            entry.deprecation.replacement if entry.deprecation else None
        )
        removed[path] = Removal(entry, last, series[position + 1].version, replacement)
    return History(
        published=tuple(p.version for p in series[:-1]),
        version=version,
        classes={
            e.import_path: ClassHistory(first[e.import_path], tuple(notes.get(e.import_path, ())))
            for e in current.entries
        },
        removed=removed,
    )


def _follow(moved_to: Mapping[str, str], path: str) -> str | None:
    seen = {path}
    target = moved_to.get(path)
    while target is not None and target in moved_to and moved_to[target] not in seen:
        seen.add(target)
        target = moved_to[target]
    return target


def _moved(change: ClassChange) -> tuple[str, ...]:
    return (f"moved from ``{change.moved_from}``", *(_parameter_phrase(p) for p in change.parameters))


def _describe(change: ClassChange | None, old: CatalogEntry | None, new: CatalogEntry) -> tuple[str, ...]:
    """Phrase the parameter changes of one class, the templated mark included (``changes`` skips it)."""
    phrases = [_parameter_phrase(p) for p in change.parameters] if change is not None else []
    if old is not None:
        was = {p.name: p.templated for p in old.parameters}
        for parameter in new.parameters:
            if parameter.name in was and was[parameter.name] != parameter.templated:
                state = "now templated" if parameter.templated else "no longer templated"
                phrases.append(f"``{parameter.name}`` {state}")
    return tuple(phrases)


def _parameter_phrase(change: ParameterChange) -> str:
    return change.describe(code=lambda name: f"``{name}``", value=_value)


def _value(text: str | None) -> str:
    return rst_escape(text) if text is not None else "none"
