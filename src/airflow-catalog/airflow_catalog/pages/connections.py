"""Connection types as a page shows them: the effective form, the classes that take one, the builder's data.

A connection type's form comes from where Airflow 3 reads it, in Airflow's order: the provider
metadata's, else the hook's (both read by :mod:`airflow_catalog.collect.hook_forms`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from airflow_catalog.model.catalog import CatalogEntry, ConnectionForm, ExtraField, Parameter, StandardField
from airflow_catalog.model.index import CatalogIndex
from airflow_catalog.model.names import STANDARD_FIELDS, USER_KINDS


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


def _fields_of(field: ExtraField) -> dict[str, Any]:
    return {name: getattr(field, name) for name in ExtraField.__dataclass_fields__}
