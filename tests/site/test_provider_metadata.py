"""Everything a provider declares is on the site: truth taken from the providers themselves (issue 14).

Every list-valued section of ``get_provider_info()`` (its versions aside) of every catalogued
provider is on the provider's package page, item by item; the URI schemes are on the schemes page;
and a section that the catalog does not know fails a test naming it, for every installed provider,
so that a section a future Airflow adds is noticed instead of shown as bare text.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html import unescape
from importlib.metadata import entry_points
from typing import Any

import pytest
from site_build import SiteBuild

from airflow_catalog.collect.provider_sections import (
    READERS,
    list_sections,
    provider_items,
    unknown_sections,
)
from airflow_catalog.pages.provider_items import SCHEME_SECTIONS


def installed_providers() -> dict[str, dict[str, Any]]:
    """Every installed provider's metadata, by the import name of the package that declares it."""
    found = {}
    for point in entry_points(group="apache_airflow_provider"):
        package = point.module.rsplit(".", 1)[0]
        found[package] = point.load()()
    return found


def visible_text(html: str) -> str:
    """The text a reader sees: tags removed, entities decoded, spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_every_section_of_every_installed_provider_is_known() -> None:
    providers = installed_providers()
    assert len(providers) >= 10
    unknown = {
        f"{info.get('package-name')}: {section}"
        for info in providers.values()
        for section in unknown_sections(info)
    }
    assert not unknown, f"sections the catalog does not know (add a reader to READERS): {sorted(unknown)}"
    seen = {section for info in providers.values() for section in list_sections(info)}
    # The environment exercises the sections issue 14 names, not only operators and hooks.
    assert {"task-decorators", "extra-links", "executors", "secrets-backends", "logging"} <= seen
    assert {"filesystems", "asset-uris", "remote-logging", "dialects", "queues", "bundles"} <= seen
    assert seen <= set(READERS)


def test_every_item_of_every_catalogued_provider_is_on_its_package_page(site: SiteBuild) -> None:
    catalog = json.loads((site.html / "catalog.json").read_text(encoding="utf-8"))
    providers = installed_providers()
    checked = 0
    for package in catalog["packages"]:
        info = next(
            (info for name, info in providers.items() if package["import_name"].startswith(name)), None
        )
        if info is None:
            continue
        page = visible_text(
            (site.html / "catalog" / "_generated" / f"package-{package['import_name']}.html").read_text()
        )
        for item in provider_items(info):
            assert item.name in page, f"{package['import_name']}: {item.section} item {item.name!r}"
            if item.target and "." in item.target:
                # A catalogued class is linked by its name; anything else is shown by its path.
                assert item.target in page or item.target.rsplit(".", 1)[-1] in page, item
            checked += 1
    assert checked >= 50


def test_the_schemes_page_lists_every_scheme_of_the_catalogued_providers(site: SiteBuild) -> None:
    catalog = json.loads((site.html / "catalog.json").read_text(encoding="utf-8"))
    page = visible_text((site.html / "catalog" / "_generated" / "schemes.html").read_text())
    schemes = [
        item
        for package in catalog["packages"]
        for item in package["provider_items"]
        if item["section"] in SCHEME_SECTIONS
    ]
    assert {"postgres", "postgresql", "ftp"} <= {item["name"] for item in schemes}
    for item in schemes:
        assert f"{item['name']} {SCHEME_SECTIONS[item['section']]}" in page, item


@pytest.mark.parametrize(
    ("module", "schemes"),
    [
        ("airflow.providers.amazon.aws.fs.s3", ("s3", "s3a", "s3n")),
        ("airflow.providers.sftp.fs.sftp", ("sftp", "ssh")),
    ],
)
def test_a_filesystems_schemes_are_read_from_its_source_without_importing_it(
    module: str, schemes: tuple[str, ...]
) -> None:
    # In a fresh process: another test may have imported the module in this one.
    code = (
        "import sys; from airflow_catalog.collect.provider_sections import filesystem_schemes; "
        f"print(filesystem_schemes({module!r}), {module!r} in sys.modules)"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.split()[-1] == "False"
    assert output.strip() == f"{schemes!r} False"


def test_each_extra_link_is_on_the_page_of_the_operator_that_shows_it(site: SiteBuild) -> None:
    catalog = json.loads((site.html / "catalog.json").read_text(encoding="utf-8"))
    declared = {
        item["target"]
        for package in catalog["packages"]
        for item in package["provider_items"]
        if item["section"] == "extra-links"
    }
    assert "airflow.providers.standard.operators.trigger_dagrun.TriggerDagRunLink" in declared
    shown = {}
    for entry in catalog["entries"]:
        for link in entry["extra_links"]:
            shown.setdefault(link["link_class"], []).append((entry["import_path"], link["name"]))
    assert declared <= set(shown), f"extra links no catalogued operator shows: {declared - set(shown)}"
    for link_class, operators in shown.items():
        for import_path, name in operators:
            page = visible_text(
                (site.html / "catalog" / "_generated" / f"{import_path}.html").read_text(encoding="utf-8")
            )
            assert f"Buttons in Airflow's UI {name} , made by {link_class.rsplit('.', 1)[-1]}" in page, (
                import_path,
                name,
            )


@pytest.mark.browser
def test_the_finder_filters_the_operators_with_ui_links(
    site: SiteBuild, static_server: Any, page: Any
) -> None:
    page.goto(static_server(site.html) + "catalog/index.html")
    page.wait_for_selector("table.catalog-table tbody tr", state="attached")
    page.select_option("select[data-filter=ui_links]", "has UI links")
    shown = page.eval_on_selector_all(
        "table.catalog-table tbody tr",
        "rows => rows.filter(r => !r.hidden).map(r => r.cells[0].textContent.trim())",
    )
    assert sorted(shown) == ["ExternalTaskMarker", "ExternalTaskSensor", "TriggerDagRunOperator"]


@pytest.mark.browser
def test_the_finder_filters_the_classes_that_can_defer(
    site: SiteBuild, static_server: Any, page: Any
) -> None:
    catalog = json.loads((site.html / "catalog.json").read_text(encoding="utf-8"))
    expected = sorted(entry["name"] for entry in catalog["entries"] if entry["deferrable"])
    assert "HttpOperator" in expected
    page.goto(static_server(site.html) + "catalog/index.html")
    page.wait_for_selector("table.catalog-table tbody tr", state="attached")
    page.select_option("select[data-filter=defers]", "can defer")
    shown = page.eval_on_selector_all(
        "table.catalog-table tbody tr",
        "rows => rows.filter(r => !r.hidden).map(r => r.cells[0].querySelector('a').textContent.trim())",
    )
    assert sorted(shown) == expected
