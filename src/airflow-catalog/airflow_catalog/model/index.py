"""Look-ups over a catalog that pages, directives and cross-references share."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from airflow_catalog.model.catalog import Catalog, CatalogEntry, Finding, Kind, PackageInfo


@dataclass(frozen=True)
class CatalogIndex:
    """Look-ups over a catalog that pages and cross-references share.

    :param catalog: the collected catalog.
    :param by_path: every entry by import path.
    :param findings: the findings of each entry, by import path.
    :param conn_types: the connection types an entry needs (its own for hooks, its hooks' for others).
    """

    catalog: Catalog
    by_path: Mapping[str, CatalogEntry]
    findings: Mapping[str, tuple[Finding, ...]]
    conn_types: Mapping[str, tuple[str, ...]]
    packages: Mapping[str, PackageInfo] = field(default_factory=dict)
    hooks: Mapping[str, CatalogEntry] = field(default_factory=dict)

    @classmethod
    def of(cls, catalog: Catalog) -> CatalogIndex:
        """Index ``catalog``.

        :param catalog: the collected catalog.
        :returns: its look-up tables.
        """
        by_path = {entry.import_path: entry for entry in catalog.entries}
        findings: dict[str, list[Finding]] = defaultdict(list)
        for finding in catalog.findings:
            findings[finding.import_path].append(finding)
        hook_types = {
            entry.import_path: entry.hook.conn_type
            for entry in catalog.entries
            if entry.hook is not None and entry.hook.conn_type
        }
        conn_types: dict[str, tuple[str, ...]] = {}
        for entry in catalog.entries:
            own = (hook_types[entry.import_path],) if entry.import_path in hook_types else ()
            used = tuple(hook_types[hook] for hook in entry.uses_hooks if hook in hook_types)
            conn_types[entry.import_path] = tuple(dict.fromkeys((*own, *used)))
        return cls(
            catalog=catalog,
            by_path=by_path,
            findings={path: tuple(items) for path, items in findings.items()},
            conn_types=conn_types,
            packages={package.import_name: package for package in catalog.packages},
            hooks={path: entry for path, entry in by_path.items() if entry.kind == Kind.HOOK},
        )

    def package_of(self, entry: CatalogEntry) -> PackageInfo | None:
        """Return the catalogued package an entry belongs to, if it is one of them."""
        if entry.package in self.packages:
            return self.packages[entry.package]
        for name, package in self.packages.items():
            if entry.import_path.startswith(name + "."):
                return package
        return None

    def is_own(self, entry: CatalogEntry) -> bool:
        """Whether ``entry`` is in one of our own packages (its findings are errors, its warnings ours)."""
        package = self.package_of(entry)
        return package is not None and package.is_own
