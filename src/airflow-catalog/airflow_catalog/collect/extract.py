"""Turn one discovered class into a :class:`~airflow_catalog.model.catalog.CatalogEntry`.

A class whose module imported is read from the class object (its signature, its real
``template_fields``: providers build them with helper calls that only running code resolves) and
from its source for what only the source says (defaults as written, ``self.defer``, deprecation
warnings, the hooks it names). A class whose module failed to import is read from its source alone.
"""

from __future__ import annotations

import ast
import inspect
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from airflow_catalog.collect.class_facts import (
    Declared,
    calls_self_defer,
    deprecation,
    hook_names,
    init_of,
    init_takes_kwargs,
    literal_attributes,
    static_declared,
    strings,
    text_or_none,
)
from airflow_catalog.collect.classify import FoundClass
from airflow_catalog.collect.context import PackageContext
from airflow_catalog.collect.hook_forms import form_from_hook, generic_bases
from airflow_catalog.collect.loading import load_object
from airflow_catalog.collect.parameters import describe, in_parameter_order, passing_chain, runtime_declared
from airflow_catalog.collect.sources import ModuleSource, written_name
from airflow_catalog.model import docstrings
from airflow_catalog.model.catalog import (
    CatalogEntry,
    ConnectionForm,
    ExtraLink,
    HookIdentity,
    Kind,
    SourceLocation,
)
from airflow_catalog.model.names import is_airflow_core

HOOK_ATTRIBUTES = ("conn_type", "conn_name_attr", "default_conn_name", "hook_name")


def extract(found: FoundClass, context: PackageContext) -> CatalogEntry:
    """Describe one class; never raises for odd signatures, annotations or docstrings."""
    if found.obj is not None:
        return _from_object(found, found.obj, context)
    return _from_source(found, context)


def _from_object(found: FoundClass, cls: type, context: PackageContext) -> CatalogEntry:
    docstring = docstrings.clean(cls.__dict__.get("__doc__"))
    template_fields = strings(getattr(cls, "template_fields", ()))
    chain = list(passing_chain(cls))
    declared, accepted_by_airflow = runtime_declared(cls, context)
    nodes = [(klass, context.class_node(klass)) for klass in chain]
    parameters = describe(found.import_path, declared, accepted_by_airflow, docstring, chain, template_fields)
    template_fields = in_parameter_order(template_fields, parameters)
    own_node = found.node
    uses = [] if found.kind is Kind.HOOK else _hooks_used(nodes, context, exclude=found.import_path)
    deferral = _deferral([context.class_node(k) for k in cls.__mro__ if not is_airflow_core(k.__module__)])
    return CatalogEntry(
        **_identity(found, context, docstring),
        parameters=parameters,
        template_fields=template_fields,
        template_ext=strings(getattr(cls, "template_ext", ())),
        ui_color=text_or_none(getattr(cls, "ui_color", None)),
        ui_fgcolor=text_or_none(getattr(cls, "ui_fgcolor", None)),
        deferrable=deferral[0],
        deferrable_known=deferral[1],
        deprecation=deprecation(docstring, own_node, cls.__dict__.get("__deprecated__"), found.source),
        hook=_hook_identity(
            {a: getattr(cls, a, None) for a in HOOK_ATTRIBUTES}, form_from_hook(cls), cls.__mro__[1:]
        )
        if found.kind is Kind.HOOK
        else None,
        uses_hooks=tuple(uses),
        examples=context.examples.examples_for(found.name),
        source=_location(found, context, own_node),
        imported=True,
        extra_links=_extra_links(cls),
    )


def _from_source(found: FoundClass, context: PackageContext) -> CatalogEntry:
    node = found.node
    assert node is not None, "static discovery only yields classes it parsed"
    docstring = docstrings.clean(ast.get_docstring(node, clean=False))
    attributes = literal_attributes(node, found.source)
    template_fields = strings(attributes.get("template_fields", ()))
    declared = list(static_declared(node, found.import_path))
    declared_names = {d.name for d in declared}
    airflow_params: dict[str, Declared] = {}
    if init_takes_kwargs(node) or init_of(node) is None:
        for base in _resolved_bases(node, found.source, include_core=True):
            extra, core = runtime_declared(base, context)
            declared.extend(d for d in extra if d.name not in declared_names)
            declared_names.update(d.name for d in extra)
            airflow_params.update((name, d) for name, d in core.items() if name not in airflow_params)
    parameters = describe(found.import_path, declared, airflow_params, docstring, [], template_fields)
    template_fields = in_parameter_order(template_fields, parameters)
    deferral = _deferral([node, *(context.class_node(base) for base in _resolved_bases(node, found.source))])
    return CatalogEntry(
        **_identity(found, context, docstring),
        parameters=parameters,
        template_fields=template_fields,
        template_ext=strings(attributes.get("template_ext", ())),
        ui_color=text_or_none(attributes.get("ui_color")),
        ui_fgcolor=text_or_none(attributes.get("ui_fgcolor")),
        deferrable=deferral[0],
        deferrable_known=deferral[1],
        deprecation=deprecation(docstring, node, None, found.source),
        hook=_hook_identity(attributes, bases=tuple(_resolved_bases(node, found.source)))
        if found.kind is Kind.HOOK
        else None,
        uses_hooks=tuple(
            []
            if found.kind is Kind.HOOK
            else _hooks_used([(None, node)], context, found.import_path, found.source)
        ),
        examples=context.examples.examples_for(found.name),
        source=_location(found, context, node),
        imported=False,
    )


