"""The catalog's configuration values, declared once: registered, validated and documented from one list."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)


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
        logger.warning(
            "%s must be a list of import names such as ['etl_platform'], not %r: using []",
            name,
            value,
            type="catalog",
            subtype="config",
            location=location,
        )
        return ()
    good = []
    for item in value:
        if isinstance(item, str) and _IMPORT_NAME.match(item):
            good.append(item)
        else:
            logger.warning(
                "%s: %r is not an import name (dotted Python identifiers, e.g. 'airflow.providers.http'): "
                "left out",
                name,
                item,
                type="catalog",
                subtype="config",
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
        logger.warning(
            "catalog_strict must be True or False, not %r: using False",
            strict,
            type="catalog",
            subtype="config",
            location=location,
        )
        strict = False
    own = config.catalog_own_packages
    return CatalogConfig(
        packages=_import_names("catalog_packages", config.catalog_packages, location),
        exclude=_import_names("catalog_exclude", config.catalog_exclude, location),
        strict=strict,
        own=None if own is None else _import_names("catalog_own_packages", own, location),
    )
