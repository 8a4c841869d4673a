"""The catalog's configuration values, declared once: registered, validated and documented from one list."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sphinx.application import Sphinx

from airflow_catalog.sphinxext.warnings_ import warn

#: The extension that registers most values, and the one that registers the versioning values.
CATALOG = "airflow_catalog"
VERSIONING = "airflow_catalog.sphinxext.versioning"


@dataclass(frozen=True)
class ConfigValue:
    """One ``catalog_*`` value of ``conf.py``: what Sphinx registers and the reference page shows.

    :param name: the name in ``conf.py``.
    :param default: the value when ``conf.py`` does not set it (before ``environment`` is read).
    :param type_text: the type as the reference page names it.
    :param meaning: what it does, one sentence or two, in reStructuredText.
    :param extension: the extension that registers it (:data:`CATALOG` or :data:`VERSIONING`).
    :param rebuild: what Sphinx rebuilds when it changes (``env``: every page; ``html``: the output).
    :param environment: an environment variable whose value, when set, is the default instead.
    """

    name: str
    default: Any
    type_text: str
    meaning: str
    extension: str = CATALOG
    rebuild: Literal["env", "html"] = "env"
    environment: str | None = None

    def sphinx_default(self) -> Any:
        """Return the default as Sphinx takes it: a callable reads the environment variable at build time."""
        if self.environment is None:
            return self.default
        variable, fallback = self.environment, self.default
        reader: Callable[[Any], Any] = lambda _config: os.environ.get(variable) or fallback  # noqa: E731
        return reader


#: Every configuration value of the catalog, in the order the reference page lists them.
CONFIG_VALUES: tuple[ConfigValue, ...] = (
    ConfigValue(
        "catalog_packages",
        [],
        "list[str]",
        "Import names of the packages to catalogue, e.g. ``['airflow.providers.http']``; each is walked "
        "with its submodules.",
    ),
    ConfigValue(
        "catalog_exclude",
        [],
        "list[str]",
        "Modules to leave out, with their submodules (a module whose optional dependency is not installed).",
    ),
    ConfigValue(
        "catalog_strict",
        False,
        "bool",
        "Whether a module that fails to import fails the build; otherwise its classes are listed from "
        "their source with one ``catalog.import`` warning each.",
    ),
    ConfigValue(
        "catalog_own_packages",
        None,
        "list[str] | None",
        "Import names of your own packages: their conventions findings are errors, others' are notes. "
        "``None`` counts every distribution but ``apache-airflow`` and ``apache-airflow-providers-*`` "
        "as your own.",
    ),
    ConfigValue(
        "catalog_history_dir",
        "",
        "str",
        "A folder of ``<version>/catalog.json`` files of the published versions, from which each class "
        "page's history is drawn; empty: the history starts with this version.",
        environment="CATALOG_HISTORY_DIR",
    ),
    ConfigValue(
        "catalog_source_url",
        "",
        "str",
        "Where your own classes' source is shown: a template with ``{ref}``, ``{path}`` and ``{line}``, "
        "e.g. ``https://github.com/o/r/blob/{ref}/src/{path}#L{line}``; upstream classes link to their "
        "project's source URL.",
    ),
    ConfigValue(
        "catalog_source_ref",
        "main",
        "str",
        "The tag or commit the source links point at (the release workflow sets the variable to the tag).",
        environment="CATALOG_SOURCE_REF",
    ),
    ConfigValue(
        "catalog_version",
        "dev",
        "str",
        "The version this build is published as: a PEP 440 version, or ``dev`` for the main branch.",
        extension=VERSIONING,
        rebuild="html",
        environment="DOCS_VERSION",
    ),
    ConfigValue(
        "catalog_site_url",
        "",
        "str",
        "The published site's root URL, for canonical links; empty: links stay relative.",
        extension=VERSIONING,
        rebuild="html",
    ),
    ConfigValue(
        "catalog_previous_json",
        "",
        "str",
        "The ``catalog.json`` of the version published before this one, which the page of changes "
        "compares with (``airflow-catalog previous`` writes it).",
        extension=VERSIONING,
        environment="CATALOG_PREVIOUS_JSON",
    ),
    ConfigValue(
        "catalog_previous_version",
        "",
        "str",
        "The name of that previous version, as the page of changes shows it.",
        extension=VERSIONING,
        environment="CATALOG_PREVIOUS_VERSION",
    ),
    ConfigValue(
        "catalog_current_json",
        "",
        "str",
        "A ``catalog.json`` the page of changes compares instead of collecting ``catalog_packages``.",
        extension=VERSIONING,
    ),
)


def register(app: Sphinx, extension: str) -> None:
    """Register the configuration values that ``extension`` owns.

    :param app: the Sphinx application.
    :param extension: :data:`CATALOG` or :data:`VERSIONING`.
    """
    for value in CONFIG_VALUES:
        if value.extension == extension:
            # Validated once, at builder-inited (read_config), with a message that names the fix,
            # rather than by Sphinx's type check, which only says that the type differs.
            app.add_config_value(
                value.name,
                value.sphinx_default(),
                value.rebuild,
                types=frozenset({Any}),
                description=value.meaning,
            )


_IMPORT_NAME = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


@dataclass(frozen=True)
class CatalogConfig:
    """The catalog's settings from ``conf.py``, validated.

    :param packages: import names to catalogue (``catalog_packages``).
    :param exclude: modules to leave out, with their submodules (``catalog_exclude``).
    :param strict: whether a module that fails to import fails the build (``catalog_strict``).
    :param own: import names of our own packages; ``None`` lets the collector decide by
        distribution name (``catalog_own_packages``).
    """

    packages: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    strict: bool = False
    own: tuple[str, ...] | None = None


def _import_names(name: str, value: Any, location: str) -> tuple[str, ...]:
    if isinstance(value, str):
        # ``-D catalog_own_packages=a,b`` on the command line arrives as one string.
        value = [item.strip() for item in value.split(",") if item.strip()]
    if not isinstance(value, list | tuple):
        warn(
            "config",
            "%s must be a list of import names such as ['etl_platform'], not %r: using []",
            name,
            value,
            location=location,
        )
        return ()
    good = []
    for item in value:
        if isinstance(item, str) and _IMPORT_NAME.match(item):
            good.append(item)
        else:
            warn(
                "config",
                "%s: %r is not an import name (dotted Python identifiers, e.g. 'airflow.providers.http'): "
                "left out",
                name,
                item,
                location=location,
            )
    return tuple(dict.fromkeys(good))


def read_config(app: Sphinx) -> CatalogConfig:
    """Validate the ``catalog_*`` values once; a bad value is reported and its default used.

    :param app: the Sphinx application.
    :returns: the validated settings.
    """
    config = app.config
    location = str(Path(app.confdir) / "conf.py")
    strict = config.catalog_strict
    if not isinstance(strict, bool):
        warn(
            "config",
            "catalog_strict must be True or False, not %r: using False",
            strict,
            location=location,
        )
        strict = False
    own = config.catalog_own_packages
    for value in CONFIG_VALUES:
        if value.type_text == "str" and value.name in config and not isinstance(config[value.name], str):
            warn(
                "config",
                "%s must be a string, not %r: using %r",
                value.name,
                config[value.name],
                value.default,
                location=location,
            )
            config[value.name] = value.default
    return CatalogConfig(
        packages=_import_names("catalog_packages", config.catalog_packages, location),
        exclude=_import_names("catalog_exclude", config.catalog_exclude, location),
        strict=strict,
        own=None if own is None else _import_names("catalog_own_packages", own, location),
    )
