from __future__ import annotations

import json

import pytest

from airflow_catalog.model.catalog import SCHEMA_VERSION, Catalog, Kind


def test_a_real_catalog_survives_a_round_trip_through_json(hostile_catalog, tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text(hostile_catalog.dumps(), encoding="utf-8")
    loaded = Catalog.load(path)
    assert loaded == hostile_catalog
    assert isinstance(loaded.entries[0].kind, Kind)


def test_dumps_is_stable_and_keeps_html_as_text(hostile_catalog):
    text = hostile_catalog.dumps()
    assert text == Catalog.from_json(json.loads(text)).dumps()
    assert '<script>alert(\\"catalog\\")</script>' in text


def test_a_catalog_of_another_schema_version_is_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"schema_version 99.*rebuild it"):
        Catalog.from_json({"schema_version": 99})


def test_new_fields_have_defaults_so_older_files_still_load():
    old = {"schema_version": SCHEMA_VERSION, "import_problems": [{"module": "m", "error": "e", "hint": "h"}]}
    (problem,) = Catalog.from_json(old).import_problems
    assert (problem.path, problem.line) == ("", 0)
