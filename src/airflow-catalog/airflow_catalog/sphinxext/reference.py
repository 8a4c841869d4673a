"""The catalog generator's own reference, drawn from what it describes so that the two cannot drift.

An optional extension (``airflow_catalog.sphinxext.reference``) for the site that documents the
catalog generator itself; a catalog project does not need it. Each directive reads its source of
truth at build time: the one configuration definition, the registered directives, the warning
table, ``catalog.schema.json``, and the package's own modules.
"""

from __future__ import annotations

import ast
import inspect
import json
import pprint
from importlib.resources import files
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives as rst_directives
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.parsing import nested_parse_to_nodes

from airflow_catalog import __version__
from airflow_catalog.sphinxext.config import CONFIG_VALUES
from airflow_catalog.sphinxext.doctree import table
from airflow_catalog.sphinxext.warnings_ import WARNING_TYPE, WARNINGS

#: The stages of the catalog generator, in the order its pipeline runs them.
STAGES = ("model", "files", "conventions", "changes", "collect", "pages", "sphinxext", "publish", "site")


def _literal(text: str) -> nodes.literal:
    return nodes.literal(text, text)


class _ReferenceDirective(SphinxDirective):
    """Shared by the reference directives: parse a cell of reStructuredText."""

    def rst(self, text: str) -> list[nodes.Node]:
        """Parse ``text`` as reStructuredText in this directive's context."""
        return list(nested_parse_to_nodes(self.state, text, allow_section_headings=False))


class ConfigReferenceDirective(_ReferenceDirective):
    """``.. catalog-config-reference::``: every ``catalog_*`` value, its type, default and meaning."""

    def run(self) -> list[nodes.Node]:
        """Return the table of :data:`~airflow_catalog.sphinxext.config.CONFIG_VALUES`."""
        rows = []
        for value in CONFIG_VALUES:
            default: list[nodes.Node] = [nodes.paragraph("", "", _literal(pprint.pformat(value.default)))]
            if value.environment:
                note = nodes.paragraph("", "or the environment variable ")
                note += _literal(value.environment)
                default.append(note)
            rows.append(
                [
                    _literal(value.name),
                    _literal(value.type_text),
                    default,
                    self.rst(value.meaning),
                    _literal(value.extension),
                ]
            )
        headers = ("Name", "Type", "Default", "Meaning", "Registered by")
        return [table(headers, rows, (20, 10, 15, 40, 15), "catalog-reference")]


class DirectiveReferenceDirective(_ReferenceDirective):
    """``.. catalog-directive-reference::``: every ``catalog-*`` directive registered in this build."""

    def run(self) -> list[nodes.Node]:
        """Return one definition per directive: its arguments, options and what it draws."""
        # docutils keeps the registered directives in this module-level table: the one place that
        # knows every directive the loaded extensions added, whichever module defines it.
        registered = rst_directives._directives
        result = nodes.definition_list()
        for name in sorted(n for n in registered if n.startswith("catalog-")):
            directive = registered[name]
            term = nodes.term("", "", _literal(f".. {name}::"))
            definition = nodes.definition()
            definition.extend(self.rst(_usage(directive)))
            definition.extend(self.rst(inspect.cleandoc(directive.__doc__ or "")))
            result += nodes.definition_list_item("", term, definition)
        return [result]


def _usage(directive: Any) -> str:
    arguments = getattr(directive, "required_arguments", 0)
    options = sorted(getattr(directive, "option_spec", None) or {})
    content = "takes content" if getattr(directive, "has_content", False) else "no content"
    parts = [f"{arguments} argument(s)" if arguments else "no argument", content]
    parts.append(
        "options: " + ", ".join(f"``:{option}:``" for option in options) if options else "no options"
    )
    return "Takes " + "; ".join(parts) + "."


class WarningReferenceDirective(_ReferenceDirective):
    """``.. catalog-warning-reference::``: every warning ``type.subtype`` the catalog emits."""

    def run(self) -> list[nodes.Node]:
        """Return the table of :data:`~airflow_catalog.sphinxext.warnings_.WARNINGS`."""
        rows = [[_literal(f"{WARNING_TYPE}.{subtype}"), self.rst(text)] for subtype, text in WARNINGS.items()]
        return [table(("suppress_warnings entry", "When it is emitted"), rows, (25, 75), "catalog-reference")]


