"""Read one package's metadata or one module into catalogue entries: the work a worker process does.

Everything here runs in the worker of :mod:`airflow_catalog.collect.isolation`, since it imports
catalogued modules; what it returns (frozen dataclasses of :mod:`airflow_catalog.model.catalog`) is
sent back to the command's process.
"""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import dataclass
from pathlib import Path

from airflow_catalog.collect.classify import FoundClass, classes_in
from airflow_catalog.collect.context import PackageContext
from airflow_catalog.collect.examples import ExampleIndex
from airflow_catalog.collect.extract import extract, source_files
from airflow_catalog.collect.isolation import LeftOutError
from airflow_catalog.collect.loading import import_module
from airflow_catalog.collect.problems import unreadable_signatures, with_path
from airflow_catalog.collect.provider_info import package_info, provider_entry_point
from airflow_catalog.collect.sources import ModuleSource, PackageFiles, PackageNotFoundError, locate
from airflow_catalog.model.catalog import CatalogEntry, ImportProblem, PackageInfo


@dataclass(frozen=True)
class ReadTask:
    """One piece of work for a worker: a package's provider metadata, or one of its modules.

    :param package: the configured import name of the package.
    :param module: the module to read; ``None`` for the package's metadata.
    """

    package: str
    module: str | None = None


@dataclass(frozen=True)
class ModuleRead:
    """What reading one module gave.

    :param problem: why the module could not be imported (or a class of it documented), if it could not.
    :param entries: its catalogued classes.
    :param files: the files they were read from: a cache re-reads the module when one changes.
    :param imported: whether its import succeeded in the worker, so that it can be imported here too.
    """

    problem: ImportProblem | None
    entries: tuple[CatalogEntry, ...]
    files: frozenset[Path]
    imported: bool


@dataclass
class PackagePlan:
    """A configured package: its files, and its metadata once read (or found in a cache).

    :param owned: the modules read for this package (a module of two configured packages, such as
        ``airflow.providers.common`` and ``….common.sql``, belongs to the first).
    """

    import_name: str
    files: PackageFiles
    examples: ExampleIndex
    info: tuple[PackageInfo, dict[str, str]] | None = None
    owned: list[ModuleSource] = dataclasses.field(default_factory=list)
    context: PackageContext | None = None


class Reader:
    """The worker's side of a collection: runs one :class:`ReadTask` (in the worker process)."""

    def __init__(self, plans: dict[str, PackagePlan], own: list[str] | None) -> None:
        self.plans = plans
        self.own = own

    def __call__(self, task: ReadTask) -> tuple[PackageInfo, dict[str, str]] | ModuleRead:
        """Read the task's metadata or module."""
        plan = self.plans[task.package]
        if task.module is None:
            plan.info = package_info(task.package, self.own)
            return plan.info
        source = next(source for source in plan.owned if source.name == task.module)
        return read_module(source, self.context(plan))

    def culprit(self, task: ReadTask) -> str:
        """Return the module to blame for a task's failure when no watched import was under way."""
        if task.module is not None:
            return task.module
        found = provider_entry_point(task.package)
        return found[0].module if found is not None else task.package

    @staticmethod
    def context(plan: PackagePlan) -> PackageContext:
        """Return what extraction knows of the plan's package (built once per worker)."""
        if plan.context is None:
            assert plan.info is not None, "the metadata task comes before the package's modules"
            package, integrations = plan.info
            plan.context = PackageContext(
                package=package,
                root=plan.files.root,
                integration_by_module=integrations,
                examples=plan.examples,
                sources={source.name: source for source in plan.files.modules},
            )
        return plan.context


def read_module(source: ModuleSource, context: PackageContext) -> ModuleRead:
    """Import one module and extract its catalogued classes (from its source when the import fails).

    A class whose signature cannot be read is extracted all the same, but marked as not imported:
    autodoc would fail on it (see :func:`signature_error`), and the module gets a problem naming it.
    """
    problem = import_module(source)
    imported = problem is None
    found = list(classes_in(source))
    entries: list[CatalogEntry] = []
    unreadable: list[str] = []
    for found_class in found:
        entry = _extract_or_read_source(found_class, context)
        error = signature_error(found_class.obj) if found_class.obj is not None else None
        if error is not None:
            unreadable.append(f"{found_class.name} ({error})")
            entry = dataclasses.replace(entry, imported=False)
        entries.append(entry)
    if problem is None and unreadable:
        problem = unreadable_signatures(source, unreadable)
    files = {path for found_class in found for path in source_files(found_class)}
    files |= _own_file(source.path) | _cause_file(source.error)
    return ModuleRead(
        problem=with_path(problem, source, context.root) if problem is not None else None,
        entries=tuple(entries),
        files=frozenset(files),
        imported=imported,
    )


def signature_error(cls: type) -> str | None:
    """Return the error :func:`inspect.signature` meets on a class, as autodoc would, or ``None``.

    A ``ValueError`` means the class has no signature to show (one implemented in C): autodoc shows
    none and says nothing; anything else (a ``__signature__`` that raises or is not a signature) is a
    warning of autodoc's, which fails a build run with ``-W``.
    """
    try:
        inspect.signature(cls)
    except ValueError:
        return None
    except Exception as error:  # the class's own code: a property or metaclass may raise anything
        return f"{type(error).__name__}: {error}"
    return None


def _extract_or_read_source(found: FoundClass, context: PackageContext) -> CatalogEntry:
    """Extract one class; if inspecting the live class fails, read it from its source instead.

    Third-party classes can break inspection in ways no rule foresees (a metaclass whose attribute
    access raises, say); one such class must not cost the catalog every other class.
    """
    try:
        return extract(found, context)
    except Exception:
        if found.obj is None or found.node is None:
            raise
        return extract(dataclasses.replace(found, obj=None), context)


def _own_file(path: Path | None) -> set[Path]:
    return {path} if path is not None else set()


def _cause_file(error: BaseException | None) -> set[Path]:
    """Return the file of the blocked module an import failed on: when it changes, both are read again."""
    if not isinstance(error, LeftOutError) or not error.name:
        return set()
    try:
        origin, _ = locate(error.name, fallback=False)
    except PackageNotFoundError:
        return set()
    return _own_file(origin)
