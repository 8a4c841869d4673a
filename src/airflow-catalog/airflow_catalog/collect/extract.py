"""Turn one discovered class into a :class:`~airflow_catalog.model.catalog.CatalogEntry`.

A class whose module imported is read from the class object (its signature, its real
``template_fields``: providers build them with helper calls that only running code resolves) and
from its source for what only the source says (defaults as written, ``self.defer``, deprecation
warnings, the hooks it names). A class whose module failed to import is read from its source alone.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airflow_catalog.collect.discover import (
    FoundClass,
    ModuleSource,
    load_object,
    written_name,
)
from airflow_catalog.collect.examples import ExampleIndex
from airflow_catalog.collect.hook_forms import form_from_hook, generic_bases
from airflow_catalog.model import docstrings
from airflow_catalog.model.catalog import (
    CatalogEntry,
    ConnectionForm,
    Deprecation,
    HookIdentity,
    Kind,
    PackageInfo,
    Parameter,
    SourceLocation,
)
from airflow_catalog.model.names import is_airflow_core

HOOK_ATTRIBUTES = ("conn_type", "conn_name_attr", "default_conn_name", "hook_name")
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_MAX_DEFAULT = 200
_VARIADIC = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


@dataclass
class PackageContext:
    """What extraction needs to know about the package a class belongs to."""

    package: PackageInfo
    root: Path
    integration_by_module: dict[str, str] = field(default_factory=dict)
    examples: ExampleIndex = field(default_factory=ExampleIndex)
    sources: dict[str, ModuleSource] = field(default_factory=dict)
    init_cache: dict[type, tuple[tuple[_Declared, ...], bool]] = field(default_factory=dict)

    def integration_of(self, module_name: str) -> str | None:
        """Return the integration the provider info files a module under.

        A module it does not list (notifiers are listed by class, utilities not at all) belongs to the
        package's only integration when it has just one.
        """
        listed = self.integration_by_module.get(module_name)
        if listed:
            return listed
        return self.package.integrations[0] if len(self.package.integrations) == 1 else None

    def source_of(self, module_name: str) -> ModuleSource | None:
        """Return the walked (or, for a base class elsewhere, freshly located) source of a module."""
        if module_name not in self.sources:
            module = sys.modules.get(module_name)
            file = getattr(module, "__file__", None)
            self.sources[module_name] = ModuleSource(module_name, Path(file) if file else None, module)
        return self.sources[module_name]


@dataclass(frozen=True)
class _Declared:
    """A constructor parameter as one class declares it, before descriptions are attached."""

    name: str
    type: str | None
    default: str | None
    required: bool
    positional: bool
    origin: str


def extract(found: FoundClass, context: PackageContext) -> CatalogEntry:
    """Describe one class; never raises for odd signatures, annotations or docstrings."""
    if found.obj is not None:
        return _from_object(found, found.obj, context)
    return _from_source(found, context)


def _from_object(found: FoundClass, cls: type, context: PackageContext) -> CatalogEntry:
    docstring = docstrings.clean(cls.__dict__.get("__doc__"))
    template_fields = _strings(getattr(cls, "template_fields", ()))
    chain = list(_passing_chain(cls))
    declared, accepted_by_airflow = _runtime_declared(cls, context)
    nodes = [(klass, _class_node(klass, context)) for klass in chain]
    parameters = _describe(
        found.import_path, declared, accepted_by_airflow, docstring, chain, template_fields
    )
    template_fields = _in_parameter_order(template_fields, parameters)
    own_node = found.node
    uses = [] if found.kind is Kind.HOOK else _hooks_used(nodes, context, exclude=found.import_path)
    return CatalogEntry(
        import_path=found.import_path,
        name=found.name,
        module=found.source.name,
        kind=found.kind,
        package=context.package.import_name,
        package_version=context.package.version,
        summary=docstrings.summary(docstring),
        docstring=docstring,
        integration=context.integration_of(found.source.name),
        parameters=parameters,
        template_fields=template_fields,
        template_ext=_strings(getattr(cls, "template_ext", ())),
        ui_color=_text_or_none(getattr(cls, "ui_color", None)),
        ui_fgcolor=_text_or_none(getattr(cls, "ui_fgcolor", None)),
        deferrable=any(p.name == "deferrable" for p in parameters)
        or any(_calls_self_defer(node) for _, node in nodes if node is not None),
        deprecation=_deprecation(docstring, own_node, cls.__dict__.get("__deprecated__"), found.source),
        hook=_hook_identity(
            {a: getattr(cls, a, None) for a in HOOK_ATTRIBUTES}, form_from_hook(cls), cls.__mro__[1:]
        )
        if found.kind is Kind.HOOK
        else None,
        uses_hooks=tuple(uses),
        examples=context.examples.examples_for(found.name),
        source=_location(found, context, own_node),
        imported=True,
    )


def _from_source(found: FoundClass, context: PackageContext) -> CatalogEntry:
    node = found.node
    assert node is not None, "static discovery only yields classes it parsed"
    docstring = docstrings.clean(ast.get_docstring(node, clean=False))
    attributes = _literal_attributes(node, found.source)
    template_fields = _strings(attributes.get("template_fields", ()))
    declared = list(_static_declared(node, found.import_path))
    declared_names = {d.name for d in declared}
    airflow_params: dict[str, _Declared] = {}
    if _init_takes_kwargs(node) or _init_of(node) is None:
        for base in _resolved_bases(node, found.source, include_core=True):
            extra, core = _runtime_declared(base, context)
            declared.extend(d for d in extra if d.name not in declared_names)
            declared_names.update(d.name for d in extra)
            airflow_params.update((name, d) for name, d in core.items() if name not in airflow_params)
    parameters = _describe(found.import_path, declared, airflow_params, docstring, [], template_fields)
    template_fields = _in_parameter_order(template_fields, parameters)
    return CatalogEntry(
        import_path=found.import_path,
        name=found.name,
        module=found.source.name,
        kind=found.kind,
        package=context.package.import_name,
        package_version=context.package.version,
        summary=docstrings.summary(docstring),
        docstring=docstring,
        integration=context.integration_of(found.source.name),
        parameters=parameters,
        template_fields=template_fields,
        template_ext=_strings(attributes.get("template_ext", ())),
        ui_color=_text_or_none(attributes.get("ui_color")),
        ui_fgcolor=_text_or_none(attributes.get("ui_fgcolor")),
        deferrable=any(p.name == "deferrable" for p in parameters) or _calls_self_defer(node),
        deprecation=_deprecation(docstring, node, None, found.source),
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
        for klass in _passing_chain(base):
            module = sys.modules.get(klass.__module__)
            file = getattr(module, "__file__", None)
            if file:
                files.add(Path(file))
    return files


# --- parameters ---------------------------------------------------------------------------------------


def _passing_chain(cls: type) -> Iterator[type]:
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


def _runtime_declared(cls: type, context: PackageContext) -> tuple[list[_Declared], dict[str, _Declared]]:
    """Return the parameters ``cls`` accepts: own first, then inherited in MRO order.

    Airflow's own bases count too (``task_id``, ``retries``… of ``BaseOperator``, ``poke_interval``
    of ``BaseSensorOperator``): a DAG author passes them to the class, and their origin lets the page
    fold them and the conventions leave them alone. The second value holds those of Airflow's.
    """
    declared: dict[str, _Declared] = {}
    airflow_params: dict[str, _Declared] = {}
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


def _init_parameters(klass: type, context: PackageContext) -> tuple[tuple[_Declared, ...], bool]:
    """Return the parameters one class's own ``__init__`` declares, and whether it takes ``**kwargs``.

    Cached per class: a provider's base class (``AwsBaseOperator``) is met once per subclass.
    """
    cached = context.init_cache.get(klass)
    if cached is not None:
        return cached
    origin = f"{klass.__module__}.{klass.__qualname__}"
    signature = _signature(klass.__dict__["__init__"])
    core = is_airflow_core(klass.__module__)
    node = None if core else _class_node(klass, context)
    if signature is None:
        static = tuple(_static_declared(node, origin)) if node is not None else ()
        result = (static, node is not None and _init_takes_kwargs(node))
    else:
        written = {} if core else _written_defaults(node)
        values = list(signature.parameters.values())[1:]
        result = (
            tuple(_declared(p, origin, written) for p in values if p.kind not in _VARIADIC),
            any(p.kind is inspect.Parameter.VAR_KEYWORD for p in values),
        )
    context.init_cache[klass] = result
    return result


def _describe(
    import_path: str,
    declared: list[_Declared],
    accepted_by_airflow: dict[str, _Declared],
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


_DESCRIPTIONS: dict[type, dict[str, str]] = {}


def _class_descriptions(klass: type) -> dict[str, str]:
    """Return the ``:param:`` descriptions of a class's docstring; a base shared by many is parsed once."""
    cached = _DESCRIPTIONS.get(klass)
    if cached is None:
        cached = docstrings.param_descriptions(docstrings.clean(klass.__dict__.get("__doc__")))
        _DESCRIPTIONS[klass] = cached
    return cached


