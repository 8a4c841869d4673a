"""'Deferrable' is measured: some class of the operator's own lineage calls ``self.defer(...)`` (issue 14)."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator

import pytest

from airflow_catalog.collect.catalog import collect_catalog
from airflow_catalog.model.catalog import CatalogEntry

MODULES = {
    "__init__.py": "",
    "base.py": '''
        from airflow.sdk import BaseOperator


        class DeferringBase(BaseOperator):
            """Defer to the triggerer, always."""

            def execute(self, context):
                self.defer(trigger=None, method_name="done")
    ''',
    "ops.py": '''
        from airflow.sdk import BaseOperator

        from defer_pkg.base import DeferringBase


        class ParamOnlyOperator(BaseOperator):
            """Take a deferrable flag and never act on it."""

            def __init__(self, *, deferrable: bool = False, **kwargs):
                super().__init__(**kwargs)
                self.deferrable = deferrable

            def execute(self, context):
                return 1


        class AlwaysDefersOperator(BaseOperator):
            """Defer in its own execute."""

            def execute(self, context):
                self.defer(trigger=None, method_name="done")


        class InheritsDeferralOperator(DeferringBase):
            """Defer through a base class of another module."""
    ''',
}


@pytest.fixture(scope="module")
def entries(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, CatalogEntry]]:
    root = tmp_path_factory.mktemp("deferral")
    package = root / "defer_pkg"
    package.mkdir()
    for name, text in MODULES.items():
        (package / name).write_text(textwrap.dedent(text))
    sys.path.insert(0, str(root))
    try:
        catalog = collect_catalog(["defer_pkg"], own=["defer_pkg"])
        yield {entry.name: entry for entry in catalog.entries}
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name.split(".")[0] == "defer_pkg"]:
            del sys.modules[name]


def test_a_deferrable_parameter_that_never_defers_is_not_deferrable(entries: dict[str, CatalogEntry]) -> None:
    entry = entries["ParamOnlyOperator"]
    assert "deferrable" in {parameter.name for parameter in entry.parameters}
    assert (entry.deferrable, entry.deferrable_known) == (False, True)


@pytest.mark.parametrize("name", ["AlwaysDefersOperator", "InheritsDeferralOperator", "DeferringBase"])
def test_a_class_whose_lineage_calls_self_defer_is_deferrable(
    entries: dict[str, CatalogEntry], name: str
) -> None:
    assert (entries[name].deferrable, entries[name].deferrable_known) == (True, True)
