from __future__ import annotations

from collections import Counter

from airflow_catalog.collect.catalog import collect_catalog


def test_http_catalog_has_the_provider_metadata_and_every_kind(http_catalog):
    (package,) = http_catalog.packages
    assert package.import_name == "airflow.providers.http" and not package.is_own
    kinds = Counter(entry.kind.value for entry in http_catalog.entries)
    assert kinds["operator"] >= 1 and kinds["sensor"] >= 1 and kinds["hook"] >= 2 and kinds["trigger"] >= 1
    assert all(entry.package_version == package.version for entry in http_catalog.entries)
    # The notifier's module is not listed in the provider info: it gets the provider's only integration.
    assert {entry.integration for entry in http_catalog.entries} == {"Hypertext Transfer Protocol (HTTP)"}
    assert http_catalog.import_problems == ()


def test_findings_of_upstream_packages_are_computed(http_catalog):
    assert http_catalog.findings
    paths = {entry.import_path for entry in http_catalog.entries}
    assert all(finding.import_path in paths for finding in http_catalog.findings)


def test_a_package_listed_inside_another_is_catalogued_once():
    catalog = collect_catalog(
        ["airflow.providers.http", "airflow.providers.http.hooks", "airflow.providers.http"]
    )
    paths = [entry.import_path for entry in catalog.entries]
    assert len(paths) == len(set(paths))
    assert [p.import_name for p in catalog.packages] == [
        "airflow.providers.http",
        "airflow.providers.http.hooks",
    ]


def test_excluded_modules_leave_no_entries_and_no_problems():
    catalog = collect_catalog(["hostile_pkg"], exclude=["hostile_pkg.broken"])
    assert catalog.import_problems == ()
    assert not any(entry.module.startswith("hostile_pkg.broken") for entry in catalog.entries)
    assert any(entry.name == "WidgetOperator" for entry in catalog.entries)


def test_own_packages_make_findings_errors():
    catalog = collect_catalog(["airflow.providers.http"], own=["airflow.providers.http"])
    assert catalog.packages[0].is_own
    assert {finding.severity.value for finding in catalog.findings} == {"error"}


def test_every_other_class_is_catalogued_when_modules_fail(hostile_catalog):
    names = {entry.name for entry in hostile_catalog.entries}
    assert len(hostile_catalog.import_problems) == 3
    assert {
        "WidgetOperator",
        "WidgetHook",
        "WidgetSensor",
        "WidgetTrigger",
        "WidgetNotifier",
        "WidgetToGadgetOperator",
        "KwargsOnlyOperator",
        "UnresolvableAnnotationOperator",
        "PositionalOnlyOperator",
        "HtmlDocstringOperator",
        "VendorOperator",
        "ExplodingHook",
    } <= names


WEIRD_MODULE = '''
from airflow.sdk import BaseOperator


class _Meta(type(BaseOperator)):
    @property
    def template_ext(cls):
        raise RuntimeError("template_ext is computed from a service that is not there")


class WeirdOperator(BaseOperator, metaclass=_Meta):
    """Break inspection through its metaclass.

    :param size: how big.
    """

    def __init__(self, *, size: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.size = size

    def execute(self, context):
        return self.size
'''


def test_a_class_that_breaks_inspection_is_read_from_its_source(tmp_path, monkeypatch):
    package = tmp_path / "weird_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "operators.py").write_text(WEIRD_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    catalog = collect_catalog(["weird_pkg"])
    (weird,) = catalog.entries
    assert weird.name == "WeirdOperator" and weird.imported is False
    own = [(p.name, p.default, p.description) for p in weird.parameters if p.origin.startswith("weird_pkg.")]
    assert own == [("size", "1", "how big.")]
    # Airflow's base class still answers for what it accepts, with its own descriptions.
    task_id = next(p for p in weird.parameters if p.name == "task_id")
    assert task_id.required and task_id.description.startswith("a unique, meaningful id")


UNREADABLE_SIGNATURE = '''
from airflow.sdk import BaseHook


class UnreadableSignatureHook(BaseHook):
    """Carry a signature object that inspect refuses.

    (Airflow's operator metaclass reads the signature when the class is made, so only a hook,
    trigger or notifier can get this far.)

    :param level: how deep.
    """

    def __init__(self, level: int = 3, **kwargs):
        super().__init__(**kwargs)
        self.level = level

    __init__.__signature__ = "not a signature"
'''


def test_an_init_whose_signature_cannot_be_read_is_read_from_its_source_and_named(tmp_path, monkeypatch):
    package = tmp_path / "unreadable_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "hooks.py").write_text(UNREADABLE_SIGNATURE)
    monkeypatch.syspath_prepend(str(tmp_path))
    catalog = collect_catalog(["unreadable_pkg"])
    # autodoc would fail on the class ("Failed to get a constructor signature"): it is named, and
    # marked for the pages to be written from the catalog alone.
    (problem,) = catalog.import_problems
    assert problem.module == "unreadable_pkg.hooks"
    assert problem.error.startswith("the signature of UnreadableSignatureHook (TypeError: unexpected object")
    assert "--exclude unreadable_pkg.hooks" in problem.hint
    (entry,) = catalog.entries
    assert entry.imported is False
    assert [(p.name, p.type, p.default, p.description) for p in entry.parameters][:1] == [
        ("level", "int", "3", "how deep.")
    ]
    assert [p.origin for p in entry.parameters[1:]] == ["airflow.sdk.bases.hook.BaseHook"]