def source_files(found: FoundClass) -> set[Path]:
    """Return the files an entry is read from: its module's and those of the bases it inherits from."""
    files = {found.source.path} if found.source.path is not None else set()
    if found.obj is not None:
        bases = [found.obj]
    elif found.node is not None:
        bases = list(_resolved_bases(found.node, found.source))
    else:
        bases = []
    for base in bases:
        for klass in passing_chain(base):
            module = sys.modules.get(klass.__module__)
            file = getattr(module, "__file__", None)
            if file:
                files.add(Path(file))
    return files


def _resolved_bases(node: ast.ClassDef, source: ModuleSource, include_core: bool = False) -> Iterator[type]:
    """Yield the bases of a class read from source that are classes of modules which did import.

    :param include_core: also Airflow's own bases (``BaseOperator``), whose parameters the class accepts.
    """
    for base in node.bases:
        written = written_name(base)
        obj = load_object(source.resolve(written)) if written else None
        if isinstance(obj, type) and (include_core or not is_airflow_core(obj.__module__)):
            yield obj


def _hooks_used(
    nodes: Iterable[tuple[type | None, ast.ClassDef | None]],
    context: PackageContext,
    exclude: str,
    static_source: ModuleSource | None = None,
) -> list[str]:
    """Resolve the ``…Hook`` names a class (and the bases it passes arguments to) mentions."""
    found: list[str] = []
    for klass, node in nodes:
        if node is None:
            continue
        source = static_source or (context.source_of(klass.__module__) if klass is not None else None)
        if source is None:
            continue
        for written in hook_names(node):
            path = _hook_path(written, source)
            if path and path != exclude and path not in found:
                found.append(path)
    return found


def _hook_path(written: str, source: ModuleSource) -> str | None:
    """Return the import path of a hook named in a module, or ``None`` for Airflow's own ``BaseHook``."""
    obj: Any = source.module
    if obj is not None:
        for part in written.split("."):
            obj = getattr(obj, part, None)
        if isinstance(obj, type):
            return None if is_airflow_core(obj.__module__) else f"{obj.__module__}.{obj.__qualname__}"
        if obj is not None:
            return None  # a variable or function whose name ends in Hook, not a class
    path = source.resolve(written)
    if path.startswith(f"{source.name}.") and path.removeprefix(f"{source.name}.") not in source.classes:
        return None  # neither imported at module level nor defined here: a name we cannot place
    return None if is_airflow_core(path) else path


def _hook_identity(
    values: dict[str, Any], form: ConnectionForm | None = None, bases: tuple[type, ...] = ()
) -> HookIdentity:
    return HookIdentity(
        **{name: text_or_none(values.get(name)) for name in HOOK_ATTRIBUTES},
        form=form,
        generic_bases=generic_bases(bases),
    )


def _location(found: FoundClass, context: PackageContext, node: ast.ClassDef | None) -> SourceLocation | None:
    path = found.source.path
    if path is None:
        return None
    try:
        relative = path.resolve().relative_to(context.root.resolve()).as_posix()
    except ValueError:
        relative = path.as_posix()
    line = node.lineno if node is not None else _line_of(found.obj)
    return SourceLocation(module=found.source.name, path=relative, line=line)


def _line_of(obj: type | None) -> int:
    try:
        return inspect.getsourcelines(obj)[1] if obj is not None else 0
    except (OSError, TypeError):
        return 0


def _identity(found: FoundClass, context: PackageContext, docstring: str) -> dict[str, Any]:
    """Return what an entry says of the class itself, whether it was imported or read from source."""
    return {
        "import_path": found.import_path,
        "name": found.name,
        "module": found.source.name,
        "kind": found.kind,
        "package": context.package.import_name,
        "package_version": context.package.version,
        "summary": docstrings.summary(docstring),
        "docstring": docstring,
        "integration": context.integration_of(found.source.name),
    }


def _extra_links(cls: type) -> tuple[ExtraLink, ...]:
    """Return the buttons the Airflow UI shows on a task of ``cls`` (its ``operator_extra_links``)."""
    declared = getattr(cls, "operator_extra_links", ())
    if not isinstance(declared, list | tuple):  # a property, computed per task: not knowable here
        return ()
    links = []
    for link in declared:
        link_type = link if isinstance(link, type) else type(link)
        name = getattr(link, "name", None)
        if isinstance(name, str) and name:
            links.append(ExtraLink(name, f"{link_type.__module__}.{link_type.__qualname__}"))
    return tuple(links)


def _deferral(nodes: list[ast.ClassDef | None]) -> tuple[bool, bool]:
    """Measure whether a class can defer: some class of its own lineage calls ``self.defer(...)``.

    A ``deferrable`` parameter alone is not enough (it may be stored and never acted on); Airflow's
    own classes are left out (``BaseOperator`` defines ``defer``, it does not decide to). When no
    call is found but the source of a class in the lineage could not be read, the answer is unknown.

    :param nodes: the class statements of the class and its non-Airflow bases, ``None`` where unread.
    :returns: the entry's ``deferrable`` and ``deferrable_known`` fields.
    """
    defers = any(calls_self_defer(node) for node in nodes if node is not None)
    return defers, defers or all(node is not None for node in nodes)