def _core_descriptions(origin: str) -> dict[str, str]:
    klass = load_object(origin)
    return _class_descriptions(klass) if isinstance(klass, type) else {}


def _declared(parameter: inspect.Parameter, origin: str, written: dict[str, str]) -> _Declared:
    required = parameter.default is inspect.Parameter.empty
    default = None if required else _default_text(written.get(parameter.name), parameter.default)
    return _Declared(
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


def _static_declared(node: ast.ClassDef, origin: str) -> Iterator[_Declared]:
    init = _init_of(node)
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
) -> _Declared:
    annotation = ast.unparse(argument.annotation) if argument.annotation is not None else None
    if annotation and len(annotation) >= 2 and annotation[0] == annotation[-1] and annotation[0] in "'\"":
        annotation = annotation[1:-1]
    return _Declared(
        name=argument.arg,
        type=annotation,
        default=ast.unparse(default) if default is not None else None,
        required=default is None,
        positional=positional,
        origin=origin,
    )


def _written_defaults(node: ast.ClassDef | None) -> dict[str, str]:
    """Defaults as the source writes them (``default_conn_name``), stabler and clearer than their repr."""
    if node is None:
        return {}
    return {d.name: d.default for d in _static_declared(node, "") if d.default is not None}


def _init_of(node: ast.ClassDef) -> ast.FunctionDef | None:
    for statement in node.body:
        if isinstance(statement, ast.FunctionDef) and statement.name == "__init__":
            return statement
    return None


