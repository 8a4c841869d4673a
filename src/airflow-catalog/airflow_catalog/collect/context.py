"""What extraction knows about the package a class belongs to, and the sources it has read."""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

from airflow_catalog.collect.class_facts import Declared
from airflow_catalog.collect.examples import ExampleIndex
from airflow_catalog.collect.sources import ModuleSource
from airflow_catalog.model.catalog import PackageInfo


@dataclass
class PackageContext:
    """What extraction needs to know about the package a class belongs to."""

    package: PackageInfo
    root: Path
    integration_by_module: dict[str, str] = field(default_factory=dict)
    examples: ExampleIndex = field(default_factory=ExampleIndex)
    sources: dict[str, ModuleSource] = field(default_factory=dict)
    init_cache: dict[type, tuple[tuple[Declared, ...], bool]] = field(default_factory=dict)

    def integration_of(self, module_name: str) -> str | None:
        """Return the integration the provider info files a module under (see :func:`integration_of`)."""
        return integration_of(self.package, self.integration_by_module, module_name)

    def source_of(self, module_name: str) -> ModuleSource | None:
        """Return the walked (or, for a base class elsewhere, freshly located) source of a module."""
        if module_name not in self.sources:
            module = sys.modules.get(module_name)
            file = getattr(module, "__file__", None)
            self.sources[module_name] = ModuleSource(module_name, Path(file) if file else None, module)
        return self.sources[module_name]

    def class_node(self, cls: type) -> ast.ClassDef | None:
        """Return the statement that defines a (top-level) class in its module's source."""
        source = self.source_of(cls.__module__)
        if source is None or "." in cls.__qualname__:
            return None
        return source.classes.get(cls.__qualname__)


def integration_of(
    package: PackageInfo, integration_by_module: dict[str, str], module_name: str
) -> str | None:
    """Return the integration a package's provider info files a module under.

    A module it does not list (notifiers are listed by class, utilities not at all) belongs to the
    package's only integration when it has just one.

    :param package: the module's package, with its declared integrations.
    :param integration_by_module: the integration of each module its provider info lists.
    :param module_name: the module.
    """
    listed = integration_by_module.get(module_name)
    if listed:
        return listed
    return package.integrations[0] if len(package.integrations) == 1 else None
