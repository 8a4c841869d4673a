"""A class's constructor parameters: declared by it and the bases it passes ``**kwargs`` to, described.

Read from the live class (:func:`inspect.signature`), with defaults as the source writes them and
descriptions from the ``:param:`` fields of the class and its bases.
"""

from __future__ import annotations

import ast
import functools
import inspect
import re
from collections.abc import Iterator
from typing import Any

from airflow_catalog.collect.class_facts import Declared, init_takes_kwargs, static_declared, written_defaults
from airflow_catalog.collect.context import PackageContext
from airflow_catalog.collect.loading import load_object
from airflow_catalog.model import docstrings
from airflow_catalog.model.catalog import Parameter
from airflow_catalog.model.names import is_airflow_core

_VARIADIC = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


_MAX_DEFAULT = 200


def passing_chain(cls: type) -> Iterator[type]:
    """Yield the classes whose ``__init__`` parameters ``cls`` accepts, up to Airflow's own bases.

    The walk follows the MRO while each ``__init__`` passes ``**kwargs`` on, so a parameter of a
    provider's base class (``aws_conn_id`` of ``AwsBaseOperator``) appears on the class a DAG author
    uses; it skips Airflow's own classes, whose arguments (``task_id``, ``retries``…) every task
    shares, including the mixins Airflow slips in between (``ResumableJobMixin`` before
    ``AwsBaseOperator`` in ``GlueJobOperator``'s MRO).
    """
    for klass in cls.__mro__:
        if is_airflow_core(klass.__module__):
            continue
        yield klass
        init = klass.__dict__.get("__init__")
        if init is not None:
            signature = _signature(init)
            if signature is not None and not any(
                p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values()
            ):
                return


def runtime_declared(cls: type, context: PackageContext) -> tuple[list[Declared], dict[str, Declared]]:
    """Return the parameters ``cls`` accepts: own first, then inherited in MRO order.

    Airflow's own bases count too (``task_id``, ``retries``… of ``BaseOperator``, ``poke_interval``
    of ``BaseSensorOperator``): a DAG author passes them to the class, and their origin lets the page
    fold them and the conventions leave them alone. The second value holds those of Airflow's.
    """
    declared: dict[str, Declared] = {}
    airflow_params: dict[str, Declared] = {}
    for klass in cls.__mro__:
        if "__init__" not in klass.__dict__:
            continue
        own, passes_on = _init_parameters(klass, context)
        for parameter in own:
            if parameter.name not in declared:
                declared[parameter.name] = parameter
                if is_airflow_core(klass.__module__):
                    airflow_params[parameter.name] = parameter
        if not passes_on:
            break
    return list(declared.values()), airflow_params


def _init_parameters(klass: type, context: PackageContext) -> tuple[tuple[Declared, ...], bool]:
    """Return the parameters one class's own ``__init__`` declares, and whether it takes ``**kwargs``.

    Cached per class: a provider's base class (``AwsBaseOperator``) is met once per subclass.
    """
    cached = context.init_cache.get(klass)
    if cached is not None:
        return cached
    origin = f"{klass.__module__}.{klass.__qualname__}"
    signature = _signature(klass.__dict__["__init__"])
    core = is_airflow_core(klass.__module__)
    node = None if core else context.class_node(klass)
    if signature is None:
        static = tuple(static_declared(node, origin)) if node is not None else ()
        result = (static, node is not None and init_takes_kwargs(node))
    else:
        written = {} if core else written_defaults(node)
        values = list(signature.parameters.values())[1:]
        result = (
            tuple(_declared(p, origin, written) for p in values if p.kind not in _VARIADIC),
            any(p.kind is inspect.Parameter.VAR_KEYWORD for p in values),
        )
    context.init_cache[klass] = result
    return result


