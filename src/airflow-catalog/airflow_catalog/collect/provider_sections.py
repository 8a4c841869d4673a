"""Every list-valued section of a provider's metadata, as ``ProviderItem`` objects of the model.

``get_provider_info()`` declares far more than operators and hooks: TaskFlow decorators, operator
extra links, executors, secrets backends, log handlers, URI schemes, dialects, queues, bundles, ...
(Airflow's ``provider_info.schema.json``). Each section has its own shape; :data:`READERS` turns an
item of each into the name a user knows it by and the dotted path it points at. A section this
table does not know is still listed (its items as text), and :func:`unknown_sections` names it, so
that a new Airflow section is noticed by the tests rather than silently shown badly.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from airflow_catalog.collect.module_files import module_file
from airflow_catalog.model.catalog import ProviderItem

#: Sections that are not lists of things a provider gives a DAG: its own versions.
SKIPPED_SECTIONS = frozenset({"versions"})

Reader = Callable[[str, Any], Iterator[ProviderItem]]


def _last_part(path: str) -> str:
    return path.rsplit(".", 1)[-1]


def _dotted(section: str, item: Any) -> Iterator[ProviderItem]:
    """Read an item that is a dotted path (``executors``, ``extra-links``, ``secrets-backends``, ...)."""
    path = str(item)
    yield ProviderItem(section, _last_part(path), path)


def _modules(section: str, item: Any) -> Iterator[ProviderItem]:
    """Read ``operators``, ``sensors``, ``hooks``, ``triggers`` or ``bundles``: an integration's modules."""
    integration = str(item.get("integration-name", ""))
    for module in item.get("python-modules", []) or []:
        yield ProviderItem(section, str(module), str(module), integration)


def _transfer(section: str, item: Any) -> Iterator[ProviderItem]:
    module = str(item.get("python-module", ""))
    systems = f"{item.get('source-integration-name', '')} → {item.get('target-integration-name', '')}"
    yield ProviderItem(section, module, module, systems)


def _decorator(section: str, item: Any) -> Iterator[ProviderItem]:
    yield ProviderItem(section, f"@task.{item.get('name', '')}", str(item.get("class-name", "")))


def _asset_uri(section: str, item: Any) -> Iterator[ProviderItem]:
    """Read ``asset-uris`` (and ``dataset-uris``, their Airflow 2 name): schemes and their handler."""
    target = str(item.get("handler") or item.get("factory") or "")
    for scheme in item.get("schemes", []) or []:
        yield ProviderItem(section, str(scheme), target)


def _remote_logging(section: str, item: Any) -> Iterator[ProviderItem]:
    yield ProviderItem(section, str(item.get("scheme", "")), str(item.get("classpath", "")))


def _dialect(section: str, item: Any) -> Iterator[ProviderItem]:
    yield ProviderItem(section, str(item.get("dialect-type", "")), str(item.get("dialect-class-name", "")))


def _connection_type(section: str, item: Any) -> Iterator[ProviderItem]:
    yield ProviderItem(section, str(item.get("connection-type", "")), str(item.get("hook-class-name", "")))


def _integration(section: str, item: Any) -> Iterator[ProviderItem]:
    yield ProviderItem(
        section, str(item.get("integration-name", "")), "", str(item.get("external-doc-url", ""))
    )


def _plugin(section: str, item: Any) -> Iterator[ProviderItem]:
    yield ProviderItem(section, str(item.get("name", "")), str(item.get("plugin-class", "")))


def _filesystem(section: str, item: Any) -> Iterator[ProviderItem]:
    """Read a filesystem module's URI schemes, which ``ObjectStoragePath`` (and so the archive) can use."""
    module = str(item)
    schemes = filesystem_schemes(module)
    for scheme in schemes or (_last_part(module),):
        yield ProviderItem(section, scheme, module, "" if schemes else "schemes not readable from its source")


def _text(section: str, item: Any) -> Iterator[ProviderItem]:
    """Read an item of a section this module does not know: as its text."""
    yield ProviderItem(section, str(item))


#: How each known section's items read.
READERS: Mapping[str, Reader] = {
    "integrations": _integration,
    "operators": _modules,
    "sensors": _modules,
    "hooks": _modules,
    "triggers": _modules,
    "bundles": _modules,
    "transfers": _transfer,
    "connection-types": _connection_type,
    "task-decorators": _decorator,
    "extra-links": _dotted,
    "notifications": _dotted,
    "executors": _dotted,
    "secrets-backends": _dotted,
    "logging": _dotted,
    "auth-managers": _dotted,
    "queues": _dotted,
    "email-backends": _dotted,
    "cli": _dotted,
    "filesystems": _filesystem,
    "asset-uris": _asset_uri,
    "dataset-uris": _asset_uri,
    "remote-logging": _remote_logging,
    "dialects": _dialect,
    "plugins": _plugin,
}


def list_sections(info: Mapping[str, Any]) -> list[str]:
    """Return the list-valued sections of a provider's metadata, but its versions."""
    return [name for name, value in info.items() if isinstance(value, list) and name not in SKIPPED_SECTIONS]


def unknown_sections(info: Mapping[str, Any]) -> list[str]:
    """Return the list-valued sections that :data:`READERS` does not know."""
    return [name for name in list_sections(info) if name not in READERS]


def provider_items(info: Mapping[str, Any]) -> tuple[ProviderItem, ...]:
    """Return every item of every list-valued section of ``info``, in the metadata's order.

    :param info: what ``get_provider_info()`` returned.
    """
    items: list[ProviderItem] = []
    for section in list_sections(info):
        reader = READERS.get(section, _text)
        for item in info[section]:
            try:
                items.extend(reader(section, item))
            except AttributeError:  # an item of another shape than the schema says: shown as text
                items.extend(_text(section, item))
    return tuple(items)


def filesystem_schemes(module: str) -> tuple[str, ...]:
    """Read a filesystem module's ``schemes = [...]`` from its source, without importing it.

    Airflow's ``ObjectStoragePath`` looks the scheme up in this module-level list; importing the
    module would pull in its client library (s3fs, gcsfs, ...), which is not needed to name it.

    :returns: the schemes, or nothing when the source or the assignment cannot be read.
    """
    path = module_file(module)
    if path is None or path.suffix != ".py":
        return ()
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return ()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "schemes" for target in node.targets
        ):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return ()
            return tuple(str(scheme) for scheme in value) if isinstance(value, list | tuple) else ()
    return ()
