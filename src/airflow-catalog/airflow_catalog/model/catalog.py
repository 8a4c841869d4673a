"""The catalog's data model: frozen dataclasses and their JSON form, ``catalog.json``.

Every other module of the package speaks in these types; this one imports nothing of the package.
Bump :data:`SCHEMA_VERSION` on any change that an older reader of ``catalog.json`` would misread,
and keep ``catalog.schema.json`` beside this module in step.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

SCHEMA_VERSION = 1


class Kind(StrEnum):
    """What a catalogued class is, in the words DAG authors use."""

    OPERATOR = "operator"
    SENSOR = "sensor"
    TRANSFER = "transfer"
    HOOK = "hook"
    TRIGGER = "trigger"
    NOTIFIER = "notifier"


class Severity(StrEnum):
    """How much a conventions finding matters for the package it was found in."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Parameter:
    """One constructor parameter of a catalogued class.

    :param name: the keyword a DAG author passes.
    :param type: the annotation as text, or ``None`` when the parameter has none.
    :param default: ``repr()`` of the default value, or ``None`` when the parameter is required.
    :param required: whether a caller must pass it.
    :param templated: whether it is rendered with Jinja (it is in the class's ``template_fields``).
    :param description: the text of its ``:param:`` field, empty when undocumented.
    :param origin: import path of the class whose ``__init__`` declares it; the class itself for its own.
    :param positional: whether it can be passed by position (not keyword-only).
    :param documented_only: whether only the docstring names it: no ``__init__`` up the chain declares it.
    """

    name: str
    type: str | None = None
    default: str | None = None
    required: bool = False
    templated: bool = False
    description: str = ""
    origin: str = ""
    positional: bool = False
    documented_only: bool = False


@dataclass(frozen=True)
class Deprecation:
    """A deprecation notice and, where known, what replaces the class."""

    message: str
    replacement: str | None = None


@dataclass(frozen=True)
class HookIdentity:
    """How a hook names its connection (the four class attributes Airflow reads).

    :param form: the connection form its own ``get_ui_field_behaviour()`` and
        ``get_connection_form_widgets()`` declare (used when the provider metadata declares none).
    :param generic_bases: import paths of the hooks it derives from that have no connection type of
        their own, nearest first (common.sql's ``DbApiHook``): a class that takes a connection for one
        of those takes this hook's connections too.
    """

    conn_type: str | None = None
    conn_name_attr: str | None = None
    default_conn_name: str | None = None
    hook_name: str | None = None
    form: ConnectionForm | None = None
    generic_bases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Example:
    """A snippet of an example DAG that uses the class.

    :param file: path of the example DAG file, relative to its package's folder.
    :param start_line: first line of the snippet in that file (1-based).
    :param code: the snippet itself.
    :param dag_id: the DAG it belongs to, when known.
    """

    file: str
    start_line: int
    code: str
    dag_id: str | None = None


@dataclass(frozen=True)
class ExtraLink:
    """A button the Airflow UI shows on the operator's task (an operator extra link).

    :param name: what the button says.
    :param link_class: import path of the ``BaseOperatorLink`` subclass that makes its URL.
    """

    name: str
    link_class: str


@dataclass(frozen=True)
class SourceLocation:
    """Where a class is defined.

    :param module: the dotted module name.
    :param path: file path relative to the distribution's root folder (``site-packages`` or ``src``).
    :param line: first line of the class statement (1-based), 0 when unknown.
    """

    module: str
    path: str
    line: int = 0


@dataclass(frozen=True)
class CatalogEntry:
    """Everything the catalog knows about one public class.

    :param package: the configured import name of the package it belongs to (a ``PackageInfo.import_name``).
    :param imported: ``False`` when the module failed to import and the entry was read from its source.
    :param extra_links: the buttons the Airflow UI shows on the task (``operator_extra_links``).
    :param deferrable: whether its lineage calls ``self.defer(...)``: measured, not read off a parameter.
    :param deferrable_known: ``False`` when no such call was found but some of its lineage's source
        could not be read.
    """

    import_path: str
    name: str
    module: str
    kind: Kind
    package: str
    package_version: str
    summary: str = ""
    docstring: str = ""
    integration: str | None = None
    parameters: tuple[Parameter, ...] = ()
    template_fields: tuple[str, ...] = ()
    template_ext: tuple[str, ...] = ()
    ui_color: str | None = None
    ui_fgcolor: str | None = None
    deferrable: bool = False
    deprecation: Deprecation | None = None
    hook: HookIdentity | None = None
    uses_hooks: tuple[str, ...] = ()
    examples: tuple[Example, ...] = ()
    source: SourceLocation | None = None
    imported: bool = True
    extra_links: tuple[ExtraLink, ...] = ()
    deferrable_known: bool = True


