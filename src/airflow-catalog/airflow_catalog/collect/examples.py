"""Find the example-DAG snippets that use a class: ``# [START x]`` … ``# [END x]`` blocks of example DAGs.

Example DAGs are read as text and parsed with :mod:`ast`, never imported: importing a DAG file runs it.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from airflow_catalog.collect.sources import PackageNotFoundError, locate
from airflow_catalog.model.catalog import Example

_START = re.compile(r"^\s*#\s*\[START\s+(?P<name>[^\]\s]+)\s*\]")
_END = re.compile(r"^\s*#\s*\[END\s+(?P<name>[^\]\s]+)\s*\]")
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


@dataclass
class ExampleIndex:
    """The snippets of a package's example DAGs, indexed by the identifiers they mention."""

    by_name: dict[str, list[Example]] = field(default_factory=dict)

    def examples_for(self, class_name: str) -> tuple[Example, ...]:
        """Return the snippets that mention ``class_name``, in file order."""
        return tuple(self.by_name.get(class_name, ()))

    def add(self, example: Example) -> None:
        """Index one snippet under every identifier it contains."""
        for name in set(_IDENTIFIER.findall(example.code)):
            self.by_name.setdefault(name, []).append(example)


def example_files(package_dirs: Sequence[Path], import_name: str) -> list[tuple[Path, Path]]:
    """List the example DAG files of a package: ``example_dags`` folders and installed system tests.

    :returns: pairs of (file, the folder its ``Example.file`` is relative to).
    """
    files: list[tuple[Path, Path]] = []
    for folder in package_dirs:
        for dags in sorted(folder.rglob("example_dags")):
            if dags.is_dir():
                files.extend(
                    (path, folder) for path in sorted(dags.rglob("*.py")) if path.name != "__init__.py"
                )
    for system in _system_test_dirs(import_name):
        files.extend((path, system) for path in sorted(system.rglob("example_*.py")))
    return files


def _system_test_dirs(import_name: str) -> list[Path]:
    """Airflow keeps a provider's system-test DAGs in ``tests.system.<provider>`` when they are installed."""
    if not import_name.startswith("airflow.providers."):
        return []
    short = import_name.removeprefix("airflow.providers.")
    dirs: list[Path] = []
    for candidate in (f"tests.system.{short}", f"system.{short}"):
        try:
            _origin, folders = locate(candidate, fallback=False)  # looked up on disk: nothing imported
        except PackageNotFoundError:
            continue
        dirs.extend(folders)
    return dirs


def build_index(files: Iterable[tuple[Path, Path]]) -> ExampleIndex:
    """Read each example DAG and index its marked snippets (CAT008 asks for markers, so only they count)."""
    index = ExampleIndex()
    for path, base in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        relative = path.relative_to(base).as_posix()
        dags = _dag_spans(text)
        for start_line, code in _snippets(text):
            index.add(
                Example(file=relative, start_line=start_line, code=code, dag_id=_dag_at(dags, start_line))
            )
    return index


def _snippets(text: str) -> list[tuple[int, str]]:
    lines = text.splitlines()
    open_blocks: dict[str, int] = {}
    found: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        if start := _START.match(line):
            open_blocks[start.group("name")] = number
        elif (end := _END.match(line)) and end.group("name") in open_blocks:
            first = open_blocks.pop(end.group("name"))
            body = [b for b in lines[first : number - 1] if not _START.match(b) and not _END.match(b)]
            code = textwrap.dedent("\n".join(body)).strip("\n")
            if code.strip():
                found.append((first + 1, code + "\n"))
    return found


def _dag_spans(text: str) -> list[tuple[int, int, str]]:
    """Find each DAG of a file and the lines it spans: ``DAG(...)`` calls and ``@dag`` functions."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    spans: list[tuple[int, int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.With):
            for item in node.items:
                dag_id = _dag_id_of_call(item.context_expr)
                if dag_id:
                    spans.append((node.lineno, node.end_lineno or node.lineno, dag_id))
        elif isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                if _callee(decorator) == "dag":
                    dag_id = _dag_id_of_call(decorator, "dag") or node.name
                    spans.append((node.lineno, node.end_lineno or node.lineno, dag_id))
        elif isinstance(node, ast.Assign):
            dag_id = _dag_id_of_call(node.value)
            if dag_id:
                spans.append((node.lineno, 10**9, dag_id))
    return spans


def _callee(node: ast.expr) -> str | None:
    func = node.func if isinstance(node, ast.Call) else node
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _dag_id_of_call(node: ast.expr, callee: str = "DAG") -> str | None:
    if not isinstance(node, ast.Call) or _callee(node) != callee:
        return None
    for keyword in node.keywords:
        if keyword.arg == "dag_id" and isinstance(keyword.value, ast.Constant):
            return str(keyword.value.value)
    if node.args and isinstance(node.args[0], ast.Constant):
        return str(node.args[0].value)
    return None


def _dag_at(spans: list[tuple[int, int, str]], line: int) -> str | None:
    containing = [span for span in spans if span[0] <= line <= span[1]]
    if containing:
        return min(containing, key=lambda span: span[1] - span[0])[2]
    ids = {span[2] for span in spans}
    return ids.pop() if len(ids) == 1 else None
