"""The extraction cache, exercised as builds use it: one fresh process per collection."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]

MODULES = {
    "__init__.py": "",
    "base.py": '''
        from airflow.sdk import BaseOperator


        class ThingBaseOperator(BaseOperator):
            """Arguments every thing operator takes.

            :param thing_conn_id: the connection to the thing service.
            """

            def __init__(self, *, thing_conn_id: str = "thing_default", **kwargs):
                super().__init__(**kwargs)
                self.thing_conn_id = thing_conn_id

            def execute(self, context):
                return None
    ''',
    "ops.py": '''
        from cached_pkg.base import ThingBaseOperator


        class ThingOperator(ThingBaseOperator):
            """Fetch a thing.

            :param name: which thing.
            """

            def __init__(self, *, name: str, **kwargs):
                super().__init__(**kwargs)
                self.name = name
    ''',
    "other.py": '''
        from airflow.sdk import BaseOperator


        class OtherOperator(BaseOperator):
            """Do something else.

            :param size: how much.
            """

            def __init__(self, *, size: int = 1, **kwargs):
                super().__init__(**kwargs)
                self.size = size

            def execute(self, context):
                return self.size
    ''',
}

#: Every module of the package notes in a log when it is imported, so the test sees what was imported.
LOG_LINE = (
    "import os, pathlib\nwith open(os.environ['IMPORT_LOG'], 'a') as log:\n    log.write(__name__ + '\\n')\n"
)

COLLECT = """
import json, sys
from pathlib import Path
from airflow_catalog.collect.catalog import collect_catalog
catalog = collect_catalog(["cached_pkg"], cache=Path(sys.argv[1]))
print(json.dumps({"catalog": catalog.to_json(), "airflow_imported": "airflow" in sys.modules}))
"""


PROVIDER_INFO = """
def get_provider_info():
    return {"package-name": "cached-pkg", "name": "Things v1", "description": "Things.",
            "connection-types": []}
"""


@pytest.fixture
def project(tmp_path):
    package = tmp_path / "src" / "cached_pkg"
    package.mkdir(parents=True)
    for name, text in MODULES.items():
        (package / name).write_text(LOG_LINE + textwrap.dedent(text))
    # An installed distribution with a provider entry point, as `pip install -e` leaves one.
    (package / "get_provider_info.py").write_text(PROVIDER_INFO)
    dist_info = tmp_path / "src" / "cached_pkg-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: cached-pkg\nVersion: 1.0\n")
    (dist_info / "entry_points.txt").write_text(
        "[apache_airflow_provider]\nprovider_info = cached_pkg.get_provider_info:get_provider_info\n"
    )
    return tmp_path


def collect(project: Path) -> tuple[dict, list[str], bool]:
    """Collect in a fresh process; return the catalog, the modules it imported, whether Airflow was."""
    log = project / "imports.log"
    log.write_text("")
    env = {**os.environ, "IMPORT_LOG": str(log), "PYTHONPATH": str(project / "src")}
    proc = subprocess.run(
        [sys.executable, "-c", COLLECT, str(project / "cache" / "catalog-cache.json")],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return result["catalog"], sorted(set(log.read_text().split())), result["airflow_imported"]


def entry(catalog: dict, name: str) -> dict:
    (found,) = [e for e in catalog["entries"] if e["name"] == name]
    return found


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_unchanged_files_are_not_imported_again_and_give_the_same_catalog(project):
    first, imported, _ = collect(project)
    assert imported == ["cached_pkg", "cached_pkg.base", "cached_pkg.ops", "cached_pkg.other"]
    assert (first["packages"][0]["distribution"], first["packages"][0]["name"]) == ("cached-pkg", "Things v1")
    second, imported_again, airflow_imported = collect(project)
    assert imported_again == []
    assert airflow_imported is False
    assert second == first


def test_a_docstring_edit_reimports_only_that_module(project):
    collect(project)
    edit(project / "src/cached_pkg/ops.py", "Fetch a thing.", "Fetch one thing, by name.")
    catalog, imported, _ = collect(project)
    assert entry(catalog, "ThingOperator")["summary"] == "Fetch one thing, by name."
    assert "cached_pkg.other" not in imported and "cached_pkg.ops" in imported
    assert entry(catalog, "OtherOperator")["summary"] == "Do something else."


def test_an_edit_to_a_base_class_refreshes_the_classes_that_inherit_its_parameters(project):
    collect(project)
    edit(
        project / "src/cached_pkg/base.py",
        "the connection to the thing service.",
        "which thing service to call.",
    )
    catalog, imported, _ = collect(project)
    inherited = {p["name"]: p for p in entry(catalog, "ThingOperator")["parameters"]}["thing_conn_id"]
    assert inherited["description"] == "which thing service to call."
    assert "cached_pkg.other" not in imported


def test_a_removed_module_leaves_the_catalog_and_a_new_one_joins_it(project):
    collect(project)
    (project / "src/cached_pkg/other.py").rename(project / "src/cached_pkg/renamed.py")
    catalog, imported, _ = collect(project)
    assert entry(catalog, "OtherOperator")["module"] == "cached_pkg.renamed"
    assert "cached_pkg.ops" not in imported


def test_a_corrupt_cache_file_is_ignored(project):
    first, _, _ = collect(project)
    (project / "cache" / "catalog-cache.json").write_text("{not json")
    catalog, imported, _ = collect(project)
    assert catalog == first
    assert "cached_pkg.other" in imported


def test_an_edit_to_the_provider_info_refreshes_the_package_metadata(project):
    collect(project)
    edit(project / "src/cached_pkg/get_provider_info.py", "Things v1", "Things, second edition")
    catalog, imported, _ = collect(project)
    assert catalog["packages"][0]["name"] == "Things, second edition"
    # Only the provider-info module itself (and so its package) is imported again.
    assert imported == ["cached_pkg"]


def test_a_module_added_to_the_provider_info_gets_its_integration_from_the_cache(project):
    # The stale page of issue 15: a cached entry kept the integration of the metadata it was read with.
    first, _, _ = collect(project)
    assert entry(first, "ThingOperator")["integration"] is None
    edit(
        project / "src/cached_pkg/get_provider_info.py",
        '"connection-types": []}',
        '"connection-types": [], "integrations": [{"integration-name": "Thing"}, '
        '{"integration-name": "Other"}], "operators": '
        '[{"integration-name": "Thing", "python-modules": ["cached_pkg.ops"]}]}',
    )
    catalog, imported, _ = collect(project)
    assert entry(catalog, "ThingOperator")["integration"] == "Thing"
    assert entry(catalog, "OtherOperator")["integration"] is None
    assert "cached_pkg.ops" not in imported  # the module itself was not read again