@dataclass(frozen=True)
class StandardField:
    """How a connection form shows one of Airflow's own fields (``ui-field-behaviour``).

    :param name: ``host``, ``schema``, ``login``, ``password``, ``port``, ``extra`` or ``description``.
    :param hidden: whether the form leaves it out.
    :param label: the label that replaces the field's name, if any.
    :param placeholder: the example text shown in the empty field, if any.
    """

    name: str
    hidden: bool = False
    label: str | None = None
    placeholder: str | None = None


@dataclass(frozen=True)
class ExtraField:
    """A field a connection type adds to its form, stored under its name in the connection's extra.

    :param name: the key in the extra JSON object.
    :param label: what the form calls it.
    :param type: its JSON type: ``string``, ``integer``, ``number`` or ``boolean``.
    :param description: the help text, empty when none.
    :param default: its default value, ``None`` when it has none.
    :param choices: the values it may take, empty when any.
    :param sensitive: whether it holds a secret (a password field).
    :param placeholder: the example text shown in the empty field, if any.
    """

    name: str
    label: str = ""
    type: str = "string"
    description: str = ""
    default: str | int | float | bool | None = None
    choices: tuple[str, ...] = ()
    sensitive: bool = False
    placeholder: str | None = None


@dataclass(frozen=True)
class ConnectionForm:
    """A connection type's form: how the standard fields show and which extra fields it adds.

    :param standard_fields: the standard fields it hides, relabels or gives a placeholder.
    :param extra_fields: the fields it adds to the extra JSON object.
    :param source: where it was read: ``provider-info`` (``conn-fields``/``ui-field-behaviour``) or
        ``hook`` (the hook's ``get_ui_field_behaviour()``/``get_connection_form_widgets()``).
    :param problems: declarations Airflow ignores or cannot read, each with the fix.
    """

    standard_fields: tuple[StandardField, ...] = ()
    extra_fields: tuple[ExtraField, ...] = ()
    source: str = ""
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConnectionType:
    """A connection type a provider declares, and the hook that implements it.

    :param form: the form its provider metadata declares, ``None`` when the metadata declares none.
    """

    conn_type: str
    hook_class: str
    hook_name: str | None = None
    form: ConnectionForm | None = None


@dataclass(frozen=True)
class ProviderItem:
    """One item of a list-valued section of a provider's metadata (``get_provider_info()``).

    :param section: the section, as the metadata names it (``task-decorators``, ``executors``, ...).
    :param name: what a user knows the item by: a decorator's ``@task.<name>``, a URI scheme, a
        dialect's type, an integration's name, or the last part of a class's path.
    :param target: the dotted path of the class, function or module the item points at, if any.
    :param detail: what else the metadata says of it (a module's integration, a transfer's systems).
    """

    section: str
    name: str
    target: str = ""
    detail: str = ""


@dataclass(frozen=True)
class PackageInfo:
    """One catalogued package and its provider metadata (from ``get_provider_info()``).

    :param import_name: the configured import name, e.g. ``airflow.providers.http``.
    :param distribution: the installed distribution, e.g. ``apache-airflow-providers-http``.
    :param is_own: whether it is one of our packages (findings are errors) or upstream (informational).
    :param provider_items: every item of every list-valued section of its provider metadata.
    """

    import_name: str
    distribution: str
    version: str
    name: str = ""
    description: str = ""
    integrations: tuple[str, ...] = ()
    connection_types: tuple[ConnectionType, ...] = ()
    is_own: bool = False
    provider_items: tuple[ProviderItem, ...] = ()


@dataclass(frozen=True)
class ImportProblem:
    """A module that could not be imported, with the error and the likely fix.

    :param path: the module's file relative to its distribution's root folder, when known.
    :param line: the line the error points at (a syntax error's), 0 when unknown.
    """

    module: str
    error: str
    hint: str
    path: str = ""
    line: int = 0


