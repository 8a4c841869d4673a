"""Connection types: the form each one declares, the classes that take one, and the builder's data.

A connection type's form comes from where Airflow 3 reads it, in Airflow's order: the provider
metadata (``conn-fields`` and ``ui-field-behaviour`` of an item of ``get_provider_info()``'s
``connection-types``), else the hook's own ``get_ui_field_behaviour()`` and
``get_connection_form_widgets()`` classmethods (only those the hook class itself defines, as
``ProvidersManager._import_hook`` does). What Airflow would ignore is kept as a problem with its fix,
so the page says why a form shows less than its author meant.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import sys
import types
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_catalog.model.catalog import (
    CatalogEntry,
    ConnectionForm,
    ExtraField,
    Kind,
    Parameter,
    StandardField,
)

if TYPE_CHECKING:
    from airflow_catalog.pages.render import CatalogIndex

#: Airflow's own connection fields, in the order its form shows them.
STANDARD_FIELDS = ("description", "host", "schema", "login", "password", "port", "extra")
#: The JSON types an extra field can hold (a ``conn-fields`` schema's ``type``, ``null`` aside).
FIELD_TYPES = ("string", "integer", "number", "boolean")
#: Kinds whose constructor parameters a DAG author fills in with a connection id.
USER_KINDS = frozenset({Kind.OPERATOR, Kind.SENSOR, Kind.TRANSFER, Kind.NOTIFIER, Kind.TRIGGER})


def form_from_provider_info(item: Mapping[str, Any]) -> ConnectionForm | None:
    """Read the form of one ``connection-types`` item of a provider's metadata.

    :param item: e.g. ``{"connection-type": "http", "conn-fields": {...}, "ui-field-behaviour": {...}}``.
    :returns: the form, or ``None`` when the item declares neither ``conn-fields`` nor
        ``ui-field-behaviour`` (Airflow then asks the hook).
    """
    fields = item.get("conn-fields") or {}
    behaviour = item.get("ui-field-behaviour") or {}
    if not fields and not behaviour:
        return None
    problems: list[str] = []
    extra = []
    if isinstance(fields, Mapping):
        extra = [_conn_field(str(name), definition) for name, definition in fields.items()]
    else:
        problems.append("conn-fields is not a mapping of field name to definition: Airflow ignores it")
    # Airflow renames the provider.yaml spelling before it validates (``_add_customized_fields``).
    customised = {
        "hidden_fields": behaviour.get("hidden-fields", []),
        "relabeling": behaviour.get("relabeling", {}),
        "placeholders": behaviour.get("placeholders", {}),
    }
    standard, extra, behaviour_problems = _apply_behaviour(customised, extra, "ui-field-behaviour")
    return ConnectionForm(
        standard_fields=standard,
        extra_fields=tuple(extra),
        source="provider-info",
        problems=(*problems, *behaviour_problems),
    )


def form_from_hook(hook: type) -> ConnectionForm | None:
    """Read the form a hook class declares with its own classmethods.

    Only methods defined by the class itself count, as in Airflow: a subclass inherits its parent's
    form under the parent's connection type, not under its own.

    :param hook: the hook class.
    :returns: the form, or ``None`` when the class defines neither method.
    """
    defines_behaviour = "get_ui_field_behaviour" in hook.__dict__
    defines_widgets = "get_connection_form_widgets" in hook.__dict__
    if not defines_behaviour and not defines_widgets:
        return None
    name = hook.__name__
    problems: list[str] = []
    extra: list[ExtraField] = []
    if defines_widgets:
        widgets, problem = _call(hook, "get_connection_form_widgets")
        if problem:
            problems.append(problem)
        elif isinstance(widgets, Mapping):
            extra = [_widget_field(str(key), widget) for key, widget in widgets.items()]
    standard: tuple[StandardField, ...] = ()
    if defines_behaviour:
        behaviour, problem = _call(hook, "get_ui_field_behaviour")
        if problem:
            problems.append(problem)
        elif isinstance(behaviour, Mapping):
            standard, extra, behaviour_problems = _apply_behaviour(
                behaviour, extra, f"{name}.get_ui_field_behaviour()"
            )
            problems.extend(behaviour_problems)
    return ConnectionForm(
        standard_fields=standard, extra_fields=tuple(extra), source="hook", problems=tuple(problems)
    )


def generic_bases(bases: Iterable[type]) -> tuple[str, ...]:
    """Return the hooks among ``bases`` and their ancestors that have no connection type of their own.

    Such a hook (common.sql's ``DbApiHook``) stands for every hook derived from it: an operator that
    builds one from a connection id (``connection.get_hook()``) takes a connection of any type whose
    hook derives from it. Airflow's own ``BaseHook`` and classes that are not hooks are left out.

    :param bases: a hook's bases (``cls.__mro__[1:]``, or those a class read from source names).
    :returns: their import paths, nearest first.
    """
    from airflow.sdk import BaseHook

    from airflow_catalog.collect.discover import is_airflow_core  # discover imports this module

    found: dict[str, None] = {}
    for base in bases:
        for klass in inspect.getmro(base):
            if (
                isinstance(klass, type)
                and issubclass(klass, BaseHook)
                and not is_airflow_core(klass)
                and not getattr(klass, "conn_type", None)
            ):
                found.setdefault(f"{klass.__module__}.{klass.__qualname__}", None)
    return tuple(found)


def _call(hook: type, method: str) -> tuple[Any, str]:
    try:
        with warnings.catch_warnings(), form_libraries():
            warnings.simplefilter("ignore")
            return getattr(hook, method)(), ""
    except ImportError as error:
        return None, (
            f"{hook.__name__}.{method}() needs {error.name or 'a module'}, which is not installed, so "
            "its fields are not shown here; declare them as conn-fields in the provider metadata"
        )
    except Exception as error:
        return None, f"{hook.__name__}.{method}() raised {type(error).__name__}: {error}"


#: The modules a hook's ``get_connection_form_widgets()`` imports: only Airflow's web UI installs them.
FORM_MODULES = (
    "wtforms",
    "wtforms.fields",
    "wtforms.fields.simple",
    "wtforms.validators",
    "flask_babel",
    "flask_appbuilder",
    "flask_appbuilder.fieldwidgets",
)


class _StandInField:
    """A form field that only remembers how it was built, in the shape of WTForms' ``UnboundField``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args
        self.kwargs = kwargs
        self.field_class = type(self)


class _AnyOf:
    """WTForms' ``AnyOf`` validator: the values a field may take."""

    def __init__(self, values: Any, *args: Any, **kwargs: Any) -> None:
        self.values = list(values)


class _Anything:
    """Any other widget or validator: built and ignored."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass


class _StandInModule(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Anything


def _stand_in(name: str) -> types.ModuleType:
    module = _StandInModule(name)
    fields = {
        field: type(field, (_StandInField,), {})
        for field in ("StringField", "IntegerField", "PasswordField", "BooleanField", "TextAreaField")
    }
    module.__dict__.update(fields)
    module.__dict__.update({"AnyOf": _AnyOf, "any_of": _AnyOf, "lazy_gettext": str, "gettext": str})
    module.__path__ = []  # a package, so that ``wtforms.validators`` can be imported from it
    return module


@contextmanager
def form_libraries() -> Iterator[None]:
    """Stand in for WTForms, Flask-Babel and Flask-AppBuilder while a hook builds its form widgets.

    Airflow's own API does the same to list the widgets without its old web UI installed
    (``HookMetaService._get_hooks_with_mocked_fab``); that one patches the process-wide providers
    manager and leaves its mocks in ``sys.modules``, so this scoped copy is written by hand. Real
    modules are used when they are installed; the stand-ins are removed on the way out.
    """
    added = []
    for name in FORM_MODULES:
        if name in sys.modules:
            continue
        try:
            installed = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            installed = False
        if not installed:
            sys.modules[name] = _stand_in(name)
            added.append(name)
    try:
        yield
    finally:
        for name in added:
            sys.modules.pop(name, None)


def _apply_behaviour(
    behaviour: Mapping[str, Any], extra: list[ExtraField], where: str
) -> tuple[tuple[StandardField, ...], list[ExtraField], list[str]]:
    """Validate a field-behaviour mapping as Airflow does; turn it into standard-field settings.

    :returns: the customised standard fields, the extra fields with their placeholders, the problems.
    """
    from airflow.providers_manager import _create_customized_form_field_behaviours_schema_validator

    errors = sorted(
        _create_customized_form_field_behaviours_schema_validator().iter_errors(dict(behaviour)), key=str
    )
    if errors:
        spelled = [key for key in behaviour if key in ("hidden-fields",)]
        hint = (
            f" (it spells {spelled[0]!r}: a hook method says hidden_fields, provider metadata hidden-fields)"
            if spelled
            else ""
        )
        return (
            (),
            extra,
            [f"{where} is not valid, so Airflow ignores all of it: {errors[0].message}{hint}"],
        )
    hidden = {str(name) for name in behaviour.get("hidden_fields", [])}
    labels = {str(k): str(v) for k, v in (behaviour.get("relabeling") or {}).items()}
    placeholders = {_unprefixed(str(k)): str(v) for k, v in (behaviour.get("placeholders") or {}).items()}
    standard = tuple(
        StandardField(
            name=field, hidden=field in hidden, label=labels.get(field), placeholder=placeholders.get(field)
        )
        for field in STANDARD_FIELDS
        if field in hidden or field in labels or field in placeholders
    )
    with_placeholders = [
        ExtraField(**{**_fields_of(f), "placeholder": placeholders[f.name]}) if f.name in placeholders else f
        for f in extra
    ]
    return standard, with_placeholders, []


def _fields_of(field: ExtraField) -> dict[str, Any]:
    return {name: getattr(field, name) for name in ExtraField.__dataclass_fields__}


def _unprefixed(name: str) -> str:
    # Airflow 2 named extra fields ``extra__<conn_type>__<name>``; Airflow 3 stores them as ``<name>``.
    if name.startswith("extra__") and name.count("__") >= 2:
        return name.split("__", 2)[2]
    return name


def _conn_field(name: str, definition: Any) -> ExtraField:
    """One ``conn-fields`` entry: ``{"label": ..., "description": ..., "schema": {"type": [...], ...}}``."""
    definition = definition if isinstance(definition, Mapping) else {}
    schema = definition.get("schema") or {}
    types = schema.get("type", "string")
    types = [types] if isinstance(types, str) else list(types)
    kind = next((t for t in types if t in FIELD_TYPES), "string")
    default = schema.get("default")
    return ExtraField(
        name=name,
        label=str(definition.get("label") or name),
        type=kind,
        description=str(definition.get("description") or ""),
        default=default if isinstance(default, str | int | float | bool) else None,
        choices=tuple(str(choice) for choice in schema.get("enum", []) or [] if choice is not None),
        sensitive=schema.get("format") == "password",
    )


def _widget_field(name: str, widget: Any) -> ExtraField:
    """One WTForms field of ``get_connection_form_widgets()`` (an unbound field: class, args, kwargs)."""
    field_class = getattr(getattr(widget, "field_class", None), "__name__", "")
    args = getattr(widget, "args", ()) or ()
    kwargs = getattr(widget, "kwargs", {}) or {}
    label = args[0] if args else kwargs.get("label", name)
    kind = {"BooleanField": "boolean", "IntegerField": "integer"}.get(field_class, "string")
    default = kwargs.get("default")
    choices: tuple[str, ...] = ()
    for validator in kwargs.get("validators", []) or []:
        if type(validator).__name__.endswith("AnyOf"):  # WTForms' own, or our stand-in
            choices = tuple(str(value) for value in getattr(validator, "values", []))
    return ExtraField(
        name=_unprefixed(name),
        label=str(label),
        type=kind,
        description=str(kwargs.get("description") or ""),
        default=default if isinstance(default, str | int | float | bool) else None,
        choices=choices,
        sensitive=field_class == "PasswordField",
    )


def effective_form(conn_type: str, index: CatalogIndex) -> ConnectionForm:
    """Return the form Airflow shows for ``conn_type``: the provider metadata's, else the hook's.

    :param conn_type: e.g. ``http``.
    :param index: the catalog's look-ups.
    :returns: the form; an empty one when nobody declares any.
    """
    for package in index.catalog.packages:
        for connection in package.connection_types:
            if connection.conn_type == conn_type:
                if connection.form is not None:
                    return connection.form
                hook = index.by_path.get(connection.hook_class)
                if hook is not None and hook.hook is not None and hook.hook.form is not None:
                    return hook.hook.form
    for hook in implementing_hooks(conn_type, index):
        if hook.hook is not None and hook.hook.form is not None:
            return hook.hook.form
    return ConnectionForm()


def implementing_hooks(conn_type: str, index: CatalogIndex) -> list[CatalogEntry]:
    """Every catalogued hook whose ``conn_type`` is ``conn_type``, by name."""
    return sorted(
        (hook for hook in index.hooks.values() if hook.hook is not None and hook.hook.conn_type == conn_type),
        key=lambda entry: (entry.name, entry.import_path),
    )


@dataclass(frozen=True)
class ConnectionUse:
    """A constructor parameter that takes a connection id of some type.

    :param entry: the class whose constructor has it.
    :param parameter: the parameter.
    :param default: the connection id it defaults to, ``None`` when it has no default or one not known
        before the task runs.
    :param hook: import path of the hook that reads the connection.
    """

    entry: CatalogEntry
    parameter: Parameter
    default: str | None
    hook: str


def connection_uses(conn_type: str, index: CatalogIndex) -> list[ConnectionUse]:
    """Every parameter of an operator, sensor, transfer, trigger or notifier that takes a ``conn_type`` id.

    A parameter takes one when the class uses a hook of that type and the parameter is named as the
    hook names its connection argument (``conn_name_attr``, e.g. ``http_conn_id``); or, when the class
    uses hooks of this one type only, when it is its one parameter named ``…conn_id``.
    """
    hooks = {hook.import_path: hook for hook in implementing_hooks(conn_type, index)}
    uses = []
    for entry in sorted(index.catalog.entries, key=lambda e: (e.name, e.import_path)):
        if entry.kind not in USER_KINDS:
            continue
        used = [hooks[path] for path in entry.uses_hooks if path in hooks]
        if not used:
            continue
        other_types = {
            other.hook.conn_type
            for path in entry.uses_hooks
            if (other := index.by_path.get(path)) is not None
            and other.hook is not None
            and other.hook.conn_type
        } - {conn_type}
        conn_params = [p for p in entry.parameters if p.name.endswith("conn_id")]
        for parameter in entry.parameters:
            hook = next(
                (h for h in used if h.hook is not None and h.hook.conn_name_attr == parameter.name), None
            )
            if hook is None and not other_types and conn_params == [parameter]:
                hook = used[0]
            if hook is not None:
                uses.append(
                    ConnectionUse(entry, parameter, _default_id(parameter.default, hook), hook.import_path)
                )
    return uses


@dataclass(frozen=True)
class GenericGroup:
    """The classes that take a connection of any type whose hook derives from one generic hook.

    :param base: import path of the hook with no connection type of its own (common.sql's ``DbApiHook``).
    :param entry: its catalog entry, ``None`` when its package is not catalogued.
    :param via: the hooks of this connection type that derive from it.
    :param uses: each parameter that takes such a connection.
    """

    base: str
    entry: CatalogEntry | None
    via: tuple[CatalogEntry, ...]
    uses: tuple[ConnectionUse, ...]

    @property
    def name(self) -> str:
        """The generic hook's class name."""
        return self.base.rsplit(".", 1)[-1]


def generic_uses(conn_type: str, index: CatalogIndex) -> list[GenericGroup]:
    """Return the parameters taking a connection of any type whose hook derives from one of ``conn_type``.

    common.sql's operators take a ``conn_id`` of any database: they build the hook the connection's
    type names and require it to be a ``DbApiHook``. Such a class uses a hook with no connection type
    of its own; each of its ``…conn_id`` parameters that no typed hook it uses names
    (``conn_name_attr``) takes a connection of any type whose hook derives from that generic hook.

    :param conn_type: e.g. ``postgres``.
    :param index: the catalog's look-ups.
    :returns: one group per generic hook this type's hooks derive from, nearest first; a group with
        no parameters is left out.
    """
    hooks = _hooks_of_type(conn_type, index)
    bases: dict[str, list[CatalogEntry]] = {}
    for hook in hooks:
        assert hook.hook is not None, "_hooks_of_type returns hooks only"
        for base in hook.hook.generic_bases:
            bases.setdefault(base, []).append(hook)
    groups = []
    for base, via in bases.items():
        generic = index.by_path.get(base)
        uses = []
        for entry in sorted(index.catalog.entries, key=lambda e: (e.name, e.import_path)):
            if entry.kind not in USER_KINDS or base not in entry.uses_hooks:
                continue
            typed_names = {
                used.hook.conn_name_attr
                for path in entry.uses_hooks
                if (used := index.by_path.get(path)) is not None
                and used.hook is not None
                and used.hook.conn_type
            }
            for parameter in entry.parameters:
                if parameter.name.endswith("conn_id") and parameter.name not in typed_names:
                    uses.append(
                        ConnectionUse(entry, parameter, _default_id(parameter.default, generic), base)
                    )
        if uses:
            groups.append(GenericGroup(base, generic, tuple(via), tuple(uses)))
    return groups


def _hooks_of_type(conn_type: str, index: CatalogIndex) -> list[CatalogEntry]:
    """Return the catalogued hooks of ``conn_type`` and the hook a provider declares for it, by name."""
    hooks = {hook.import_path: hook for hook in implementing_hooks(conn_type, index)}
    for package in index.catalog.packages:
        for connection in package.connection_types:
            declared = index.by_path.get(connection.hook_class)
            if connection.conn_type == conn_type and declared is not None and declared.hook is not None:
                hooks.setdefault(declared.import_path, declared)
    return sorted(hooks.values(), key=lambda entry: (entry.name, entry.import_path))


def _default_id(default: str | None, hook: CatalogEntry | None) -> str | None:
    """Turn a default as written into a connection id.

    Extraction writes an expression with its value (``HttpHook.default_conn_name = 'http_default'``),
    a literal as it is (``'http_default'``), or the expression alone when its value is unknown.
    """
    if default is None:
        return None
    try:
        value = ast.literal_eval(default.rsplit(" = ", 1)[-1])
    except (ValueError, SyntaxError):
        value = None
    if isinstance(value, str):
        return value
    if default.endswith("default_conn_name") and hook is not None and hook.hook is not None:
        return hook.hook.default_conn_name
    return None


def scheme(conn_type: str) -> str:
    """Return the URI scheme of a connection type as ``Connection.get_uri`` writes it (``_`` → ``-``)."""
    return conn_type.lower().replace("_", "-")


def builder_data(conn_type: str, index: CatalogIndex) -> dict[str, Any]:
    """Return the data the connection builder's script reads: plain JSON, shown as text by the page.

    :param conn_type: e.g. ``http``.
    :param index: the catalog's look-ups.
    :returns: the type, its URI scheme, a default connection id, each standard field (shown or
        hidden, label, placeholder), the extra fields and the form's problems.
    """
    form = effective_form(conn_type, index)
    hooks = implementing_hooks(conn_type, index)
    default_id = next(
        (
            hook.hook.default_conn_name
            for hook in hooks
            if hook.hook is not None and hook.hook.default_conn_name
        ),
        f"my_{conn_type}",
    )
    customised = {field.name: field for field in form.standard_fields}
    standard = []
    for name in STANDARD_FIELDS:
        if name == "description":
            continue  # not part of a URI, and the JSON form carries what the others do
        field = customised.get(name, StandardField(name))
        standard.append(
            {
                "name": name,
                "label": field.label or _LABELS[name],
                "hidden": field.hidden,
                "placeholder": field.placeholder or "",
            }
        )
    return {
        "conn_type": conn_type,
        "scheme": scheme(conn_type),
        "conn_id": default_id,
        "standard": standard,
        "extra": [_fields_of(field) | {"choices": list(field.choices)} for field in form.extra_fields],
        "problems": list(form.problems),
    }


_LABELS = {
    "host": "Host",
    "schema": "Schema",
    "login": "Login",
    "password": "Password",
    "port": "Port",
    "extra": "Extra (JSON object)",
}
