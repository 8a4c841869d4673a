"""Read a package's modules without importing them: where they are, their source, their imports.

Walking files instead of importing keeps what a broken or hostile module would hide (its classes are
still found in its source) and costs nothing when a cached catalog needs no module at all.
"""

from __future__ import annotations

import ast
import importlib.util
import pkgutil
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

#: Folders that hold example DAGs or tests, not catalogued classes: importing them would run DAG code.
SKIPPED_PACKAGES = frozenset({"example_dags", "tests", "__pycache__"})


#: ``airflow.providers`` namespaces whose providers are named by two parts (``cncf.kubernetes``).
_TWO_PART_PROVIDER_NAMESPACES = frozenset({"apache", "atlassian", "cncf", "common", "dbt", "microsoft"})


class PackageNotFoundError(LookupError):
    """The configured import name is not an installed (or importable) package."""


@dataclass
class ModuleSource:
    """One walked module: its name, file and, once asked for, its syntax tree and import names.

    :param module: the module object, once it imported (in the process that imported it).
    :param error: what its import raised, when it failed.
    """

    name: str
    path: Path | None
    module: ModuleType | None = None
    error: BaseException | None = None

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

    @cached_property
    def top_level_names(self) -> dict[str, str]:
        """Map every name the module binds when it is imported to the dotted path it stands for.

        Its imports (those under ``TYPE_CHECKING`` included) and its own top-level classes,
        functions and assignments, which stand for ``<module>.<name>``; the first binding wins.
        """
        names: dict[str, str] = {}
        if self.tree is None:
            return names
        imported = self.imported_names
        for node in _module_level_statements(self.tree.body):
            if isinstance(node, ast.ImportFrom | ast.Import):
                for alias in node.names:
                    bound = alias.asname or alias.name.split(".", 1)[0]
                    if bound in imported:
                        names.setdefault(bound, imported[bound])
            elif isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                names.setdefault(node.name, f"{self.name}.{node.name}")
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        names.setdefault(target.id, f"{self.name}.{target.id}")
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


def _absolute_module(package: str, module: str | None, level: int, path: Path | None) -> str:
    if level == 0:
        return module or ""
    parts = package.split(".")
    is_package = path is not None and path.name == "__init__.py"
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join([*base, module] if module else base)


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
        f"or install the distribution that provides it (e.g. pip install {guess_distribution(import_name)})"
    )


def guess_distribution(missing: str) -> str:
    parts = missing.split(".")
    if parts[:2] == ["airflow", "providers"] and len(parts) > 2:
        count = 2 if parts[2] in _TWO_PART_PROVIDER_NAMESPACES and len(parts) > 3 else 1
        suffix = "-".join(parts[2 : 2 + count]).replace("_", "-")
        return f"apache-airflow-providers-{suffix}"
    return parts[0].replace("_", "-")


def distribution_root(module: str, path: Path) -> Path:
    """Return the folder a module's top-level package lives in (``site-packages`` or ``src``)."""
    depth = len(module.split(".")) - (0 if path.name == "__init__.py" else 1)
    return path.parents[depth]