def describe(
    import_path: str,
    declared: list[Declared],
    accepted_by_airflow: dict[str, Declared],
    docstring: str,
    chain: list[type],
    template_fields: tuple[str, ...],
) -> tuple[Parameter, ...]:
    """Attach descriptions to declared parameters; add parameters the docstring alone documents."""
    own = docstrings.param_descriptions(docstring)
    by_class = {f"{klass.__module__}.{klass.__qualname__}": _class_descriptions(klass) for klass in chain}
    # Airflow's bases describe their own parameters; looked up only for those, never as a fallback
    # for a provider's parameter of the same name.
    core = {origin: _core_descriptions(origin) for origin in {p.origin for p in accepted_by_airflow.values()}}
    templated = set(template_fields)
    documented_types = docstrings.param_types(docstring)

    def description(name: str, origin: str) -> str:
        for described in (by_class.get(origin, {}), own, *by_class.values(), core.get(origin, {})):
            if described.get(name):
                return described[name]
        return ""

    parameters = [
        Parameter(
            name=d.name,
            type=d.type or documented_types.get(d.name),
            default=d.default,
            required=d.required,
            templated=d.name in templated,
            description=description(d.name, d.origin),
            origin=d.origin,
            positional=d.positional,
        )
        for d in declared
    ]
    names = {d.name for d in declared}
    for name, text in own.items():
        if name in names:
            continue
        base = accepted_by_airflow.get(name)
        parameters.append(
            Parameter(
                name=name,
                type=base.type if base else documented_types.get(name),
                default=base.default if base else None,
                required=False,
                templated=name in templated,
                description=text,
                origin=base.origin if base else import_path,
                documented_only=base is None,
            )
        )
    return tuple(parameters)


@functools.cache
def _class_descriptions(klass: type) -> dict[str, str]:
    """Return the ``:param:`` descriptions of a class's docstring; a base shared by many is parsed once."""
    return docstrings.param_descriptions(docstrings.clean(klass.__dict__.get("__doc__")))


def _core_descriptions(origin: str) -> dict[str, str]:
    klass = load_object(origin)
    return _class_descriptions(klass) if isinstance(klass, type) else {}


def _declared(parameter: inspect.Parameter, origin: str, written: dict[str, str]) -> Declared:
    required = parameter.default is inspect.Parameter.empty
    default = None if required else _default_text(written.get(parameter.name), parameter.default)
    return Declared(
        name=parameter.name,
        type=_annotation_text(parameter.annotation),
        default=default,
        required=required,
        positional=parameter.kind in _POSITIONAL,
        origin=origin,
    )


def _default_text(written: str | None, value: Any) -> str:
    """Return the default as the source writes it, with its value when the source writes an expression.

    ``HttpHook.default_conn_name`` says where the default comes from, ``'http_default'`` what a DAG
    author gets: the page shows ``HttpHook.default_conn_name = 'http_default'``.
    """
    shown = _safe_repr(value)
    if written is None or written == shown:
        return shown
    try:
        ast.literal_eval(written)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return f"{written} = {shown}"
    return written


def _signature(function: Any) -> inspect.Signature | None:
    """``inspect.signature`` without evaluating annotations; ``None`` for a callable it cannot read."""
    try:
        return inspect.signature(function)
    except (TypeError, ValueError):
        return None


def _annotation_text(annotation: Any) -> str | None:
    if annotation is inspect.Parameter.empty:
        return None
    if isinstance(annotation, str):
        text = annotation
        while len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
            text = text[1:-1]
        return text
    try:
        return inspect.formatannotation(annotation)
    except Exception:  # a broken __repr__ in a type must not stop the catalog
        return _safe_repr(annotation)


def _safe_repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    text = _ADDRESS.sub("", text)  # memory addresses change from run to run and would churn pages
    return text if len(text) <= _MAX_DEFAULT else text[: _MAX_DEFAULT - 1] + "…"


def in_parameter_order(fields: tuple[str, ...], parameters: tuple[Parameter, ...]) -> tuple[str, ...]:
    """Order template fields as the parameter table does, then the others by name.

    Providers build some ``template_fields`` from sets (``PythonVirtualenvOperator``), whose order
    changes from one process to the next; a stable order keeps ``catalog.json`` and the pages from
    changing when nothing did, and reads in the same order as the parameters.
    """
    position = {parameter.name: index for index, parameter in enumerate(parameters)}
    return tuple(sorted(dict.fromkeys(fields), key=lambda name: (position.get(name, len(position)), name)))
