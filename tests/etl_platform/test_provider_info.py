import importlib
import json
import subprocess
import sys
from pathlib import Path

import airflow
import jsonschema
import pytest

from etl_platform.get_provider_info import get_provider_info

INFO = get_provider_info()


def test_provider_info_follows_airflows_schema() -> None:
    schema = json.loads((Path(airflow.__file__).parent / "provider_info.schema.json").read_text())
    jsonschema.validate(INFO, schema)
    assert INFO["package-name"] == "etl-platform"


@pytest.mark.parametrize(
    "module",
    sorted(
        {
            m
            for section in ("operators", "sensors", "hooks")
            for group in INFO[section]
            for m in group["python-modules"]
        }
        | {t["python-module"] for t in INFO["transfers"]}
    ),
)
def test_every_listed_module_imports(module: str) -> None:
    importlib.import_module(module)


def test_connection_types_name_real_hooks() -> None:
    for connection in INFO["connection-types"]:
        module, _, name = connection["hook-class-name"].rpartition(".")
        hook = getattr(importlib.import_module(module), name)
        assert hook.conn_type == connection["connection-type"] and hook.hook_name == connection["hook-name"]


def test_airflow_lists_the_provider_and_its_connection_type() -> None:
    def airflow_cli(*arguments: str) -> list[dict]:
        done = subprocess.run(
            [sys.executable, "-m", "airflow", *arguments, "--output", "json"],
            capture_output=True,
            text=True,
            check=True,
        )
        # Log lines may precede the JSON on stdout.
        return json.loads(done.stdout[done.stdout.index("[{") :])

    providers = {p["package_name"]: p for p in airflow_cli("providers", "list")}
    assert providers["etl-platform"]["version"] == INFO["versions"][0]
    hooks = {h["connection_type"]: h for h in airflow_cli("providers", "hooks")}
    assert hooks["etl_archive"]["class"] == "etl_platform.hooks.archive.ArchiveHook"
