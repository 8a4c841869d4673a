"""Graphviz sources of the catalog's pictures: an operator between the systems it connects.

Only the text of the graph is made here; ``sphinx.ext.graphviz`` draws it at build time.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from airflow_catalog.model.catalog import CatalogEntry, Kind
from airflow_catalog.model.names import transfer_systems

_STYLE = (
    'graph [rankdir=LR, bgcolor="transparent", fontname="Helvetica", fontsize=11, nodesep=0.3, '
    "ranksep=0.4];\n"
    'node [fontname="Helvetica", fontsize=11, shape=box, style="rounded,filled", fillcolor="#f3f6f9", '
    'color="#8aa1b1"];\n'
    'edge [color="#5c7080", arrowsize=0.7];\n'
)


@dataclass(frozen=True)
class System:
    """One end of an operator: what it is called and the connection type that reaches it."""

    label: str
    conn_type: str | None = None


def escape(text: str) -> str:
    """Escape ``text`` for the inside of a double-quoted graphviz ID."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def quote(text: str) -> str:
    """Return ``text`` as a double-quoted graphviz ID."""
    return f'"{escape(text)}"'


def _system(hook: CatalogEntry | None, fallback: str) -> System:
    if hook is None:
        return System(fallback)
    identity = hook.hook
    conn_type = identity.conn_type if identity else None
    label = (identity.hook_name if identity and identity.hook_name else None) or hook.name.removesuffix(
        "Hook"
    )
    return System(label, conn_type)


def systems_of(entry: CatalogEntry, hooks: Mapping[str, CatalogEntry]) -> tuple[list[System], list[System]]:
    """Split the systems an operator touches into sources (drawn left) and targets (drawn right).

    A transfer named ``<Source>To<Target>Operator`` reads from the system its name starts with and
    writes to the one it ends with: each name is matched to the hook it uses for that system (by
    the hook's class name, display name or connection type), and a system whose hook the class
    does not name stays a plain label; so ``HttpToArchiveOperator`` is drawn Http → operator →
    archive even when only its archive hook is known. A transfer not named so reads from its first
    hook and writes to its last; any other operator or sensor is drawn against every hook it uses.

    :param entry: an operator, sensor or transfer.
    :param hooks: catalogued hooks by import path.
    :returns: (sources, targets); both empty when the class uses no hook that can be named.
    """
    used = [hooks.get(path) for path in entry.uses_hooks]
    names = transfer_systems(entry.name)
    if names is not None:
        known = [hook for hook in used if hook is not None]
        source_hook = _hook_for(names[0], known)
        target_hook = _hook_for(names[1], [hook for hook in known if hook is not source_hook])
        return [_system(source_hook, names[0])], [_system(target_hook, names[1])]
    if entry.kind == Kind.TRANSFER:
        source = _system(used[0] if used else None, "source")
        target = _system(used[-1] if len(used) > 1 else None, "target")
        return [source], [target]
    systems = [
        _system(hook, path.rsplit(".", 1)[-1]) for hook, path in zip(used, entry.uses_hooks, strict=True)
    ]
    if entry.kind == Kind.SENSOR:
        return systems, []
    return [], systems


def _hook_for(system: str, hooks: Sequence[CatalogEntry]) -> CatalogEntry | None:
    """Return the hook that reaches the system a transfer's name calls ``system``, if one is used."""
    wanted = _squashed(system)
    for hook in hooks:
        identity = hook.hook
        words = [hook.name.removesuffix("Hook"), identity.hook_name if identity else None]
        words.append(identity.conn_type if identity else None)
        if any(word and (wanted in _squashed(word) or _squashed(word) in wanted) for word in words):
            return hook
    return None


def _squashed(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _node(name: str, system: System) -> str:
    # A backslash-n is graphviz's own line break inside a label.
    second_line = f"\\n({escape(system.conn_type)})" if system.conn_type else ""
    return f'{name} [label="{escape(system.label)}{second_line}"];\n'


def operator_diagram(entry: CatalogEntry, hooks: Mapping[str, CatalogEntry]) -> str | None:
    """Return the graphviz source of ``source → operator → target``; ``None`` when there is nothing to draw.

    :param entry: the catalogued class.
    :param hooks: catalogued hooks by import path, to name the systems and their connection types.
    """
    if entry.kind not in (Kind.OPERATOR, Kind.SENSOR, Kind.TRANSFER):
        return None
    sources, targets = systems_of(entry, hooks)
    if not sources and not targets:
        return None
    lines = ["digraph catalog {\n", _STYLE]
    lines.append(
        f'operator [label={quote(entry.name)}, fillcolor="#d9ecff", color="#2f6fa3", penwidth=1.4];\n'
    )
    for number, system in enumerate(sources):
        lines.append(_node(f"source{number}", system))
        edge = ' [style=dashed, label="waits for", fontsize=9]' if entry.kind == Kind.SENSOR else ""
        lines.append(f"source{number} -> operator{edge};\n")
    for number, system in enumerate(targets):
        lines.append(_node(f"target{number}", system))
        lines.append(f"operator -> target{number};\n")
    lines.append("}\n")
    return "".join(lines)


def draw_svgs(graphs: Mapping[Path, str], dot: str = "dot", dot_args: Sequence[str] = ()) -> int:
    """Draw many graphs with one ``dot`` process, each into its own SVG file.

    ``sphinx.ext.graphviz`` starts one ``dot`` per picture; for hundreds of class pages that is
    seconds of process start-up. ``dot`` draws every graph of its input in turn, so one process
    draws them all; the output is split at each SVG's XML declaration.

    :param graphs: output file → graphviz source.
    :param dot: the ``dot`` executable.
    :param dot_args: extra arguments, as ``graphviz_dot_args``.
    :returns: how many files were written; 0 (and nothing written) when ``dot`` failed or its
        output could not be split one SVG per graph.
    """
    if not graphs:
        return 0
    try:
        process = subprocess.run(
            [dot, *dot_args, "-Tsvg"], input="".join(graphs.values()), capture_output=True, text=True
        )
    except OSError:
        return 0
    svgs = ["<?xml" + part for part in process.stdout.split("<?xml")[1:]]
    if process.returncode or len(svgs) != len(graphs):
        return 0
    for path, svg in zip(graphs, svgs, strict=True):
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text(svg, encoding="utf-8")
        temporary.replace(path)
    return len(svgs)
