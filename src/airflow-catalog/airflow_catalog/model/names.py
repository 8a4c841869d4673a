"""The names every stage shares: where generated pages live, and the rules that name and sort classes."""

from __future__ import annotations

import re

from airflow_catalog.model.catalog import Kind

#: Where generated pages live, relative to the Sphinx source folder (git-ignored).
GENERATED_DIR = "catalog/_generated"
#: Fragments included by hand-written pages; their suffix keeps Sphinx from reading them as documents.
FRAGMENT_SUFFIX = ".rst.inc"
PACKAGES_DOC = f"{GENERATED_DIR}/packages"
CONNECTIONS_DOC = f"{GENERATED_DIR}/connections"
SCHEMES_DOC = f"{GENERATED_DIR}/schemes"
FINDER_FRAGMENT = f"finder{FRAGMENT_SUFFIX}"
CONFORMANCE_FRAGMENT = f"conformance{FRAGMENT_SUFFIX}"

#: Kinds whose page documents the constructor only (no methods).
CONSTRUCTOR_KINDS = frozenset({Kind.OPERATOR, Kind.SENSOR, Kind.TRANSFER})
#: Kinds whose constructor parameters a DAG author fills in with a connection id.
USER_KINDS = frozenset({Kind.OPERATOR, Kind.SENSOR, Kind.TRANSFER, Kind.NOTIFIER, Kind.TRIGGER})
#: Airflow's own connection fields, in the order its form shows them.
STANDARD_FIELDS = ("description", "host", "schema", "login", "password", "port", "extra")


#: ``<Source>To<Target>Operator``: the one naming rule of a transfer, with the two systems' names.
TRANSFER_NAME = re.compile(r"^(?P<source>[A-Z]\w*?)To(?P<target>[A-Z]\w*?)Operator$")


def transfer_systems(name: str) -> tuple[str, str] | None:
    """Return the source's and the target's names of a class named ``<Source>To<Target>Operator``.

    :param name: a class name, e.g. ``HttpToArchiveOperator``.
    :returns: ``("Http", "Archive")``, or ``None`` when the name does not follow the rule.
    """
    match = TRANSFER_NAME.match(name)
    return (match.group("source"), match.group("target")) if match else None


def is_transfer(name: str, module: str) -> bool:
    """Whether an operator is a transfer: named ``<Source>To<Target>Operator``, or in ``transfers``."""
    return transfer_systems(name) is not None or "transfers" in module.split(".")


def class_docname(import_path: str) -> str:
    """Return the docname of a class's page."""
    return f"{GENERATED_DIR}/{import_path}"


def package_docname(import_name: str) -> str:
    """Return the docname of a package's page."""
    return f"{GENERATED_DIR}/package-{import_name}"


def connection_docname(conn_type: str) -> str:
    """Return the docname of a connection type's page (the type is reduced to safe characters)."""
    return f"{GENERATED_DIR}/connection-{re.sub(r'[^A-Za-z0-9_.-]', '_', conn_type)}"


def generated_file(docname: str) -> str:
    """Return the file name of a generated page below :data:`GENERATED_DIR`."""
    return docname.removeprefix(GENERATED_DIR + "/") + ".rst"


def is_airflow_core(dotted: str) -> bool:
    """Whether a module or class path is Airflow's own (or Python's), not a provider's or ours.

    :param dotted: a module name or a class's import path, e.g. ``airflow.sdk.BaseOperator``.
    """
    if dotted.startswith("airflow.providers."):
        return False
    return dotted in {"builtins", "abc", "typing"} or dotted == "airflow" or dotted.startswith("airflow.")


def is_in_package(module: str, import_name: str) -> bool:
    """Whether ``module`` is the package ``import_name`` or one of its submodules."""
    return module == import_name or module.startswith(import_name + ".")