@dataclass(frozen=True)
class Finding:
    """One conventions finding: which rule, on which class, what is wrong and what to change."""

    rule: str
    severity: Severity
    import_path: str
    message: str
    fix: str


@dataclass(frozen=True)
class Catalog:
    """The whole model: what ``catalog.json`` holds."""

    packages: tuple[PackageInfo, ...] = ()
    entries: tuple[CatalogEntry, ...] = ()
    import_problems: tuple[ImportProblem, ...] = ()
    findings: tuple[Finding, ...] = ()
    schema_version: int = SCHEMA_VERSION

    def to_json(self) -> dict[str, Any]:
        """Return the JSON-ready form, ordered for stable diffs."""
        return _to_plain(self)

    def dumps(self) -> str:
        """Serialise to the text of ``catalog.json``: compact, one line (read it with ``jq``).

        Compact because only compact output goes through :mod:`json`'s C encoder: the amazon
        provider's catalog takes 0.06 s to write so and 0.22 s indented, on every rebuild.
        """
        return json.dumps(self.to_json(), separators=(",", ":"), ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Catalog:
        """Rebuild a catalog from :meth:`to_json`'s output.

        :raises ValueError: when ``schema_version`` is not the one this code writes.
        """
        if data.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(
                f"catalog.json has schema_version {data.get('schema_version')!r}, this code reads "
                f"{SCHEMA_VERSION}: rebuild it with the same airflow_catalog version"
            )
        return _from_plain(cls, data)

    @classmethod
    def load(cls, path: Path) -> Catalog:
        """Read a ``catalog.json`` file."""
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


#: Field names of each model class: calling ``dataclasses.fields()`` for every object was most of
#: the cost of serialising a large catalog, which happens once per class page (its digest).
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _to_plain(value: Any) -> Any:
    kind = type(value)
    if kind in _SCALARS:
        return value
    names = _FIELD_NAMES.get(kind)
    if names is None:
        if not dataclasses.is_dataclass(value) or isinstance(value, type):
            if isinstance(value, tuple | list):
                return [_to_plain(item) for item in value]
            if isinstance(value, StrEnum):
                return str(value)
            return value
        names = _FIELD_NAMES.setdefault(kind, tuple(f.name for f in dataclasses.fields(value)))
    return {name: _to_plain(getattr(value, name)) for name in names}


_T = TypeVar("_T")


_Converter = Callable[[Any], Any]
#: Each model class's fields with the function that rebuilds each from its plain form: resolving the
#: hints and taking them apart for every value was most of the cost of loading a large catalog.
_FIELDS: dict[type, tuple[tuple[str, _Converter], ...]] = {}
_CONVERTERS: dict[Any, _Converter] = {}


def _field_converters(cls: type) -> tuple[tuple[str, _Converter], ...]:
    if cls not in _FIELDS:
        hints = typing.get_type_hints(cls)
        _FIELDS[cls] = tuple((f.name, _converter(hints[f.name])) for f in dataclasses.fields(cls))
    return _FIELDS[cls]


def _from_plain(cls: type[_T], data: dict[str, Any]) -> _T:
    kwargs = {name: convert(data[name]) for name, convert in _field_converters(cls) if name in data}
    return cls(**kwargs)


def _converter(hint: Any) -> _Converter:
    if hint not in _CONVERTERS:
        _CONVERTERS[hint] = _make_converter(hint)
    return _CONVERTERS[hint]


def _identity(value: Any) -> Any:
    return value


def _make_converter(hint: Any) -> _Converter:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _converter(options[0]) if len(options) == 1 else _identity
    if origin is tuple:
        (item_hint, _ellipsis) = typing.get_args(hint)
        item = _converter(item_hint)
        return lambda value: None if value is None else tuple(item(entry) for entry in value)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return lambda value: None if value is None else _from_plain(hint, value)
    if isinstance(hint, type) and issubclass(hint, StrEnum):
        return lambda value: None if value is None else hint(value)
    return _identity


__all__ = [
    "SCHEMA_VERSION",
    "Catalog",
    "CatalogEntry",
    "ConnectionForm",
    "ConnectionType",
    "Deprecation",
    "Example",
    "ExtraField",
    "Finding",
    "HookIdentity",
    "ImportProblem",
    "Kind",
    "PackageInfo",
    "Parameter",
    "Severity",
    "SourceLocation",
    "StandardField",
]
