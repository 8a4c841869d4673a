"""Upstream docstrings render as they are with zero warnings; our own broken references still warn."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from roots.catalog_site import Build, build_here, make_site

GENERATED = "catalog/_generated"
OWN_BROKEN = '''"""An operator of ours whose docstring has broken references."""

from typing import Any

from airflow.sdk import BaseOperator


class BrokenRefsOperator(BaseOperator):
    """Point at things that do not exist. |nothing_defines_this|

    See :ref:`no-such-guide`, :class:`own_pkg.operators.MissingOperator` and
    :external+boto3:py:meth:`S3.Client.get_object`.
    """

    def execute(self, context: Any) -> None:
        """Do nothing."""
'''


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """``own_pkg`` (ours) and ``vendor_pkg`` (upstream, written for Airflow's docs build)."""
    return build_here(make_site(tmp_path_factory.mktemp("vendor")))


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_upstream_docstrings_build_without_a_warning(site: Build) -> None:
    assert site.warnings == []


def test_airflow_only_markup_is_shown_meaningfully(site: Build) -> None:
    page = site.page(f"{GENERATED}/vendor_pkg.operators.BucketListOperator")
    text = text_of(page)
    # :ref: to a how-to guide of Airflow's docs: named, and linked to the published docs.
    assert "BucketListOperator (how-to guide)" in text
    assert 'href="https://airflow.apache.org/docs/' in page
    # external+boto3 roles: code, linked to boto3's reference where the target is a method.
    assert "S3.Client" in text
    hook_page = site.page(f"{GENERATED}/vendor_pkg.operators.BucketHook")
    assert "services/s3/client/list_objects_v2.html" in hook_page
    # |experimental| has no definition here: its name is shown; spelling word lists show nothing.
    assert "List the keys of a bucket. experimental" in text
    assert "word-list" not in text and "boto " not in text


def test_types_link_to_python_and_airflow_docs_without_intersphinx(site: Build) -> None:
    page = site.page(f"{GENERATED}/vendor_pkg.operators.BucketListOperator")
    assert 'href="https://docs.python.org/3/library/typing.html#typing.Any"' in page
    assert re.search(r'href="https://airflow\.apache\.org/docs/[^"]*BaseOperator"', page)


def test_an_unresolvable_annotation_is_text(site: Build) -> None:
    page = text_of(site.page(f"{GENERATED}/vendor_pkg.operators.BucketListOperator"))
    assert "Gadget" in page


def test_broken_references_of_our_own_package_still_warn(tmp_path: Path) -> None:
    source = make_site(tmp_path)
    (source / "pkgs" / "own_pkg" / "broken_refs.py").write_text(OWN_BROKEN, encoding="utf-8")
    warnings = "\n".join(build_here(source).warnings)
    assert "undefined label: 'no-such-guide'" in warnings
    assert "py:class reference target not found: own_pkg.operators.MissingOperator" in warnings
    assert 'Undefined substitution referenced: "nothing_defines_this"' in warnings
    assert 'Unknown interpreted text role "external+boto3:py:meth"' in warnings


def test_a_real_provider_builds_without_a_warning(tmp_path: Path) -> None:
    build = build_here(
        make_site(tmp_path), catalog_packages=["airflow.providers.http"], catalog_own_packages=[]
    )
    assert build.warnings == []
    page = build.page(f"{GENERATED}/airflow.providers.http.operators.http.HttpOperator")
    assert "HttpOperator (how-to guide)" in text_of(page) or "(how-to guide)" in text_of(page)


def test_quotes_in_code_like_text_stay_straight(site: Build) -> None:
    # The docstring says: e.g. "second". Typographic quotes would not be the string to pass.
    page = site.page(f"{GENERATED}/own_pkg.operators.SecondOperator")
    assert "“second”" not in page and "&#8220;second" not in page
    assert "&quot;second&quot;" in page or '"second"' in page