class SchemaReferenceDirective(_ReferenceDirective):
    """``.. catalog-schema-reference::``: ``catalog.json`` as its JSON Schema describes it."""

    def run(self) -> list[nodes.Node]:
        """Return the top-level properties, then one table per definition of the schema."""
        schema = json.loads(files("airflow_catalog.model").joinpath("catalog.schema.json").read_text("utf-8"))
        result: list[nodes.Node] = self.rst(schema.get("description", ""))
        result.append(self._object("catalog.json", schema))
        for name, definition in schema.get("$defs", {}).items():
            result.append(self._object(name, definition))
        return result

    def _object(self, name: str, definition: dict[str, Any]) -> nodes.Node:
        section = nodes.container(classes=["catalog-schema-object"])
        title = nodes.paragraph("", "", nodes.strong("", "", _literal(name)))
        section += title
        if definition.get("description") and name != "catalog.json":
            section.extend(self.rst(definition["description"]))
        properties = definition.get("properties")
        if not properties:
            section += nodes.paragraph("", f"A {_type_of(definition)}.")
            return section
        required = set(definition.get("required", ()))
        rows = [
            [
                _literal(prop),
                _literal(_type_of(spec)),
                "yes" if prop in required else "",
                self.rst(spec.get("description", "")),
            ]
            for prop, spec in properties.items()
        ]
        section += table(
            ("Property", "Type", "Required", "Meaning"), rows, (22, 28, 10, 40), "catalog-reference"
        )
        return section


def _type_of(spec: dict[str, Any]) -> str:
    if "$ref" in spec:
        return spec["$ref"].rsplit("/", 1)[-1]
    if "enum" in spec:
        return " | ".join(json.dumps(item) for item in spec["enum"])
    if "anyOf" in spec or "oneOf" in spec:
        return " | ".join(_type_of(item) for item in spec.get("anyOf", spec.get("oneOf", [])))
    kind = spec.get("type", "any")
    if kind == "array":
        return f"array of {_type_of(spec.get('items', {}))}"
    return " | ".join(kind) if isinstance(kind, list) else str(kind)


class ModuleMapDirective(_ReferenceDirective):
    """``.. catalog-module-map::``: every module of the catalog generator, by stage, with its one-line job."""

    def run(self) -> list[nodes.Node]:
        """Return one list per stage; the line of each module is the first line of its docstring."""
        package = Path(str(files("airflow_catalog")))
        result: list[nodes.Node] = []
        for stage, modules in _modules_by_stage(package).items():
            heading = nodes.paragraph("", "", nodes.strong("", "", _literal(stage)))
            items = nodes.bullet_list()
            for module, line in modules:
                paragraph = nodes.paragraph("", "", _literal(module), nodes.Text(": "))
                paragraph.extend(self.rst(line)[0].children if line else [nodes.Text("(no docstring)")])
                items += nodes.list_item("", paragraph)
            result += [heading, items]
        return result


def _modules_by_stage(package: Path) -> dict[str, list[tuple[str, str]]]:
    """Group the package's modules by their stage (top-level modules under ``airflow_catalog``)."""
    grouped: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        stage = relative.parts[0].removesuffix(".py") if len(relative.parts) > 1 else "airflow_catalog"
        module = ".".join(("airflow_catalog", *relative.with_suffix("").parts)).removesuffix(".__init__")
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        grouped.setdefault(stage, []).append(
            (module, docstring.strip().split("\n\n", 1)[0].replace("\n", " "))
        )
    order = {name: position for position, name in enumerate(("airflow_catalog", *STAGES))}
    return dict(sorted(grouped.items(), key=lambda item: (order.get(item[0], len(order)), item[0])))


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the reference directives."""
    app.add_directive("catalog-config-reference", ConfigReferenceDirective)
    app.add_directive("catalog-directive-reference", DirectiveReferenceDirective)
    app.add_directive("catalog-warning-reference", WarningReferenceDirective)
    app.add_directive("catalog-schema-reference", SchemaReferenceDirective)
    app.add_directive("catalog-module-map", ModuleMapDirective)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
