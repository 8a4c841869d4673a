"""The two wheels as the release builds them: valid metadata, the provider without a docs toolchain,
the catalog generator with its package data, each working in a virtualenv of its own."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from configparser import ConfigParser
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

if TYPE_CHECKING:
    from distributions_fixtures import Distributions, Virtualenv

# A plugin, not an import: one definition of the session fixtures for every module that uses them.
pytest_plugins = ["distributions_fixtures"]

TWINE = Path(sys.executable).parent / "twine"
#: What a scheduler's or a worker's image must not get through the provider.
DOCS_TOOLCHAIN = {"sphinx", "docutils", "myst-parser", "sphinx-rtd-theme", "griffe", "pagefind"}


def requirements(distributions: Distributions, name: str) -> list[Requirement]:
    return [Requirement(line) for line in distributions.metadata(name).get_all("Requires-Dist") or []]


def test_twine_accepts_every_sdist_and_wheel(distributions: Distributions) -> None:
    files = sorted(distributions.folder.glob("*.tar.gz")) + sorted(distributions.folder.glob("*.whl"))
    assert len(files) == 4
    checked = subprocess.run(
        [str(TWINE), "check", "--strict", *map(str, files)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("PASSED") == 4


def test_each_wheel_carries_its_readme_as_its_description(distributions: Distributions) -> None:
    for name in ("etl-platform", "airflow-catalog"):
        metadata = distributions.metadata(name)
        assert metadata["Name"] == name
        assert metadata["Description-Content-Type"] == "text/markdown"
        assert metadata.get_payload().startswith(f"# {name}\n")


def test_the_provider_wheel_requires_nothing_of_the_docs_toolchain(distributions: Distributions) -> None:
    required = {canonicalize_name(r.name) for r in requirements(distributions, "etl-platform")}
    assert "apache-airflow" in required and "pyarrow" in required  # the field was read
    assert not required & DOCS_TOOLCHAIN
    assert "airflow-catalog" not in required


def test_the_catalog_wheel_requires_what_a_build_needs_and_no_provider(distributions: Distributions) -> None:
    required = {canonicalize_name(r.name) for r in requirements(distributions, "airflow-catalog")}
    assert DOCS_TOOLCHAIN - {"docutils"} <= required  # docutils comes with Sphinx
    assert "etl-platform" not in required
    assert not {name for name in required if name.startswith("apache-airflow-providers-")}


def test_the_catalog_wheel_carries_its_package_data_and_entry_point(distributions: Distributions) -> None:
    with zipfile.ZipFile(distributions.wheels["airflow-catalog"]) as wheel:
        names = set(wheel.namelist())
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        parsed = ConfigParser()
        parsed.read_string(wheel.read(entry_points).decode("utf-8"))
    package = "airflow_catalog/"
    static = {n for n in names if n.startswith(package + "sphinxext/_static/")}
    assert {Path(n).suffix for n in static} == {".js", ".css"}
    assert package + "sphinxext/_static/catalog.js" in static
    assert package + "sphinxext/_static/catalog.css" in static
    assert {n for n in names if n.startswith(package + "sphinxext/_templates/")} >= {
        package + "sphinxext/_templates/search.html",
        package + "sphinxext/_templates/versions.html",
    }
    assert package + "model/catalog.schema.json" in names
    # What `airflow-catalog init` writes comes from these files.
    assert package + "project_template/conf.py.tmpl" in names
    assert package + "project_template/github/workflows/docs.yml" in names
    assert dict(parsed["console_scripts"]) == {"airflow-catalog": "airflow_catalog.cli:entry_point"}


def test_the_provider_wheel_registers_with_airflow(distributions: Distributions) -> None:
    with zipfile.ZipFile(distributions.wheels["etl-platform"]) as wheel:
        (entry_points,) = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
        parsed = ConfigParser()
        parsed.read_string(wheel.read(entry_points).decode("utf-8"))
    assert dict(parsed["apache_airflow_provider"]) == {
        "provider_info": "etl_platform.get_provider_info:get_provider_info"
    }


def test_airflow_lists_the_provider_installed_from_its_wheel_alone(
    distributions: Distributions, provider_virtualenv: Virtualenv
) -> None:
    venv = provider_virtualenv
    installed = venv.distributions()
    assert "etl-platform" in installed
    assert not installed & (DOCS_TOOLCHAIN | {"airflow-catalog"})
    listed = venv.run("airflow", "providers", "list", "--output", "json")
    assert listed.returncode == 0, listed.stderr
    # Log lines may precede the JSON on stdout.
    providers = {p["package_name"]: p for p in json.loads(listed.stdout[listed.stdout.index("[{") :])}
    assert providers["etl-platform"]["version"] == distributions.metadata("etl-platform")["Version"]
    # Imported from the virtualenv, not from the repository's source.
    where = venv.run("python", "-c", "import etl_platform; print(etl_platform.__file__)")
    assert where.stdout.strip().startswith(str(venv.folder)), where.stdout + where.stderr


#: Imports every module of a package and prints a JSON object: each module that failed, and where the
#: package was imported from.
IMPORT_EVERY_MODULE = """
import importlib, json, pkgutil, sys
package = importlib.import_module(sys.argv[1])
failed = {}
for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
    try:
        importlib.import_module(module.name)
    except Exception as error:
        failed[module.name] = f"{type(error).__name__}: {error}"
print(json.dumps({"failed": failed, "file": package.__file__}))
"""


def import_every_module(venv: Virtualenv, package: str) -> dict[str, str]:
    done = venv.run("python", "-c", IMPORT_EVERY_MODULE, package)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["file"].startswith(str(venv.folder)), result["file"]  # the wheel, not the repository
    return dict(result["failed"])


def test_every_module_of_each_wheel_imports_with_only_its_declared_dependencies(
    provider_virtualenv: Virtualenv, catalog_virtualenv: Virtualenv
) -> None:
    """A module importing something its wheel does not require (nor Airflow brings) fails here."""
    assert import_every_module(provider_virtualenv, "etl_platform") == {}
    assert import_every_module(catalog_virtualenv, "airflow_catalog") == {}
