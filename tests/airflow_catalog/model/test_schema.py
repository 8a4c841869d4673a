from __future__ import annotations

import dataclasses
import json
from importlib.resources import files

import jsonschema
import pytest

from airflow_catalog.cli import main
from airflow_catalog.model import catalog as model

SCHEMA = json.loads(
    files("airflow_catalog.model").joinpath("catalog.schema.json").read_text(encoding="utf-8")
)


def test_the_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("package", ["hostile_pkg", "airflow.providers.http"])
def test_real_catalog_json_validates(tmp_path, package):
    output = tmp_path / "catalog.json"
    assert main(["json", package, "--output", str(output)]) == 0
    jsonschema.Draft202012Validator(SCHEMA).validate(json.loads(output.read_text()))


@pytest.mark.parametrize(
    "cls",
    [
        model.Parameter,
        model.Deprecation,
        model.HookIdentity,
        model.Example,
        model.SourceLocation,
        model.CatalogEntry,
        model.ConnectionType,
        model.PackageInfo,
        model.ImportProblem,
        model.Finding,
    ],
)
def test_schema_and_model_name_the_same_fields(cls):
    definition = SCHEMA["$defs"][cls.__name__]
    fields = [f.name for f in dataclasses.fields(cls)]
    assert sorted(definition["properties"]) == sorted(fields)
    assert sorted(definition["required"]) == sorted(fields)


def test_schema_version_is_the_model_version():
    assert SCHEMA["properties"]["schema_version"]["const"] == model.SCHEMA_VERSION
    assert sorted(SCHEMA["required"]) == sorted(f.name for f in dataclasses.fields(model.Catalog))


def test_schema_rejects_what_a_reader_would_misread(hostile_catalog):
    data = hostile_catalog.to_json()
    data["entries"][0]["kind"] = "dag"
    with pytest.raises(jsonschema.ValidationError, match="'dag' is not one of"):
        jsonschema.validate(data, SCHEMA)
