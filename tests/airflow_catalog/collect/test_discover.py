from __future__ import annotations

import importlib.metadata

import pytest

from airflow_catalog.collect.catalog import collect_catalog
from airflow_catalog.collect.problems import problem_for
from airflow_catalog.collect.provider_info import package_info
from airflow_catalog.collect.sources import ModuleSource, PackageNotFoundError, walk_package
from airflow_catalog.model.catalog import Kind


def test_walk_lists_every_module_but_example_dags_without_importing():
    names = [m.name for m in walk_package("hostile_pkg").modules]
    assert "hostile_pkg.broken.syntax_error" in names
    assert "hostile_pkg.operators.odd" in names
    assert not any("example_dags" in name for name in names)
    assert all(m.module is None for m in walk_package("hostile_pkg").modules)


def test_walk_leaves_out_excluded_modules_and_their_submodules():
    names = [m.name for m in walk_package("hostile_pkg", exclude=["hostile_pkg.broken"]).modules]
    assert not any(name.startswith("hostile_pkg.broken") for name in names)
    assert "hostile_pkg.hooks.widget" in names


def test_unknown_package_is_a_clear_error_naming_it():
    with pytest.raises(PackageNotFoundError, match=r"cannot find package 'hostile_pkg_typo'.*spelling"):
        walk_package("hostile_pkg_typo")


@pytest.mark.parametrize(
    ("module", "error", "hint"),
    [
        (
            "hostile_pkg.broken.missing_dependency",
            "No module named 'airflow.providers.nonexistent_vendor'",
            "pip install apache-airflow-providers-nonexistent-vendor",
        ),
        ("hostile_pkg.broken.syntax_error", "SyntaxError", "fix the syntax error at"),
        ("hostile_pkg.broken.raises_at_import", "WIDGET_REGISTRY is unset", "raised RuntimeError while"),
    ],
)
def test_each_broken_module_is_one_problem_with_its_error_and_fix(hostile_catalog, module, error, hint):
    problems = [p for p in hostile_catalog.import_problems if p.module == module]
    assert len(problems) == 1
    assert error in problems[0].error
    assert hint in problems[0].hint
    assert f"--exclude {module}" in problems[0].hint
    assert problems[0].path == module.replace(".", "/") + ".py"


def test_syntax_error_problem_points_at_its_line(hostile_catalog):
    (problem,) = [p for p in hostile_catalog.import_problems if p.module.endswith("syntax_error")]
    assert problem.line == 7


def test_only_the_broken_modules_fail(hostile_catalog):
    assert {p.module.rsplit(".", 1)[1] for p in hostile_catalog.import_problems} == {
        "missing_dependency",
        "syntax_error",
        "raises_at_import",
    }


def test_classes_of_modules_that_fail_to_import_are_read_from_source(hostile_catalog):
    static = {e.name: e for e in hostile_catalog.entries if not e.imported}
    assert set(static) == {"VendorOperator", "VendorBatchOperator", "ExplodingHook"}
    assert static["VendorOperator"].kind is Kind.OPERATOR
    assert static["ExplodingHook"].kind is Kind.HOOK


def test_every_kind_is_recognised(hostile_catalog):
    kinds = {e.name: e.kind for e in hostile_catalog.entries}
    assert kinds["WidgetOperator"] is Kind.OPERATOR
    assert kinds["WidgetSensor"] is Kind.SENSOR
    assert kinds["WidgetHook"] is Kind.HOOK
    assert kinds["WidgetTrigger"] is Kind.TRIGGER
    assert kinds["WidgetNotifier"] is Kind.NOTIFIER
    assert kinds["WidgetToGadgetOperator"] is Kind.TRANSFER
    # In a transfers module, a class is a transfer whatever its name.
    assert kinds["WidgetCopier"] is Kind.TRANSFER


def test_private_classes_and_imported_names_are_not_catalogued(hostile_catalog):
    names = [e.name for e in hostile_catalog.entries]
    assert "_PrivateOperator" not in names
    # WidgetHook is imported into three modules but defined in one.
    assert [e.import_path for e in hostile_catalog.entries if e.name == "WidgetHook"] == [
        "hostile_pkg.hooks.widget.WidgetHook"
    ]
    assert len(names) == len(set(names))


def test_abstract_bases_and_operators_that_cannot_run_are_left_out():
    names = {e.name for e in collect_catalog(["airflow.providers.common.sql"]).entries}
    # BaseSQLOperator keeps BaseOperator.execute: only a base for the others.
    assert "BaseSQLOperator" not in names
    assert {"SQLExecuteQueryOperator", "SQLCheckOperator", "DbApiHook", "SqlSensor"} <= names


def test_provider_metadata_comes_from_the_entry_point():
    package, integrations = package_info("airflow.providers.http", own=None)
    assert package.distribution == "apache-airflow-providers-http"
    assert package.version == importlib.metadata.version("apache-airflow-providers-http")
    assert package.name == "Hypertext Transfer Protocol (HTTP)"
    assert [c.conn_type for c in package.connection_types] == ["http"]
    assert package.connection_types[0].hook_class == "airflow.providers.http.hooks.http.HttpHook"
    assert integrations["airflow.providers.http.operators.http"] == "Hypertext Transfer Protocol (HTTP)"
    assert package.is_own is False


def test_a_sub_package_of_a_provider_gets_the_provider_metadata():
    package, _ = package_info("airflow.providers.common.sql.operators", own=None)
    assert package.distribution == "apache-airflow-providers-common-sql"


def test_package_without_entry_point_or_distribution():
    package, integrations = package_info("hostile_pkg", own=None)
    assert (package.distribution, package.version, package.is_own) == ("hostile_pkg", "unknown", True)
    assert integrations == {}


def test_configured_own_packages_override_the_distribution_rule():
    assert package_info("airflow.providers.http", own=["airflow.providers.http"])[0].is_own is True
    assert package_info("hostile_pkg", own=["etl_platform"])[0].is_own is False


@pytest.mark.parametrize(
    ("missing", "source_text", "expected"),
    [
        (
            "airflow.providers.google",
            "from airflow.providers.google.cloud.hooks.gcs import GCSHook",
            "apache-airflow-providers-google",
        ),
        (
            "airflow.providers.cncf",
            "from airflow.providers.cncf.kubernetes.utils import pod_manager",
            "apache-airflow-providers-cncf-kubernetes",
        ),
        ("duckdb", "import duckdb", "pip install duckdb"),
        (
            "pkg.gone",
            "from pkg.gone import thing",
            "imports 'pkg.gone', which its own package 'pkg' does not have",
        ),
    ],
)
def test_hint_names_the_distribution_to_install(tmp_path, missing, source_text, expected):
    module_file = tmp_path / "mod.py"
    module_file.write_text(source_text + "\n")
    error = ModuleNotFoundError(f"No module named {missing!r}", name=missing)
    problem = problem_for(ModuleSource("pkg.mod", module_file), error)
    assert expected in problem.hint