def _init_takes_kwargs(node: ast.ClassDef) -> bool:
    init = _init_of(node)
    return init is not None and init.args.kwarg is not None


def _resolved_bases(node: ast.ClassDef, source: ModuleSource, include_core: bool = False) -> Iterator[type]:
    """Yield the bases of a class read from source that are classes of modules which did import.

    :param include_core: also Airflow's own bases (``BaseOperator``), whose parameters the class accepts.
    """
    for base in node.bases:
        written = written_name(base)
        obj = load_object(source.resolve(written)) if written else None
        if isinstance(obj, type) and (include_core or not is_airflow_core(obj.__module__)):
            yield obj


# --- what the source says -----------------------------------------------------------------------------


def _class_node(cls: type, context: PackageContext) -> ast.ClassDef | None:
    source = context.source_of(cls.__module__)
    if source is None or "." in cls.__qualname__:
        return None
    return source.classes.get(cls.__qualname__)


def _literal_attributes(node: ast.ClassDef, source: ModuleSource) -> dict[str, Any]:
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
                    items.extend(_strings(_loaded_value(element.value, source) or ()))
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


_FACTS: dict[int, tuple[ast.ClassDef, _ClassFacts]] = {}


def _facts(node: ast.ClassDef) -> _ClassFacts:
    cached = _FACTS.get(id(node))
    if cached is not None and cached[0] is node:
        return cached[1]
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
    facts = _ClassFacts(defers=defers, hook_names=tuple(hooks))
    _FACTS[id(node)] = (node, facts)
    return facts


def _calls_self_defer(node: ast.ClassDef) -> bool:
    return _facts(node).defers


def _deprecation(
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
    init = _init_of(node)
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
        for written in _hook_names(node):
            path = _hook_path(written, source)
            if path and path != exclude and path not in found:
                found.append(path)
    return found


def _hook_names(node: ast.ClassDef) -> tuple[str, ...]:
    return _facts(node).hook_names


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
        **{name: _text_or_none(values.get(name)) for name in HOOK_ATTRIBUTES},
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


def _in_parameter_order(fields: tuple[str, ...], parameters: tuple[Parameter, ...]) -> tuple[str, ...]:
    """Order template fields as the parameter table does, then the others by name.

    Providers build some ``template_fields`` from sets (``PythonVirtualenvOperator``), whose order
    changes from one process to the next; a stable order keeps ``catalog.json`` and the pages from
    changing when nothing did, and reads in the same order as the parameters.
    """
    position = {parameter.name: index for index, parameter in enumerate(parameters)}
    return tuple(sorted(dict.fromkeys(fields), key=lambda name: (position.get(name, len(position)), name)))


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    try:
        return tuple(str(item) for item in value)
    except TypeError:
        return ()


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
