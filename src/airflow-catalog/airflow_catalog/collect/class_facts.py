"""What a class statement says, read with :mod:`ast`: parameters, attributes, deferral, hooks, deprecation.

Used for a class whose module failed to import (it is read from its source alone) and, for a class
that did import, for what only the source says: defaults as written, ``self.defer``, the hooks it
names, deprecation warnings.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from airflow_catalog.collect.loading import load_object
from airflow_catalog.collect.sources import ModuleSource, written_name
from airflow_catalog.model import docstrings
from airflow_catalog.model.catalog import Deprecation


@dataclass(frozen=True)
class Declared:
    """A constructor parameter as one class declares it, before descriptions are attached."""

    name: str
    type: str | None
    default: str | None
    required: bool
    positional: bool
    origin: str


def static_declared(node: ast.ClassDef, origin: str) -> Iterator[Declared]:
    init = init_of(node)
    if init is None:
        return
    arguments = init.args
    positional = [*arguments.posonlyargs, *arguments.args][1:]  # drop self
    all_positional = [*arguments.posonlyargs, *arguments.args]
    defaults: list[ast.expr | None] = [None] * (len(all_positional) - len(arguments.defaults))
    defaults.extend(arguments.defaults)
    for argument, default in zip(positional, defaults[1:], strict=True):
        yield _declared_from_ast(argument, default, origin, positional=True)
    for argument, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
        yield _declared_from_ast(argument, default, origin, positional=False)


def _declared_from_ast(
    argument: ast.arg, default: ast.expr | None, origin: str, positional: bool
) -> Declared:
    annotation = ast.unparse(argument.annotation) if argument.annotation is not None else None
    if annotation and len(annotation) >= 2 and annotation[0] == annotation[-1] and annotation[0] in "'\"":
        annotation = annotation[1:-1]
    return Declared(
        name=argument.arg,
        type=annotation,
        default=ast.unparse(default) if default is not None else None,
        required=default is None,
        positional=positional,
        origin=origin,
    )


def written_defaults(node: ast.ClassDef | None) -> dict[str, str]:
    """Defaults as the source writes them (``default_conn_name``), stabler and clearer than their repr."""
    if node is None:
        return {}
    return {d.name: d.default for d in static_declared(node, "") if d.default is not None}


def init_of(node: ast.ClassDef) -> ast.FunctionDef | None:
    for statement in node.body:
        if isinstance(statement, ast.FunctionDef) and statement.name == "__init__":
            return statement
    return None


def init_takes_kwargs(node: ast.ClassDef) -> bool:
    init = init_of(node)
    return init is not None and init.args.kwarg is not None


def literal_attributes(node: ast.ClassDef, source: ModuleSource) -> dict[str, Any]:
    """Class attributes as far as they can be read without running the class's module.

    Literals are read as they are. Two spellings of ``template_fields`` need a little more, and get
    it from modules that did import: a parent's fields spread into a tuple
    (``(*Base.template_fields, "x")``) and a helper called with string arguments
    (``aws_template_fields("bucket", "key")``), which is called as the class body would call it.
    """
    values: dict[str, Any] = {}
    for statement in node.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            target, value = statement.target, statement.value
        else:
            continue
        if not isinstance(target, ast.Name):
            continue
        if isinstance(value, ast.Tuple | ast.List):
            items: list[str] = []
            for element in value.elts:
                if isinstance(element, ast.Constant) and isinstance(element.value, str):
                    items.append(element.value)
                elif isinstance(element, ast.Starred):
                    items.extend(strings(_loaded_value(element.value, source) or ()))
            values[target.id] = tuple(items)
        elif isinstance(value, ast.Constant):
            values[target.id] = value.value
        elif (
            isinstance(value, ast.Call)
            and not value.keywords
            and all(isinstance(arg, ast.Constant) and isinstance(arg.value, str) for arg in value.args)
        ):
            helper = _loaded_value(value.func, source)
            if callable(helper):
                try:
                    values[target.id] = helper(*(arg.value for arg in value.args))  # type: ignore[attr-defined]
                except Exception:  # the helper is the package's code; its failure only loses this attribute
                    continue
    return values


def _loaded_value(node: ast.expr, source: ModuleSource) -> Any:
    written = written_name(node)
    return load_object(source.resolve(written)) if written else None


@dataclass(frozen=True)
class _ClassFacts:
    """What one walk over a class statement finds; a base class shared by many is walked once."""

    defers: bool
    hook_names: tuple[str, ...]


# Cached by the node itself (hashed by identity, kept alive by the cache, so never confused with a
# later node at the same address); the cache lives as long as the worker process that collects.
@functools.cache
def _facts(node: ast.ClassDef) -> _ClassFacts:
    defers = False
    hooks: dict[str, None] = {}
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            if child.id.endswith("Hook"):
                hooks[child.id] = None
        elif isinstance(child, ast.Attribute):
            inner = child.value
            if child.attr.endswith("Hook") and isinstance(inner, ast.Name):
                hooks[f"{inner.id}.{child.attr}"] = None
            elif child.attr == "defer" and isinstance(inner, ast.Name) and inner.id == "self":
                defers = True
    return _ClassFacts(defers=defers, hook_names=tuple(hooks))


def calls_self_defer(node: ast.ClassDef) -> bool:
    return _facts(node).defers


def hook_names(node: ast.ClassDef) -> tuple[str, ...]:
    return _facts(node).hook_names


def deprecation(
    docstring: str, node: ast.ClassDef | None, pep702: object, source: ModuleSource
) -> Deprecation | None:
    """Read a deprecation from a ``@deprecated`` decorator, a warning in ``__init__`` or the docstring."""
    messages: list[str] = []
    if pep702:
        messages.append(str(pep702))
    if node is not None:
        messages.extend(_decorator_messages(node))
        messages.extend(_init_warning_messages(node))
    note = docstrings.deprecation_note(docstring)
    if note:
        messages.append(note)
    if not messages:
        return None
    replacement = next((r for r in map(docstrings.replacement_in, messages) if r), None)
    return Deprecation(message=docstrings.plain_text(messages[0]), replacement=_qualify(replacement, source))


def _decorator_messages(node: ast.ClassDef) -> Iterator[str]:
    for decorator in node.decorator_list:
        if not isinstance(decorator, ast.Call | ast.Name | ast.Attribute):
            continue
        func = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name != "deprecated":
            continue
        text = "Deprecated."
        if isinstance(decorator, ast.Call):
            candidates = [
                *decorator.args,
                *(k.value for k in decorator.keywords if k.arg in ("reason", "message")),
            ]
            text = next((t for t in map(_message_text, candidates) if t), text)
        yield text


def _init_warning_messages(node: ast.ClassDef) -> Iterator[str]:
    """Yield the messages of the deprecation warnings ``__init__`` raises unconditionally.

    Only statements directly in the body count: a warning inside an ``if`` concerns one argument
    (``region`` renamed to ``region_name``), not the class.
    """
    init = init_of(node)
    if init is None:
        return
    for statement in init.body:
        call = statement.value if isinstance(statement, ast.Expr) else None
        if not isinstance(call, ast.Call):
            continue
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        categories = [*call.args[1:], *(k.value for k in call.keywords if k.arg == "category")]
        if name == "warn" and any(_name_of(c).endswith("DeprecationWarning") for c in categories):
            text = _message_text(call.args[0]) if call.args else None
            yield text or "Deprecated."


def _message_text(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(str(v.value) if isinstance(v, ast.Constant) else "…" for v in node.values)
    return None


def _name_of(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _qualify(name: str | None, source: ModuleSource) -> str | None:
    """Turn a short class name from a message into its import path when the module knows it."""
    if name is None or "." in name:
        return name
    obj = getattr(source.module, name, None) if source.module is not None else None
    if isinstance(obj, type):
        return f"{obj.__module__}.{obj.__qualname__}"
    if name in source.classes:
        return f"{source.name}.{name}"
    if name in source.imported_names:
        return source.imported_names[name]
    return name


def strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    try:
        return tuple(str(item) for item in value)
    except TypeError:
        return ()


def text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
