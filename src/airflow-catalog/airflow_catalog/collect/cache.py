"""Remember what each module yielded, so a rebuild imports only the modules whose files changed.

Importing a provider costs seconds (Airflow itself, then every module); a rebuild after a docstring
edit needs one module. The cache keeps, per module, its catalogue entries, its import problem, and
the size and modification time of every file they were read from: the module's own file and the
files of the base classes its entries inherit parameters from. A module is re-read when any of
those files changed. The whole cache is dropped when anything else that shapes the result changed:
the catalog's own code, the settings, or the installed distributions (a ``site-packages`` folder's
modification time changes whenever a distribution is installed, upgraded or removed).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airflow_catalog.collect.isolation import import_timeout
from airflow_catalog.files import write_atomically
from airflow_catalog.model.catalog import SCHEMA_VERSION, Catalog, CatalogEntry, ImportProblem, PackageInfo

FORMAT = 1
#: The subpackages whose code decides what a module yields: a change to any of their files drops the
#: cache. Stamped whole, so that a module added, moved or renamed there is noticed as well.
_EXTRACTION_PACKAGES = ("collect", "model")

Stamp = tuple[int, int]


def stamp(path: Path | str) -> Stamp | None:
    """Return a file's modification time (ns) and size, or ``None`` when it does not exist."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (status.st_mtime_ns, status.st_size)


def cache_key(exclude: Sequence[str], own: Sequence[str] | None) -> dict[str, Any]:
    """Everything besides a module's own files that decides what it yields."""
    return {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "python": sys.version,
        "code": code_stamps(),
        "exclude": sorted(exclude),
        # A module that did not finish importing in time is cached as such until the limit changes.
        "import_timeout": import_timeout(),
        "own": None if own is None else sorted(own),
        "installed": {
            entry: stamp(entry) for entry in sys.path if entry.endswith(("site-packages", "dist-packages"))
        },
    }


def code_stamps() -> dict[str, Stamp | None]:
    """Stamp every source file of the extraction subpackages, by its path below ``airflow_catalog``."""
    package = Path(__file__).resolve().parent.parent
    files = sorted(path for name in _EXTRACTION_PACKAGES for path in (package / name).rglob("*.py"))
    return {path.relative_to(package).as_posix(): stamp(path) for path in files}


@dataclass(frozen=True)
class ModuleRecord:
    """What one module yielded, and the files it was read from."""

    entries: tuple[CatalogEntry, ...]
    problem: ImportProblem | None


class ExtractionCache:
    """A JSON file of module records, read once at the start of a collection and written at its end."""

    def __init__(self, path: Path, key: dict[str, Any]) -> None:
        """Load ``path`` when it was written with the same ``key``; otherwise start empty."""
        self.path = path
        self.key = json.loads(json.dumps(key))  # the form it takes once written, to compare like with like
        self._packages: dict[str, Any] = {}
        self._modules: dict[str, Any] = {}
        self._seen: set[str] = set()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if isinstance(data, dict) and data.get("key") == self.key:
            self._packages = data.get("packages", {})
            self._modules = data.get("modules", {})

    def package(self, import_name: str) -> tuple[PackageInfo, dict[str, str]] | None:
        """Return a package's cached metadata and module integrations, unless their file changed."""
        record = self._packages.get(import_name)
        if record is None or not _unchanged(record["files"]):
            return None
        info = Catalog.from_json({"schema_version": SCHEMA_VERSION, "packages": [record["info"]]}).packages[0]
        return info, dict(record["integrations"])

    def put_package(self, info: PackageInfo, integrations: dict[str, str], files: Iterable[Path]) -> None:
        """Remember a package's metadata and the files (its ``get_provider_info`` module) it came from."""
        plain = Catalog(packages=(info,)).to_json()["packages"][0]
        self._packages[info.import_name] = {
            "info": plain,
            "integrations": integrations,
            "files": _stamps(files),
        }

    def module(self, name: str) -> ModuleRecord | None:
        """Return a module's record when none of the files it was read from changed."""
        record = self._modules.get(name)
        if record is None:
            return None
        if not _unchanged(record["files"]):
            return None
        self._seen.add(name)
        catalog = Catalog.from_json(
            {
                "schema_version": SCHEMA_VERSION,
                "entries": record["entries"],
                "import_problems": [record["problem"]] if record["problem"] else [],
            }
        )
        problem = catalog.import_problems[0] if catalog.import_problems else None
        return ModuleRecord(catalog.entries, problem)

    def put_module(
        self, name: str, entries: Sequence[CatalogEntry], problem: ImportProblem | None, files: Iterable[Path]
    ) -> None:
        """Remember what a module yielded and the files (with their stamps now) it was read from."""
        plain = Catalog(entries=tuple(entries), import_problems=(problem,) if problem else ()).to_json()
        self._seen.add(name)
        self._modules[name] = {
            "files": _stamps(files),
            "entries": plain["entries"],
            "problem": plain["import_problems"][0] if problem else None,
        }

    def save(self) -> None:
        """Write the records of the modules met in this collection (others are gone) in one step."""
        modules = {name: record for name, record in self._modules.items() if name in self._seen}
        text = json.dumps(
            {"key": self.key, "packages": self._packages, "modules": modules}, ensure_ascii=False
        )
        write_atomically(self.path, text)


def _stamps(files: Iterable[Path]) -> dict[str, Stamp | None]:
    return {str(path): stamp(path) for path in sorted(set(files))}


def _unchanged(stamps: dict[str, Any]) -> bool:
    return all(stamp(path) == (tuple(value) if value else None) for path, value in stamps.items())
