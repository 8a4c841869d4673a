"""The catalog generator's reference pages name everything they describe, and the stages' contract holds.

The pages are drawn from the code (the config definition, the parser, the registered directives,
the warning table, the package's modules); these tests fail when something new is not on them,
reading the site that ``test_site_build`` builds once per session.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sphinx.application import Sphinx
from sphinx.util.docutils import docutils_namespace

import airflow_catalog
from airflow_catalog.cli import make_parser
from airflow_catalog.sphinxext.warnings_ import WARNINGS

REFERENCE = "docs/catalog-generator"
PACKAGE = Path(airflow_catalog.__file__).parent
REPO = Path(__file__).resolve().parents[2]
#: The extensions a versioned catalog site loads: together they register every catalog_* value.
EXTENSIONS = [
    "airflow_catalog",
    "airflow_catalog.sphinxext.connection_builder",
    "airflow_catalog.sphinxext.versioning",
    "airflow_catalog.sphinxext.search",
    "airflow_catalog.sphinxext.reference",
]


def page_text(site_html: Path, name: str) -> str:
    """The text of a reference page, tags removed and entities decoded."""
    markup = (site_html / REFERENCE / f"{name}.html").read_text(encoding="utf-8")
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[set[str], set[str]]:
    """The ``catalog_*`` values and ``catalog-*`` directives the extensions register, from a real app."""
    from docutils.parsers.rst import directives

    source = tmp_path_factory.mktemp("empty-project")
    (source / "conf.py").write_text(f"extensions = {EXTENSIONS!r}\n")
    (source / "index.rst").write_text("Empty\n=====\n")
    with docutils_namespace():
        app = Sphinx(str(source), str(source), str(source / "_build"), str(source / "_doctrees"), "html")
        values = {value.name for value in app.config if value.name.startswith("catalog_")}
        registered = {name for name in directives._directives if name.startswith("catalog-")}
    return values, registered


def test_every_config_value_is_on_the_configuration_page(site, loaded) -> None:
    values, _ = loaded
    text = page_text(site.html, "configuration")
    assert len(values) >= 12
    missing = sorted(value for value in values if value not in text)
    assert not missing, f"registered but not documented: {missing}"


def test_every_directive_is_on_the_directives_page(site, loaded) -> None:
    _, registered = loaded
    text = page_text(site.html, "directives")
    assert {"catalog-entry", "catalog-finder", "catalog-connection-builder"} <= registered
    missing = sorted(name for name in registered if f".. {name}::" not in text)
    assert not missing, f"registered but not documented: {missing}"


def test_every_verb_and_option_is_on_the_command_line_page(site) -> None:
    text = page_text(site.html, "command-line")
    parser = make_parser()
    verbs = next(action for action in parser._actions if action.dest == "verb").choices
    assert {"build", "check", "publish", "previous"} <= set(verbs)
    missing = []
    for verb, subparser in verbs.items():
        if f"airflow-catalog {verb}" not in text:
            missing.append(verb)
        for action in subparser._actions:
            missing += [
                option for option in action.option_strings if option not in text and option != "--help"
            ]
    assert not missing, f"in the parser but not on the page: {missing}"


def test_every_warning_subtype_the_code_emits_is_on_the_warnings_page(site) -> None:
    emitted = {
        match
        for path in PACKAGE.rglob("*.py")
        for match in re.findall(r'\bwarn\(\s*"([\w-]+)"', path.read_text(encoding="utf-8"))
    }
    assert {"import", "config"} <= emitted
    assert emitted <= set(WARNINGS), f"emitted but not in WARNINGS: {sorted(emitted - set(WARNINGS))}"
    text = page_text(site.html, "warnings")
    missing = sorted(subtype for subtype in WARNINGS if f"catalog.{subtype}" not in text)
    assert not missing, f"in WARNINGS but not on the page: {missing}"


def test_every_schema_definition_is_on_the_catalog_json_page(site) -> None:
    import json

    schema = json.loads((PACKAGE / "model" / "catalog.schema.json").read_text(encoding="utf-8"))
    text = page_text(site.html, "catalog-json")
    missing = [name for name in schema["$defs"] if name not in text]
    missing += [name for name in schema["$defs"]["CatalogEntry"]["properties"] if name not in text]
    assert not missing, f"in the schema but not on the page: {missing}"


def test_every_module_is_on_the_contributor_page(site) -> None:
    text = page_text(site.html, "how-it-works")
    modules = [
        ".".join(("airflow_catalog", *path.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(
            ".__init__"
        )
        for path in PACKAGE.rglob("*.py")
    ]
    modules = [module.removesuffix(".__init__") for module in modules]
    assert len(modules) > 40
    missing = sorted(module for module in modules if f"{module}:" not in text)
    assert not missing, f"modules missing from 'How the catalog generator works': {missing}"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter with the repository's contracts on the package found first under ``root``."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--config", str(REPO / "pyproject.toml")],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )


def test_the_stages_contract_holds_and_fails_on_a_wrong_way_import(tmp_path: Path) -> None:
    kept = lint_imports(PACKAGE.parent)
    assert kept.returncode == 0, kept.stdout
    assert "Contracts: 2 kept, 0 broken." in kept.stdout

    copy = tmp_path / "airflow_catalog"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    names = copy / "model" / "names.py"
    names.write_text(names.read_text() + "\nfrom airflow_catalog.pages.rst import rst_escape  # wrong way\n")
    broken = lint_imports(tmp_path)
    assert broken.returncode == 1
    assert "airflow_catalog.model is not allowed to import airflow_catalog.pages" in broken.stdout
    assert "airflow_catalog.model.names -> airflow_catalog.pages.rst" in broken.stdout
