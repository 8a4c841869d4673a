"""What changed between two catalogs: classes and parameters, breaking changes marked, three formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airflow_catalog.changes.diff import Change, diff_catalogs, load_catalog, print_changes
from airflow_catalog.cli import main as cli
from airflow_catalog.model.catalog import Catalog, CatalogEntry, Kind, Parameter


def entry(path: str, *parameters: Parameter, kind: Kind = Kind.OPERATOR) -> CatalogEntry:
    module, _, name = path.rpartition(".")
    return CatalogEntry(
        import_path=path,
        name=name,
        module=module,
        kind=kind,
        package="p",
        package_version="1",
        parameters=parameters,
    )


def param(
    name: str, default: str | None = None, description: str = "", type_: str | None = "str"
) -> Parameter:
    return Parameter(
        name=name, type=type_, default=default, required=default is None, description=description
    )


OLD = Catalog(
    entries=(
        entry(
            "p.ops.KeptOperator", param("endpoint"), param("timeout", "30", "seconds to wait for the source")
        ),
        entry("p.ops.GoneOperator"),
        entry("p.hooks.http.ApiHook", param("conn_id", "'api_default'"), kind=Kind.HOOK),
        entry("p.ops.TunedOperator", param("limit", "10"), param("retries", "3"), param("mode", "'poke'")),
    )
)
NEW = Catalog(
    entries=(
        entry(
            "p.ops.KeptOperator",
            param("endpoint"),
            param("timeout_seconds", "30", "seconds to wait for the source."),
            param("on_empty", "'fail'"),
        ),
        entry("p.ops.FreshOperator", param("x")),
        entry("p.hooks.api.ApiHook", param("conn_id", "'api_default'"), kind=Kind.HOOK),
        entry(
            "p.ops.TunedOperator", param("limit", "100"), param("retries", "3"), param("mode"), param("table")
        ),
    )
)


def test_classes_added_removed_and_moved_are_found() -> None:
    changes = diff_catalogs(OLD, NEW)
    kinds = {item.import_path: (item.change, item.breaking) for item in changes.classes}
    assert kinds == {
        "p.ops.FreshOperator": (Change.ADDED, False),
        "p.ops.GoneOperator": (Change.REMOVED, True),
        "p.hooks.api.ApiHook": (Change.MOVED, True),
        "p.ops.KeptOperator": (Change.CHANGED, True),
        "p.ops.TunedOperator": (Change.CHANGED, True),
    }
    moved = changes.of(Change.MOVED)[0]
    assert moved.moved_from == "p.hooks.http.ApiHook" and moved.parameters == ()


def test_parameters_renamed_added_and_given_new_defaults() -> None:
    changes = {item.import_path: item for item in diff_catalogs(OLD, NEW).classes}
    kept = [(p.change, p.name, p.old_name, p.breaking) for p in changes["p.ops.KeptOperator"].parameters]
    # The description moved with the parameter: a rename, which breaks callers of the old keyword.
    assert kept == [
        (Change.ADDED, "on_empty", None, False),
        (Change.RENAMED, "timeout_seconds", "timeout", True),
    ]
    assert changes["p.ops.KeptOperator"].breaking
    tuned = {p.name: p for p in changes["p.ops.TunedOperator"].parameters}
    assert set(tuned) == {"limit", "mode", "table"}
    assert (tuned["limit"].change, tuned["limit"].old_default, tuned["limit"].new_default) == (
        Change.DEFAULT,
        "10",
        "100",
    )
    assert not tuned["limit"].breaking
    assert tuned["mode"].change is Change.REQUIRED and tuned["mode"].breaking
    assert tuned["table"].change is Change.ADDED and tuned["table"].breaking


def test_removed_parameters_without_a_look_alike_are_removals() -> None:
    old = Catalog(entries=(entry("p.A", param("a", "1", "one thing"), param("b", "2")),))
    new = Catalog(entries=(entry("p.A", param("c", "1", "something else entirely")),))
    (item,) = diff_catalogs(old, new).classes
    assert [(p.change, p.name, p.breaking) for p in item.parameters] == [
        (Change.REMOVED, "a", True),
        (Change.REMOVED, "b", True),
        (Change.ADDED, "c", False),
    ]


def test_identical_catalogs_have_no_changes() -> None:
    changes = diff_catalogs(NEW, NEW)
    assert changes.classes == () and changes.summary() == "No class was added, removed or changed."


def write(tmp_path: Path, name: str, catalog: Catalog) -> Path:
    path = tmp_path / name
    path.write_text(catalog.dumps())
    return path


def test_the_diff_verb_prints_text_json_and_markdown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = write(tmp_path, "old.json", OLD), write(tmp_path, "new.json", NEW)
    assert cli(["diff", str(old), str(new)]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0] == "1 added, 1 removed, 1 moved, 2 changed; 4 breaking."
    assert "- p.ops.GoneOperator [operator] removed  BREAKING" in text
    assert "    `timeout` renamed to `timeout_seconds`  BREAKING" in text
    assert print_changes(old, new, "json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["breaking"] == 4 and len(data["classes"]) == 5
    print_changes(old, new, "markdown")
    markdown = capsys.readouterr().out
    assert "## Classes removed\n\n- `p.ops.GoneOperator` (operator) — **breaking**" in markdown
    assert "  - `limit`: default `10` → `100`\n" in markdown


def test_a_file_that_is_not_a_catalog_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("<html>")
    with pytest.raises(ValueError, match=r"bad\.json is not JSON"):
        load_catalog(bad)
    other = tmp_path / "other.json"
    other.write_text('{"schema_version": 99}')
    assert cli(["diff", str(other), str(bad)]) == 1
    assert "schema_version 99" in capsys.readouterr().err


def build_changes_page(tmp_path: Path, **overrides: str) -> str:
    import io
    import shutil

    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace

    source = tmp_path / "src"
    shutil.copytree(Path(__file__).parents[1] / "roots" / "test-versioned", source)
    warnings = io.StringIO()
    with docutils_namespace():
        app = Sphinx(
            str(source),
            str(source),
            str(tmp_path / "html"),
            str(tmp_path / "doctrees"),
            "html",
            confoverrides={"catalog_version": "1.2.0", **overrides},
            status=None,
            warning=warnings,
        )
        app.build()
    assert app.statuscode == 0 or overrides, warnings.getvalue()
    return (tmp_path / "html" / "changes.html").read_text() + warnings.getvalue()


def test_the_changes_page_of_a_first_version_says_so(tmp_path: Path) -> None:
    page = build_changes_page(tmp_path)
    assert "<h1>Changes in the catalog" in page
    assert "1.2.0 is the first published version: there is nothing to compare." in page


def test_the_changes_page_compares_with_the_previous_catalog(tmp_path: Path) -> None:
    write(tmp_path, "old.json", OLD)
    write(tmp_path, "new.json", NEW)
    page = build_changes_page(
        tmp_path,
        catalog_previous_json=str(tmp_path / "old.json"),
        catalog_previous_version="1.1.0",
        catalog_current_json=str(tmp_path / "new.json"),
    )
    assert "<h1>Changes in the catalog since 1.1.0" in page
    assert "1 added, 1 removed, 1 moved, 2 changed; 4 breaking." in page
    assert (
        '<code class="docutils literal notranslate"><span class="pre">p.ops.GoneOperator</span></code>'
        in page
    )
    assert "WARNING" not in page


def test_a_missing_previous_catalog_is_a_warning_naming_the_setting(tmp_path: Path) -> None:
    page = build_changes_page(tmp_path, catalog_previous_json=str(tmp_path / "nowhere.json"))
    assert "WARNING: cannot read the previous catalog" in page and "set catalog_previous_json" in page


def test_without_the_current_catalog_the_page_says_what_to_load(tmp_path: Path) -> None:
    write(tmp_path, "old.json", OLD)
    page = build_changes_page(tmp_path, catalog_previous_json=str(tmp_path / "old.json"))
    assert "WARNING: the page of changes needs this version's catalog" in page
    assert "set catalog_current_json" in page
