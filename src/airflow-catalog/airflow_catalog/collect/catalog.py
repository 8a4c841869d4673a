"""Collect the catalog of some packages: discovery, extraction and conventions in one call.

The modules are read in worker processes (:mod:`airflow_catalog.collect.isolation`): whatever a
catalogued module does at import (print, exit, hang, change its process) cannot reach this process's
output or life, and is named per module as an import problem. This process walks the packages'
files, keeps the cache, and afterwards imports the modules a worker imported harmlessly (see
:func:`airflow_catalog.collect.loading.import_quietly`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from airflow_catalog.collect.cache import ExtractionCache, ModuleRecord, cache_key
from airflow_catalog.collect.classify import airflow_bases
from airflow_catalog.collect.context import integration_of
from airflow_catalog.collect.examples import build_index, example_files
from airflow_catalog.collect.isolation import Outcome, import_timeout, read_isolated
from airflow_catalog.collect.loading import import_quietly, silenced
from airflow_catalog.collect.problems import fault_problem, with_path
from airflow_catalog.collect.provider_info import package_info, provider_entry_point, provider_info_files
from airflow_catalog.collect.reading import ModuleRead, PackagePlan, Reader, ReadTask
from airflow_catalog.collect.sources import walk_package
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
    :raises ValueError: when ``CATALOG_IMPORT_TIMEOUT`` is not a number of seconds.
    """
    timeout = import_timeout()
    store = ExtractionCache(cache, cache_key(exclude, own)) if cache is not None else None
    plans: dict[str, PackagePlan] = {}
    cached: dict[str, ModuleRecord] = {}
    tasks: list[ReadTask] = []
    claimed: set[str] = set()
    for import_name in dict.fromkeys(packages):
        files = walk_package(import_name, exclude)
        plan = PackagePlan(import_name, files, build_index(example_files(files.package_dirs, import_name)))
        plan.info = store.package(import_name) if store is not None else None
        if plan.info is None:
            tasks.append(ReadTask(import_name))
        # A package listed inside another one (``airflow.providers.common`` and ``….common.sql``)
        # would catalogue a class twice; the first package named keeps it.
        plan.owned = [source for source in files.modules if source.name not in claimed]
        claimed.update(source.name for source in plan.owned)
        for source in plan.owned:
            record = store.module(source.name) if store is not None else None
            if record is not None:
                cached[source.name] = record
            else:
                tasks.append(ReadTask(import_name, source.name))
        plans[import_name] = plan
    reads = _read(tasks, plans, own, timeout, store) if tasks else {}
    if store is not None:
        store.save()
    return _assemble(plans, cached, reads)


def _read(
    tasks: list[ReadTask],
    plans: dict[str, PackagePlan],
    own: Sequence[str] | None,
    timeout: float,
    store: ExtractionCache | None,
) -> dict[str, ModuleRead]:
    """Run the tasks in workers; keep what they read (and cache it) as it arrives."""
    # Imported here once, so that every worker starts with Airflow's bases (a second and more each);
    # what Airflow logs while it is imported is no more part of the command's output than a module's.
    with silenced():
        airflow_bases()
    reader = Reader(plans, None if own is None else list(own))
    watched = frozenset(
        {source.name for plan in plans.values() for source in plan.files.modules}
        | {found[0].module for name in plans if (found := provider_entry_point(name)) is not None}
    )
    reads: dict[str, ModuleRead] = {}
    for outcome in read_isolated(tasks, reader, reader.culprit, watched, timeout):
        task = tasks[outcome.index]
        plan = plans[task.package]
        if task.module is None:
            plan.info = _package_info(outcome, task, own)
            if store is not None:
                store.put_package(*plan.info, provider_info_files(task.package))
            continue
        read = _module_read(outcome, task.module, plan)
        reads[task.module] = read
        if store is not None:
            store.put_module(task.module, read.entries, read.problem, read.files)
        if read.imported:
            import_quietly(task.module)
    return reads


def _package_info(
    outcome: Outcome[ReadTask], task: ReadTask, own: Sequence[str] | None
) -> tuple[PackageInfo, dict[str, str]]:
    if outcome.failure is None:
        info: tuple[PackageInfo, dict[str, str]] = outcome.result
        return info
    # Its get_provider_info stopped a worker even when the module it blamed was blocked: the
    # distribution's name and version are still known without calling it.
    return package_info(task.package, own, call=False)


def _module_read(outcome: Outcome[ReadTask], module: str, plan: PackagePlan) -> ModuleRead:
    if outcome.failure is None:
        read: ModuleRead = outcome.result
        return read
    # Even read from its source, the module stopped a worker (a base class's module hung, say).
    source = next(source for source in plan.owned if source.name == module)
    problem = with_path(fault_problem(module, outcome.failure), source, plan.files.root)
    files = frozenset({source.path} if source.path is not None else ())
    return ModuleRead(problem, (), files, imported=False)


def _assemble(
    plans: dict[str, PackagePlan], cached: dict[str, ModuleRecord], reads: dict[str, ModuleRead]
) -> Catalog:
    """Put the entries and problems together in the packages' and modules' order; check conventions."""
    infos: list[PackageInfo] = []
    entries: dict[str, CatalogEntry] = {}
    problems: dict[str, ImportProblem] = {}
    for plan in plans.values():
        assert plan.info is not None, "every package's metadata was cached or read"
        for source in plan.owned:
            record = cached.get(source.name)
            if record is not None:
                # What an entry shows from other files than its module is applied afresh every time:
                # the examples (example DAGs) and the integration (the provider metadata, whose edit
                # must not leave a cached class under its old integration or none).
                package, integrations = plan.info
                module_entries = [
                    dataclasses.replace(
                        e,
                        examples=plan.examples.examples_for(e.name),
                        integration=integration_of(package, integrations, e.module),
                    )
                    for e in record.entries
                ]
                problem = record.problem
            else:
                module_entries = list(reads[source.name].entries)
                problem = reads[source.name].problem
            for entry in module_entries:
                entries.setdefault(entry.import_path, entry)
            if problem is not None:
                problems.setdefault(problem.module, problem)
        infos.append(plan.info[0])
    hook_names = {e.import_path: e.hook.hook_name for e in entries.values() if e.hook and e.hook.hook_name}
    infos = [_with_hook_names(info, hook_names) for info in infos]
    ordered = tuple(entries.values())
    return Catalog(
        packages=tuple(infos),
        entries=ordered,
        import_problems=tuple(problems.values()),
        findings=check_entries(ordered, infos),
    )


def _with_hook_names(info: PackageInfo, hook_names: dict[str, str]) -> PackageInfo:
    """Fill in a connection type's hook name from the hook class when the provider info omits it."""
    types = tuple(
        connection
        if connection.hook_name
        else dataclasses.replace(connection, hook_name=hook_names.get(connection.hook_class))
        for connection in info.connection_types
    )
    return dataclasses.replace(info, connection_types=types)
