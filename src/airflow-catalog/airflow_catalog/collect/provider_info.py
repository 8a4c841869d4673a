"""A package's metadata: its distribution, version and the ``get_provider_info`` of its entry point.

Calling ``get_provider_info`` imports the provider's package: it runs in the worker process of
:mod:`airflow_catalog.collect.isolation` like every other import of a catalogued package.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from importlib.metadata import EntryPoint, entry_points, packages_distributions
from pathlib import Path
from typing import Any

from airflow_catalog.collect.hook_forms import form_from_provider_info
from airflow_catalog.collect.provider_sections import provider_items
from airflow_catalog.collect.sources import PackageNotFoundError, locate
from airflow_catalog.model.catalog import ConnectionType, PackageInfo

_UPSTREAM_DISTRIBUTION = re.compile(r"^apache[-_.]airflow($|[-_.]providers[-_.])", re.IGNORECASE)


def provider_entry_point(import_name: str) -> tuple[EntryPoint, str] | None:
    """Find the ``apache_airflow_provider`` entry point whose package holds ``import_name``.

    :returns: the entry point and the import name of its package, or ``None`` when none matches.
    """
    best: tuple[EntryPoint, str] | None = None
    for point in entry_points(group="apache_airflow_provider"):
        package = point.module.rsplit(".", 1)[0] if "." in point.module else point.module
        if (import_name == package or import_name.startswith(package + ".")) and (
            best is None or len(package) > len(best[1])
        ):
            best = (point, package)
    return best


def provider_info_files(import_name: str) -> list[Path]:
    """Return the file of the ``get_provider_info`` module a package's metadata comes from, if any.

    Found without importing it, so a cache can tell whether the metadata may have changed.
    """
    found = provider_entry_point(import_name)
    if found is None:
        return []
    try:
        origin, _ = locate(found[0].module)
    except PackageNotFoundError:
        return []
    return [origin] if origin is not None else []


def package_info(
    import_name: str, own: Sequence[str] | None, call: bool = True
) -> tuple[PackageInfo, dict[str, str]]:
    """Return the package's metadata and, from its provider info, the integration of each module.

    :param own: import names of our own packages; ``None`` means every distribution is ours except
        ``apache-airflow`` and ``apache-airflow-providers-*``.
    :param call: call the entry point's ``get_provider_info`` (which imports the package); without
        it, only the distribution's name and version are known.
    """
    found = provider_entry_point(import_name)
    info: dict[str, Any] = {}
    if found is not None:
        point, _package = found
        distribution = point.dist.name if point.dist else import_name
        version = point.dist.version if point.dist else "unknown"
        try:
            loaded = point.load()() if call else {}
            info = loaded if isinstance(loaded, dict) else {}
        except Exception:  # a broken get_provider_info must not stop the catalog: metadata is optional
            info = {}
    else:
        distribution, version = _distribution_of(import_name)
    if own is None:
        is_own = not _UPSTREAM_DISTRIBUTION.match(distribution)
    else:
        is_own = any(import_name == name or import_name.startswith(name + ".") for name in own)
    integrations = tuple(str(i.get("integration-name", "")) for i in info.get("integrations", []) if i)
    connection_types = tuple(
        ConnectionType(
            conn_type=str(item.get("connection-type", "")),
            hook_class=str(item.get("hook-class-name", "")),
            hook_name=item.get("hook-name"),
            form=form_from_provider_info(item),
        )
        for item in info.get("connection-types", [])
        if item.get("connection-type")
    )
    package = PackageInfo(
        import_name=import_name,
        distribution=distribution,
        version=version,
        name=str(info.get("name", "")),
        description=" ".join(str(info.get("description", "")).split()),
        integrations=integrations,
        connection_types=connection_types,
        is_own=is_own,
        provider_items=provider_items(info),
    )
    return package, _integration_by_module(info)


def _distribution_of(import_name: str) -> tuple[str, str]:
    from importlib.metadata import PackageNotFoundError as MetadataNotFound
    from importlib.metadata import version

    top = import_name.split(".", 1)[0]
    for distribution in packages_distributions().get(top, []):
        try:
            return distribution, version(distribution)
        except MetadataNotFound:
            continue
    return import_name, "unknown"


def _integration_by_module(info: dict[str, Any]) -> dict[str, str]:
    by_module: dict[str, str] = {}
    for section in ("operators", "sensors", "hooks", "triggers"):
        for item in info.get(section, []) or []:
            for module in item.get("python-modules", []) or []:
                by_module.setdefault(module, str(item.get("integration-name", "")))
    for item in info.get("transfers", []) or []:
        module = item.get("python-module")
        if module:
            by_module.setdefault(module, str(item.get("source-integration-name", "")))
    return by_module
