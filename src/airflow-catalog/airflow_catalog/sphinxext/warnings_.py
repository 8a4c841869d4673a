"""Every warning the catalog emits, by ``type.subtype``, so that a project can silence one.

A project lists ``catalog.<subtype>`` in Sphinx's ``suppress_warnings`` to silence that kind of
warning. The reference page of the catalog generator is drawn from :data:`WARNINGS`, and a test
fails when the code emits a subtype this table does not name.
"""

from __future__ import annotations

from sphinx.util import logging

logger = logging.getLogger("airflow_catalog")

#: The ``type`` of every warning the catalog emits.
WARNING_TYPE = "catalog"

#: Each ``subtype`` and when it is emitted, in reStructuredText.
WARNINGS: dict[str, str] = {
    "import": (
        "A catalogued module failed to import: its classes are listed from their source, without "
        "autodoc's reference. The message names the error and the fix: install what the module "
        "needs, or leave it out with ``catalog_exclude``. With ``catalog_strict`` the build fails instead."
    ),
    "config": (
        "A ``catalog_*`` value of ``conf.py`` has the wrong type or holds an item that is not an "
        "import name: the value (or the item) is left out and the default used."
    ),
    "page": (
        "A generated page names a class the catalog does not have, or a catalog directive holds "
        "content it cannot read: a stale page of an earlier build. Building again regenerates it."
    ),
    "connection": (
        "A ``catalog-connection-builder`` directive was read without a collected catalog: the "
        "``airflow_catalog`` extension is not loaded."
    ),
    "changes": (
        "The page of changes cannot read the previous version's ``catalog.json`` "
        "(``catalog_previous_json``), or has no catalog of this version to compare."
    ),
}


def warn(subtype: str, message: str, *args: object, location: object = None) -> None:
    """Log a warning of type ``catalog`` and the given subtype, which :data:`WARNINGS` must name.

    :param subtype: the kind of warning, a key of :data:`WARNINGS`.
    :param message: the message, with ``%s`` placeholders for ``args``.
    :param args: the placeholders' values.
    :param location: where it happened: a docname, ``(docname, line)``, a node, or ``"path:line"``.
    :raises KeyError: when ``subtype`` is not in :data:`WARNINGS` (a warning nobody could look up).
    """
    if subtype not in WARNINGS:
        raise KeyError(
            f"catalog warning subtype {subtype!r} is not in WARNINGS: add it there with its meaning"
        )
    logger.warning(message, *args, type=WARNING_TYPE, subtype=subtype, location=location)
