"""Collect the catalog of some packages: discovery, extraction and conventions in one call."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from airflow_catalog.collect.cache import ExtractionCache, cache_key
from airflow_catalog.collect.classify import FoundClass, classes_in
from airflow_catalog.collect.context import PackageContext
from airflow_catalog.collect.examples import build_index, example_files
from airflow_catalog.collect.extract import extract, source_files
from airflow_catalog.collect.loading import import_module
from airflow_catalog.collect.problems import with_path
from airflow_catalog.collect.provider_info import package_info, provider_info_files
from airflow_catalog.collect.sources import ModuleSource, walk_package
from airflow_catalog.conventions import check_entries
from airflow_catalog.model.catalog import Catalog, CatalogEntry, ImportProblem, PackageInfo


def collect_catalog(
    packages: Sequence[str],
    exclude: Sequence[str] = (),
    own: Sequence[str] | None = None,
    cache: Path | None = None,
) -> Catalog:
    """Catalog every public operator, sensor, transfer, hook, trigger and notifier of the packages.

    :param packages: import names, e.g. ``["etl_platform", "airflow.providers.http"]``.
    :param exclude: modules (and their sub-modules) to leave out.
    :param own: import names of our own packages (findings are errors there, informational elsewhere);
        ``None`` treats every package as ours except ``apache-airflow`` and its providers.
    :param cache: a file in which to keep what each module yielded (see :mod:`airflow_catalog.collect.cache`);
        with it, a later call imports only the modules whose files changed, and none when none did.
    :returns: the catalog, with the import problems met and the conventions findings.
    :raises airflow_catalog.collect.sources.PackageNotFoundError: when a package is not installed.
    """
    store = ExtractionCache(cache, cache_key(exclude, own)) if cache is not None else None
    infos: list[PackageInfo] = []
    entries: dict[str, CatalogEntry] = {}
    problems: dict[str, ImportProblem] = {}
    for import_name in dict.fromkeys(packages):
        files = walk_package(import_name, exclude)
        known = store.package(import_name) if store is not None else None
        package, integrations = known if known is not None else package_info(import_name, own)
        if store is not None and known is None:
            store.put_package(package, integrations, provider_info_files(import_name))
        examples = build_index(example_files(files.package_dirs, import_name))
        context = PackageContext(
            package=package,
            root=files.root,
            integration_by_module=integrations,
            examples=examples,
            sources={source.name: source for source in files.modules},
        )
        for source in files.modules:
            record = store.module(source.name) if store is not None else None
            if record is not None:
                # Examples live in other files than the module: they are indexed afresh every time.
                module_entries = [
                    dataclasses.replace(e, examples=examples.examples_for(e.name)) for e in record.entries
                ]
                problem = record.problem
            else:
                problem, found = read_module(source, files.root)
                module_entries = [_extract_or_read_source(found_class, context) for found_class in found]
                if store is not None:
                    read_from = {path for found_class in found for path in source_files(found_class)}
                    store.put_module(source.name, module_entries, problem, read_from | _own_file(source.path))
            # A package listed inside another one (``airflow.providers.common`` and ``….common.sql``)
            # would catalogue a class twice; the first package named keeps it.
            for entry in module_entries:
                entries.setdefault(entry.import_path, entry)
            if problem is not None:
                problems.setdefault(problem.module, problem)
        infos.append(package)
    if store is not None:
        store.save()
    hook_names = {e.import_path: e.hook.hook_name for e in entries.values() if e.hook and e.hook.hook_name}
    infos = [_with_hook_names(info, hook_names) for info in infos]
    ordered = tuple(entries.values())
    return Catalog(
        packages=tuple(infos),
        entries=ordered,
        import_problems=tuple(problems.values()),
        findings=check_entries(ordered, infos),
    )


def read_module(source: ModuleSource, root: Path) -> tuple[ImportProblem | None, list[FoundClass]]:
    """Import one module and find its catalogued classes (from its source when the import fails)."""
    problem = import_module(source)
    if problem is not None:
        problem = with_path(problem, source, root)
    return problem, list(classes_in(source))


def _own_file(path: Path | None) -> set[Path]:
    return {path} if path is not None else set()


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


def _with_hook_names(info: PackageInfo, hook_names: dict[str, str]) -> PackageInfo:
    """Fill in a connection type's hook name from the hook class when the provider info omits it."""
    types = tuple(
        connection
        if connection.hook_name
        else dataclasses.replace(connection, hook_name=hook_names.get(connection.hook_class))
        for connection in info.connection_types
    )
    return dataclasses.replace(info, connection_types=types)
