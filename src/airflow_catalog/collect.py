"""Collect the catalog of some packages: discovery, extraction and conventions in one call."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from airflow_catalog.conventions import check_entries
from airflow_catalog.discover import FoundClass, discover
from airflow_catalog.examples import build_index, example_files
from airflow_catalog.extract import PackageContext, extract
from airflow_catalog.model import Catalog, CatalogEntry, ConnectionType, ImportProblem, PackageInfo


def collect_catalog(
    packages: Sequence[str], exclude: Sequence[str] = (), own: Sequence[str] | None = None
) -> Catalog:
    """Catalog every public operator, sensor, transfer, hook, trigger and notifier of the packages.

    :param packages: import names, e.g. ``["etl_platform", "airflow.providers.http"]``.
    :param exclude: modules (and their sub-modules) to leave out.
    :param own: import names of our own packages (findings are errors there, informational elsewhere);
        ``None`` treats every package as ours except ``apache-airflow`` and its providers.
    :returns: the catalog, with the import problems met and the conventions findings.
    :raises airflow_catalog.discover.PackageNotFoundError: when a package is not installed.
    """
    infos: list[PackageInfo] = []
    entries: dict[str, CatalogEntry] = {}
    problems: dict[str, ImportProblem] = {}
    for import_name in dict.fromkeys(packages):
        found = discover(import_name, exclude, own)
        examples = build_index(example_files(found.package_dirs, import_name))
        context = PackageContext(
            package=found.package,
            root=found.root,
            integration_by_module=found.integration_by_module,
            examples=examples,
            sources={found_class.source.name: found_class.source for found_class in found.classes},
        )
        for found_class in found.classes:
            # A package listed inside another one (``airflow.providers.common`` and ``….common.sql``)
            # would catalogue a class twice; the first package named keeps it.
            if found_class.import_path not in entries:
                entries[found_class.import_path] = _extract_or_read_source(found_class, context)
        for problem in found.problems:
            problems.setdefault(problem.module, problem)
        infos.append(found.package)
    hook_names = {e.import_path: e.hook.hook_name for e in entries.values() if e.hook and e.hook.hook_name}
    infos = [_with_hook_names(info, hook_names) for info in infos]
    ordered = tuple(entries.values())
    return Catalog(
        packages=tuple(infos),
        entries=ordered,
        import_problems=tuple(problems.values()),
        findings=check_entries(ordered, infos),
    )


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
        else ConnectionType(
            connection.conn_type, connection.hook_class, hook_names.get(connection.hook_class)
        )
        for connection in info.connection_types
    )
    return dataclasses.replace(info, connection_types=types)
