"""Find the catalogued classes of a package: walk its modules, import each, read the source of the rest.

A module that fails to import becomes an :class:`~airflow_catalog.model.catalog.ImportProblem` with a likely
fix, and its classes are still found in its source, parsed with :mod:`ast`. Provider metadata comes
from the package's ``apache_airflow_provider`` entry point.

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
import dataclasses
import importlib
import importlib.util
import inspect
import pkgutil
import re
import sys
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib.machinery import ModuleSpec
from importlib.metadata import EntryPoint, entry_points, packages_distributions
from pathlib import Path
from types import ModuleType
from typing import Any

from airflow_catalog.collect.hook_forms import form_from_provider_info
from airflow_catalog.model.catalog import ConnectionType, ImportProblem, Kind, PackageInfo

#: Folders that hold example DAGs or tests, not catalogued classes: importing them would run DAG code.
SKIPPED_PACKAGES = frozenset({"example_dags", "tests", "__pycache__"})
#: ``airflow.providers`` namespaces whose providers are named by two parts (``cncf.kubernetes``).
_TWO_PART_PROVIDER_NAMESPACES = frozenset({"apache", "atlassian", "cncf", "common", "dbt", "microsoft"})
_TRANSFER_NAME = re.compile(r"^[A-Z]\w*?[a-z0-9]To[A-Z]\w*Operator$")
_UPSTREAM_DISTRIBUTION = re.compile(r"^apache[-_.]airflow($|[-_.]providers[-_.])", re.IGNORECASE)


class PackageNotFoundError(LookupError):
    """The configured import name is not an installed (or importable) package."""


@dataclass
class ModuleSource:
    """One walked module: its name, file and, once asked for, its syntax tree and import names."""

    name: str
    path: Path | None
    module: ModuleType | None = None

    @cached_property
    def text(self) -> str | None:
        """The module's source text, or ``None`` when it has no readable ``.py`` file."""
        if self.path is None or self.path.suffix != ".py":
            return None
        try:
            return self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    @cached_property
    def tree(self) -> ast.Module | None:
        """The parsed source, or ``None`` when it cannot be read or parsed."""
        if self.text is None:
            return None
        try:
            return ast.parse(self.text, filename=str(self.path))
        except (SyntaxError, ValueError):
            return None

    @cached_property
    def classes(self) -> dict[str, ast.ClassDef]:
        """The top-level class statements, by name."""
        if self.tree is None:
            return {}
        return {node.name: node for node in self.tree.body if isinstance(node, ast.ClassDef)}

    @cached_property
    def imported_names(self) -> dict[str, str]:
        """Map each name bound by an import statement to the dotted path it stands for."""
        names: dict[str, str] = {}
        if self.tree is None:
            return names
        for node in _module_level_statements(self.tree.body):
            if isinstance(node, ast.ImportFrom):
                base = _absolute_module(self.name, node.module, node.level, self.path)
                for alias in node.names:
                    names[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        names[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".", 1)[0]
                        names[top] = top
        return names

    def resolve(self, dotted: str) -> str:
        """Turn a name as written in this module (``sqs.SqsHook``) into the dotted path it refers to."""
        head, _, rest = dotted.partition(".")
        if head in self.imported_names:
            base = self.imported_names[head]
            return f"{base}.{rest}" if rest else base
        return f"{self.name}.{dotted}"


def _module_level_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Yield the statements run at import, descending into ``if``/``try`` (``TYPE_CHECKING`` imports)."""
    for statement in body:
        yield statement
        if isinstance(statement, ast.If):
            yield from _module_level_statements(statement.body)
            yield from _module_level_statements(statement.orelse)
        elif isinstance(statement, ast.Try):
            for block in (statement.body, statement.orelse, statement.finalbody):
                yield from _module_level_statements(block)
            for handler in statement.handlers:
                yield from _module_level_statements(handler.body)


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


@dataclass
class Discovery:
    """What discovery found in one package."""

    package: PackageInfo
    root: Path
    package_dirs: tuple[Path, ...]
    integration_by_module: dict[str, str]
    classes: list[FoundClass] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)


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


@dataclass(frozen=True)
class PackageFiles:
    """A package's modules as found on disk, and where it lives."""

    import_name: str
    modules: list[ModuleSource]
    root: Path
    package_dirs: tuple[Path, ...]


def locate(import_name: str, fallback: bool = True) -> tuple[Path | None, tuple[Path, ...]]:
    """Find a package's file and folders without importing it or its parents.

    ``importlib.util.find_spec("airflow.providers.http")`` imports ``airflow`` first, which costs a
    second, and ``PathFinder`` cannot step into a namespace package whose parent is not imported; so
    this follows Python's own search order on ``sys.path`` by hand (a regular package, else a module,
    else namespace portions), and a cached catalog can be read without importing Airflow. Anything
    that search does not find (zip files, import hooks, extension modules) goes to ``find_spec``.

    :param fallback: ask ``find_spec`` (which imports the parents) when the search on disk fails.
    :returns: the module's file (``None`` for a namespace package) and its package folders.
    :raises PackageNotFoundError: when no installed package has that import name.
    """
    loaded = sys.modules.get(import_name)
    spec: ModuleSpec | None = getattr(loaded, "__spec__", None) if loaded is not None else None
    if spec is None:
        found = _search_path(import_name)
        if found is not None:
            return found
        if not fallback:
            raise PackageNotFoundError(_not_found(import_name, "not found on sys.path"))
        try:
            spec = importlib.util.find_spec(import_name)
        except (ImportError, ValueError) as error:
            raise PackageNotFoundError(_not_found(import_name, str(error))) from error
        if spec is None:
            raise PackageNotFoundError(_not_found(import_name, "no such module"))
    origin = (
        Path(spec.origin) if spec.origin and spec.origin not in ("built-in", "frozen", "namespace") else None
    )
    return origin, tuple(Path(p) for p in (spec.submodule_search_locations or []))


def _search_path(import_name: str) -> tuple[Path | None, tuple[Path, ...]] | None:
    locations = [Path(entry or ".") for entry in sys.path]
    origin: Path | None = None
    for part in import_name.split("."):
        if not locations:
            return None  # the previous part was a module, not a package
        portions: list[Path] = []
        for base in locations:
            folder = base / part
            if (folder / "__init__.py").is_file():
                origin, locations = folder / "__init__.py", [folder]
                break
            if (base / f"{part}.py").is_file():
                origin, locations = base / f"{part}.py", []
                break
            if folder.is_dir():
                portions.append(folder)
        else:
            if not portions:
                return None
            origin, locations = None, portions
    return origin, tuple(locations)


def walk_package(import_name: str, exclude: Sequence[str] = ()) -> PackageFiles:
    """List the modules of a package from its files, without importing anything.

    Walking the folders instead of ``pkgutil.walk_packages`` keeps the modules of a sub-package whose
    ``__init__`` fails to import: they are still listed and read from source.

    :raises PackageNotFoundError: when no installed package has that import name.
    """
    origin, dirs = locate(import_name)
    modules = [ModuleSource(import_name, origin)]
    if dirs:
        modules.extend(_walk([str(d) for d in dirs], import_name + "."))
    if origin is not None:
        root = distribution_root(import_name, origin)
    elif dirs:
        root = dirs[0].parents[import_name.count(".")]
    else:
        root = Path.cwd()
    kept = [m for m in modules if not _excluded(m.name, exclude)]
    return PackageFiles(import_name=import_name, modules=kept, root=root, package_dirs=dirs)


def walk_modules(import_name: str, exclude: Sequence[str] = ()) -> list[ModuleSource]:
    """List the modules of a package from its files, without importing anything (see :func:`walk_package`)."""
    return walk_package(import_name, exclude).modules


def _walk(paths: list[str], prefix: str) -> Iterator[ModuleSource]:
    for info in sorted(pkgutil.iter_modules(paths), key=lambda i: i.name):
        if info.name in SKIPPED_PACKAGES or info.name == "__main__":
            continue
        name = prefix + info.name
        finder_path = Path(getattr(info.module_finder, "path", ""))
        if info.ispkg:
            folder = finder_path / info.name
            init = folder / "__init__.py"
            yield ModuleSource(name, init if init.exists() else None)
            yield from _walk([str(folder)], name + ".")
        else:
            spec = info.module_finder.find_spec(name, None)
            origin = spec.origin if spec is not None else None
            yield ModuleSource(name, Path(origin) if origin else None)


def _excluded(module: str, exclude: Sequence[str]) -> bool:
    return any(module == item or module.startswith(item + ".") for item in exclude)


def _not_found(import_name: str, reason: str) -> str:
    return (
        f"cannot find package {import_name!r} ({reason}): check the spelling of the import name, "
        f"or install the distribution that provides it (e.g. pip install {_guess_distribution(import_name)})"
    )


def import_module(source: ModuleSource) -> ImportProblem | None:
    """Import a walked module, keeping it on ``source``; return the problem when it fails.

    Any exception a module raises while it is imported is caught: one broken module must not hide
    the classes of the others. Deprecation warnings raised at import time are silenced here because
    they concern the module's users, not the catalog.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            source.module = importlib.import_module(source.name)
    except (Exception, SystemExit) as error:
        _FAILED_MODULES.add(source.name)
        return problem_for(source, error)
    return None


def problem_for(source: ModuleSource, error: BaseException) -> ImportProblem:
    """Describe an import failure: the module, the error and what would most likely fix it."""
    error_text = f"{type(error).__name__}: {error}"
    if isinstance(error, SyntaxError):
        where = f"{error.filename}:{error.lineno}" if error.filename else str(source.path)
        hint = f"fix the syntax error at {where}, or leave the module out with --exclude {source.name}"
        return ImportProblem(source.name, error_text, hint, line=error.lineno or 0)
    if isinstance(error, ModuleNotFoundError) and error.name:
        missing = _longest_import_of(error.name, source.text or "")
        own_top = source.name.split(".", 1)[0]
        if source.name == error.name or source.name.startswith(error.name + "."):
            hint = f"a parent package of {source.name} failed to import; fix that package first"
        elif missing.split(".", 1)[0] == own_top and not missing.startswith("airflow.providers."):
            hint = (
                f"{source.name} imports {missing!r}, which its own package {own_top!r} does not have: "
                "fix the import (a renamed or deleted module?)"
            )
        else:
            hint = (
                f"pip install {_guess_distribution(missing)} (it provides {missing!r}, which {source.name} "
                f"imports), or leave the module out with --exclude {source.name}"
            )
        return ImportProblem(source.name, error_text, hint)
    if isinstance(error, ImportError) or type(error).__name__.endswith("OptionalProviderFeatureException"):
        hint = (
            f"a dependency of {source.name} is missing: install what the error names, or leave the module "
            f"out with --exclude {source.name}"
        )
        return ImportProblem(source.name, error_text, hint)
    hint = (
        f"the module raised {type(error).__name__} while it was imported: fix the module (an import must "
        f"not need configuration or network), or leave it out with --exclude {source.name}"
    )
    return ImportProblem(source.name, error_text, hint)


def _with_path(problem: ImportProblem, source: ModuleSource, root: Path) -> ImportProblem:
    if source.path is None:
        return problem
    try:
        relative = source.path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        relative = source.path.as_posix()
    return dataclasses.replace(problem, path=relative)


def _longest_import_of(missing: str, text: str) -> str:
    """Find the full path the source imports below a missing namespace (``airflow.providers.cncf``)."""
    found = re.findall(r"(?<![\w.])" + re.escape(missing) + r"(?:\.\w+)*", text)
    return max(found, key=len) if found else missing


def _guess_distribution(missing: str) -> str:
    parts = missing.split(".")
    if parts[:2] == ["airflow", "providers"] and len(parts) > 2:
        count = 2 if parts[2] in _TWO_PART_PROVIDER_NAMESPACES and len(parts) > 3 else 1
        suffix = "-".join(parts[2 : 2 + count]).replace("_", "-")
        return f"apache-airflow-providers-{suffix}"
    return parts[0].replace("_", "-")


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


def written_name(node: ast.expr) -> str | None:
    """Return a base or callee as written (``aws.AwsBaseOperator`` of ``aws.AwsBaseOperator[SqsHook]``)."""
    if isinstance(node, ast.Subscript):  # AwsBaseOperator[SqsHook]
        node = node.value
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = written_name(node.value)
        return f"{inner}.{node.attr}" if inner else None
    return None


#: Modules that failed to import in this process: never tried again (a retry re-runs their code).
_FAILED_MODULES: set[str] = set()


def load_object(dotted: str) -> Any:
    """Find the object a dotted path names, importing its module if needed (but never a broken one).

    A class read from source names its bases and helpers by where they are imported from; those
    modules import fine (it is another import that failed), so loading them gives the same answer
    whichever order the modules are met in, and whether or not the cache spared their import.
    """
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:cut])
        module = sys.modules.get(module_name)
        if module is None and module_name not in _FAILED_MODULES:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    module = importlib.import_module(module_name)
            except (Exception, SystemExit):
                _FAILED_MODULES.add(module_name)
                module = None
        if module is None:
            continue
        obj: Any = module
        for part in parts[cut:]:
            obj = getattr(obj, part, None)
            if obj is None:
                return None
        return obj
    return None


def _absolute_module(package: str, module: str | None, level: int, path: Path | None) -> str:
    if level == 0:
        return module or ""
    parts = package.split(".")
    is_package = path is not None and path.name == "__init__.py"
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join([*base, module] if module else base)


def distribution_root(module: str, path: Path) -> Path:
    """Return the folder a module's top-level package lives in (``site-packages`` or ``src``)."""
    depth = len(module.split(".")) - (0 if path.name == "__init__.py" else 1)
    return path.parents[depth]


def provider_entry_point(import_name: str) -> tuple[EntryPoint, str] | None:
    """Find the ``apache_airflow_provider`` entry point whose package holds ``import_name``.

    :returns: the entry point and the import name of its package, or ``None`` when none matches.
    """
    best: tuple[EntryPoint, str] | None = None
    for point in entry_points(group="apache_airflow_provider"):
        package = point.module.rsplit(".", 1)[0] if "." in point.module else point.module
        if (import_name == package or import_name.startswith(package + ".")) and (
            best is None or len(package) > len(best[1])
        ):
            best = (point, package)
    return best


def provider_info_files(import_name: str) -> list[Path]:
    """Return the file of the ``get_provider_info`` module a package's metadata comes from, if any.

    Found without importing it, so a cache can tell whether the metadata may have changed.
    """
    found = provider_entry_point(import_name)
    if found is None:
        return []
    try:
        origin, _ = locate(found[0].module)
    except PackageNotFoundError:
        return []
    return [origin] if origin is not None else []


def package_info(import_name: str, own: Sequence[str] | None) -> tuple[PackageInfo, dict[str, str]]:
    """Return the package's metadata and, from its provider info, the integration of each module.

    :param own: import names of our own packages; ``None`` means every distribution is ours except
        ``apache-airflow`` and ``apache-airflow-providers-*``.
    """
    found = provider_entry_point(import_name)
    info: dict[str, Any] = {}
    if found is not None:
        point, _package = found
        distribution = point.dist.name if point.dist else import_name
        version = point.dist.version if point.dist else "unknown"
        try:
            loaded = point.load()()
            info = loaded if isinstance(loaded, dict) else {}
        except Exception:  # a broken get_provider_info must not stop the catalog: metadata is optional
            info = {}
    else:
        distribution, version = _distribution_of(import_name)
    if own is None:
        is_own = not _UPSTREAM_DISTRIBUTION.match(distribution)
    else:
        is_own = any(import_name == name or import_name.startswith(name + ".") for name in own)
    integrations = tuple(str(i.get("integration-name", "")) for i in info.get("integrations", []) if i)
    connection_types = tuple(
        ConnectionType(
            conn_type=str(item.get("connection-type", "")),
            hook_class=str(item.get("hook-class-name", "")),
            hook_name=item.get("hook-name"),
            form=form_from_provider_info(item),
        )
        for item in info.get("connection-types", [])
        if item.get("connection-type")
    )
    package = PackageInfo(
        import_name=import_name,
        distribution=distribution,
        version=version,
        name=str(info.get("name", "")),
        description=" ".join(str(info.get("description", "")).split()),
        integrations=integrations,
        connection_types=connection_types,
        is_own=is_own,
    )
    return package, _integration_by_module(info)


def _distribution_of(import_name: str) -> tuple[str, str]:
    from importlib.metadata import PackageNotFoundError as MetadataNotFound
    from importlib.metadata import version

    top = import_name.split(".", 1)[0]
    for distribution in packages_distributions().get(top, []):
        try:
            return distribution, version(distribution)
        except MetadataNotFound:
            continue
    return import_name, "unknown"


def _integration_by_module(info: dict[str, Any]) -> dict[str, str]:
    by_module: dict[str, str] = {}
    for section in ("operators", "sensors", "hooks", "triggers"):
        for item in info.get(section, []) or []:
            for module in item.get("python-modules", []) or []:
                by_module.setdefault(module, str(item.get("integration-name", "")))
    for item in info.get("transfers", []) or []:
        module = item.get("python-module")
        if module:
            by_module.setdefault(module, str(item.get("source-integration-name", "")))
    return by_module


def read_module(source: ModuleSource, root: Path) -> tuple[ImportProblem | None, list[FoundClass]]:
    """Import one module and find its catalogued classes (from its source when the import fails)."""
    problem = import_module(source)
    if problem is not None:
        problem = _with_path(problem, source, root)
    return problem, list(classes_in(source))


def discover(import_name: str, exclude: Sequence[str] = (), own: Sequence[str] | None = None) -> Discovery:
    """Walk, import and classify one package.

    :param import_name: the package, e.g. ``airflow.providers.http``.
    :param exclude: modules (and their sub-modules) to leave out.
    :param own: see :func:`package_info`.
    :raises PackageNotFoundError: when the package is not installed.
    """
    files = walk_package(import_name, exclude)
    package, integrations = package_info(import_name, own)
    found = Discovery(
        package=package, root=files.root, package_dirs=files.package_dirs, integration_by_module=integrations
    )
    for source in files.modules:
        problem, classes = read_module(source, files.root)
        if problem is not None:
            found.problems.append(problem)
        found.classes.extend(classes)
    return found
