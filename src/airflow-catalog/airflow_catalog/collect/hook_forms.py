"""Read a connection type's form: from the provider metadata, else from the hook's classmethods.

A connection type's form comes from where Airflow 3 reads it, in Airflow's order: the provider
metadata (``conn-fields`` and ``ui-field-behaviour`` of an item of ``get_provider_info()``'s
``connection-types``), else the hook's own ``get_ui_field_behaviour()`` and
``get_connection_form_widgets()`` classmethods (only those the hook class itself defines, as
``ProvidersManager._import_hook`` does). What Airflow would ignore is kept as a problem with its fix,
so the page says why a form shows less than its author meant.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
import types
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from airflow_catalog.model.catalog import (
    ConnectionForm,
    ExtraField,
    StandardField,
)
from airflow_catalog.model.names import STANDARD_FIELDS, is_airflow_core

#: The JSON types an extra field can hold (a ``conn-fields`` schema's ``type``, ``null`` aside).
FIELD_TYPES = ("string", "integer", "number", "boolean")


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

    found: dict[str, None] = {}
    for base in bases:
        for klass in inspect.getmro(base):
            if (
                isinstance(klass, type)
                and issubclass(klass, BaseHook)
                and not is_airflow_core(klass.__module__)
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
