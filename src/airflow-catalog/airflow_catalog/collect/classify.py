"""Which classes are catalogued, and as what kind: from the class objects, else from the source.

Which classes are catalogued: the public classes *defined* in a module (not imported into it) that
derive from one of Airflow's bases. A class is left out when a DAG author cannot use it as it is:

- its name starts with ``_`` (private by Python's convention);
- its name ends with ``Mixin`` (a mixin is only ever combined into another class);
- it is abstract (:func:`inspect.isabstract`: it has abstract methods left, so it cannot be built);
- it is an operator whose ``execute`` (a sensor: ``poke`` and ``execute``) is still Airflow's own,
  so running it as a task can only raise ``NotImplementedError``: a base for other operators.

So ``BaseSQLOperator``-style bases are left out, but usable ``Base``-named classes such as
``AwsBaseHook`` stay: the name alone does not say whether a class is meant for users.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Iterator
from dataclasses import dataclass

from airflow_catalog.collect.loading import load_object
from airflow_catalog.collect.sources import ModuleSource, written_name
from airflow_catalog.model.catalog import Kind

_TRANSFER_NAME = re.compile(r"^[A-Z]\w*?[a-z0-9]To[A-Z]\w*Operator$")


@dataclass(frozen=True)
class FoundClass:
    """A class to catalogue: the class object when its module imported, else its ``ast`` statement."""

    name: str
    kind: Kind
    source: ModuleSource
    obj: type | None = None

    @property
    def import_path(self) -> str:
        """``module.Class``, the path a DAG author imports."""
        return f"{self.source.name}.{self.name}"

    @property
    def node(self) -> ast.ClassDef | None:
        """The class statement in the module's source, when the source could be parsed."""
        return self.source.classes.get(self.name)


def airflow_bases() -> dict[Kind, type]:
    """Return Airflow's base class for each kind, most specific first (a sensor is also an operator)."""
    from airflow.sdk import BaseHook, BaseNotifier, BaseOperator, BaseSensorOperator
    from airflow.triggers.base import BaseTrigger

    return {
        Kind.SENSOR: BaseSensorOperator,
        Kind.OPERATOR: BaseOperator,
        Kind.HOOK: BaseHook,
        Kind.TRIGGER: BaseTrigger,
        Kind.NOTIFIER: BaseNotifier,
    }


def is_transfer_name(name: str, module: str) -> bool:
    """Whether an operator is a transfer: ``<Source>To<Target>Operator``, or in a ``transfers`` module."""
    return bool(_TRANSFER_NAME.match(name)) or "transfers" in module.split(".")


def classify(cls: type, module: str) -> Kind | None:
    """Return the kind of a class object, or ``None`` when it derives from none of Airflow's bases."""
    for kind, base in airflow_bases().items():
        try:
            derived = issubclass(cls, base) and cls is not base
        except TypeError:
            return None
        if derived:
            if kind is Kind.OPERATOR and is_transfer_name(cls.__name__, module):
                return Kind.TRANSFER
            return kind
    return None


def is_user_facing(cls: type, kind: Kind) -> bool:
    """Apply the module docstring's rule: whether a DAG author can use this class as it is."""
    name = cls.__name__
    if name.startswith("_") or name.endswith("Mixin") or inspect.isabstract(cls):
        return False
    if kind in (Kind.OPERATOR, Kind.TRANSFER, Kind.SENSOR):
        bases = airflow_bases()
        runs = cls.execute is not bases[Kind.OPERATOR].execute  # type: ignore[attr-defined]
        if kind is Kind.SENSOR:
            sensor = bases[Kind.SENSOR]
            runs = cls.poke is not sensor.poke or cls.execute is not sensor.execute  # type: ignore[attr-defined]
        return runs
    return True


def classes_in(source: ModuleSource) -> Iterator[FoundClass]:
    """Yield the catalogued classes of one module: from the module object, else from its source."""
    if source.module is not None:
        for name, obj in list(vars(source.module).items()):
            if not isinstance(obj, type) or obj.__module__ != source.name or obj.__name__ != name:
                continue  # imported from elsewhere, or an alias of a class defined here
            kind = classify(obj, source.name)
            if kind is not None and is_user_facing(obj, kind):
                yield FoundClass(name, kind, source, obj)
        return
    yield from static_classes_in(source)


def static_classes_in(source: ModuleSource) -> Iterator[FoundClass]:
    """Yield the catalogued classes of a module that failed to import, read from its syntax tree.

    A base is resolved through the module's imports: when it names a class of a module that did
    import, that class decides; otherwise the base's name does (``…Operator``, ``…Sensor``, …), as it
    matched Airflow's classes exactly in ``research/baseline-sphinx-cost.md``.
    """
    kinds: dict[str, Kind] = {}
    for name, node in source.classes.items():
        kind = _static_kind(node, source, kinds)
        if kind is None:
            continue
        kinds[name] = kind
        if _static_user_facing(node, kind):
            yield FoundClass(name, kind, source)


def _static_kind(node: ast.ClassDef, source: ModuleSource, known: dict[str, Kind]) -> Kind | None:
    for base in node.bases:
        written = written_name(base)
        if written is None:
            continue
        if written in known:
            kind: Kind | None = known[written]
        else:
            obj = load_object(source.resolve(written))
            if isinstance(obj, type):
                bases = {base: base_kind for base_kind, base in airflow_bases().items()}
                kind = bases.get(obj) or classify(obj, source.name)
            else:
                kind = _kind_from_name(written.rsplit(".", 1)[-1])
        if kind is not None:
            if kind is Kind.OPERATOR and is_transfer_name(node.name, source.name):
                return Kind.TRANSFER
            return Kind.OPERATOR if kind is Kind.TRANSFER else kind
    return None


def _kind_from_name(name: str) -> Kind | None:
    if name.endswith("SensorOperator") or name.endswith("Sensor"):
        return Kind.SENSOR
    for suffix, kind in (
        ("Operator", Kind.OPERATOR),
        ("Hook", Kind.HOOK),
        ("Trigger", Kind.TRIGGER),
        ("Notifier", Kind.NOTIFIER),
    ):
        if name.endswith(suffix):
            return kind
    return None


def _static_user_facing(node: ast.ClassDef, kind: Kind) -> bool:
    if node.name.startswith("_") or node.name.endswith("Mixin"):
        return False
    methods = {n.name: n for n in node.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    if any(
        written_name(d) in ("abstractmethod", "abc.abstractmethod")
        for m in methods.values()
        for d in m.decorator_list
    ):
        return False
    if kind in (Kind.OPERATOR, Kind.TRANSFER, Kind.SENSOR) and node.name.startswith("Base"):
        return "execute" in methods or "poke" in methods
    return True
