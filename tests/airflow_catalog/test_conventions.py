from __future__ import annotations

import dataclasses

import pytest

from airflow_catalog.conventions import RULES, check_entries
from airflow_catalog.model.catalog import (
    CatalogEntry,
    Example,
    HookIdentity,
    Kind,
    PackageInfo,
    Parameter,
    ProviderItem,
    Severity,
)

PATH = "pkg.operators.thing.ThingOperator"
GOOD_DOC = """Do the thing.

Failure behaviour: empty input fails; a corrupt payload fails; an unreachable source is retried.

:param path: where the thing is. (templated)
"""


def conforming(**changes) -> CatalogEntry:
    """An operator that breaks no rule; each test breaks one."""
    entry = CatalogEntry(
        import_path=PATH,
        name="ThingOperator",
        module="pkg.operators.thing",
        kind=Kind.OPERATOR,
        package="pkg",
        package_version="1.0",
        docstring=GOOD_DOC,
        parameters=(Parameter("path", "str", None, True, True, "where the thing is. (templated)", PATH),),
        template_fields=("path",),
        examples=(Example("example_dags/example_thing.py", 3, "ThingOperator(task_id='t')\n"),),
    )
    return dataclasses.replace(entry, **changes)


def rules_of(entry: CatalogEntry, own: bool = True) -> list[str]:
    package = PackageInfo(import_name="pkg", distribution="pkg", version="1.0", is_own=own)
    return [finding.rule for finding in check_entries([entry], [package])]


def test_the_conforming_entry_has_no_findings():
    assert rules_of(conforming()) == []


def test_eleven_rules_with_stable_ids_and_titles():
    assert [rule.id for rule in RULES] == [f"CAT{n:03d}" for n in range(1, 12)]
    assert all(rule.title for rule in RULES)


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        # A notifier needs no failure section (CAT007), so a bare docstring breaks only CAT001.
        ({"docstring": "", "kind": Kind.NOTIFIER, "name": "ThingNotifier"}, "CAT001"),
        ({"docstring": "Do the thing.", "kind": Kind.NOTIFIER, "name": "ThingNotifier"}, "CAT001"),
        (
            {"parameters": (Parameter("path", "str", None, True, True, "", PATH),)},
            "CAT002",
        ),
        (
            {
                "parameters": (
                    Parameter("path", "str", None, True, True, "where. (templated)", PATH),
                    Parameter("colour", None, None, False, False, "a colour.", PATH, documented_only=True),
                )
            },
            "CAT003",
        ),
        ({"name": "Thing"}, "CAT004"),
        ({"template_fields": ("path", "ghost")}, "CAT006"),
        ({"docstring": "Do the thing.\n\nNothing about failing.\n"}, "CAT007"),
        ({"examples": ()}, "CAT008"),
        (
            {"parameters": (Parameter("path", "str", None, True, True, "where the thing is.", PATH),)},
            "CAT009",
        ),
        (
            {
                "parameters": (Parameter("path", "str", None, True, False, "where. (templated)", PATH),),
                "template_fields": (),
            },
            "CAT009",
        ),
        (
            {
                "parameters": (
                    Parameter("path", "str", None, True, True, "where. (templated)", PATH, positional=True),
                )
            },
            "CAT010",
        ),
    ],
)
def test_each_rule_finds_what_it_names(changes, rule):
    assert rules_of(conforming(**changes)) == [rule]


def test_transfer_naming():
    transfer = conforming(kind=Kind.TRANSFER, name="HttpToArchiveOperator")
    assert rules_of(transfer) == []
    assert rules_of(dataclasses.replace(transfer, name="ArchiveCopier")) == ["CAT004"]


def test_hook_identity_lists_the_missing_attributes():
    hook = conforming(
        kind=Kind.HOOK,
        name="ThingHook",
        hook=HookIdentity(conn_type="thing", conn_name_attr="thing_conn_id"),
        parameters=(),
        template_fields=(),
        docstring="Talk to the thing.\n\nIt has a connection.",
    )
    package = PackageInfo(import_name="pkg", distribution="pkg", version="1.0", is_own=True)
    (finding,) = check_entries([hook], [package])
    assert finding.rule == "CAT005"
    assert "default_conn_name, hook_name" in finding.message
    assert "`default_conn_name = …`" in finding.fix


def test_inherited_parameters_are_the_base_class_business():
    inherited = Parameter(
        "conn_id", "str", "'x'", False, False, "", "pkg.operators.base.BaseThing", positional=True
    )
    assert rules_of(conforming(parameters=(*conforming().parameters, inherited))) == []


def test_hooks_and_triggers_may_take_positional_arguments_and_need_no_failure_section():
    trigger = conforming(
        kind=Kind.TRIGGER,
        name="ThingTrigger",
        docstring="Fire when the thing is there.\n\n:param path: where. (templated)",
        parameters=(Parameter("path", "str", None, True, True, "where. (templated)", PATH, positional=True),),
    )
    assert rules_of(trigger) == []


def test_severity_is_error_for_our_packages_and_info_upstream():
    broken = conforming(examples=())
    own = PackageInfo(import_name="pkg", distribution="pkg", version="1.0", is_own=True)
    upstream = dataclasses.replace(own, is_own=False)
    assert [f.severity for f in check_entries([broken], [own])] == [Severity.ERROR]
    assert [f.severity for f in check_entries([broken], [upstream])] == [Severity.INFO]


def test_every_finding_says_what_to_change(hostile_catalog):
    assert hostile_catalog.findings
    for finding in hostile_catalog.findings:
        assert finding.message and finding.fix and finding.fix != finding.message
        assert finding.severity is Severity.ERROR  # hostile_pkg has no upstream distribution: it is ours


def test_hostile_package_findings(hostile_catalog):
    found = {(f.rule, f.import_path.rsplit(".", 1)[1]) for f in hostile_catalog.findings}
    assert {
        ("CAT003", "KwargsOnlyOperator"),
        ("CAT004", "widget_mover"),
        ("CAT004", "WidgetCopier"),
        ("CAT005", "AnonymousHook"),
        ("CAT006", "HtmlDocstringOperator"),
        ("CAT009", "HtmlDocstringOperator"),
        ("CAT010", "PositionalOnlyOperator"),
        ("CAT007", "PositionalOnlyOperator"),
        ("CAT008", "WidgetHook"),
    } <= found
    assert not any(name == "WidgetOperator" for _, name in found)
    assert not any(rule == "CAT010" for rule, name in found if name == "WidgetTrigger")


def provider(**changes) -> PackageInfo:
    """Our package with provider metadata (a name and one integration)."""
    package = PackageInfo(
        import_name="pkg",
        distribution="pkg",
        version="1.0",
        name="Things",
        integrations=("Thing",),
        is_own=True,
    )
    return dataclasses.replace(package, **changes)


def test_a_module_missing_from_the_provider_metadata_is_an_error_naming_the_item_to_add():
    [finding] = check_entries([conforming()], [provider()])
    assert (finding.rule, finding.severity) == ("CAT011", Severity.ERROR)
    assert "pkg.operators.thing, which defines ThingOperator, is not listed" in finding.message
    assert finding.fix.startswith(
        'add it to "operators" in get_provider_info(): '
        '{"integration-name": "Thing", "python-modules": ["pkg.operators.thing"]}'
    )


def listing(section: str, target: str) -> tuple[ProviderItem, ...]:
    return (ProviderItem(section, target, target, "Thing"),)


def test_a_listed_module_or_a_package_without_provider_metadata_has_no_cat011():
    listed = provider(provider_items=listing("operators", "pkg.operators.thing"))
    assert check_entries([conforming(integration="Thing")], [listed]) == ()
    assert check_entries([conforming()], [provider(name="", integrations=())]) == ()


def test_the_single_integration_of_a_package_does_not_hide_an_unlisted_module():
    # Extraction files an unlisted module under a package's only integration; CAT011 reads the listing.
    [finding] = check_entries([conforming(integration="Thing")], [provider()])
    assert finding.rule == "CAT011"


def test_an_unlisted_notifier_names_the_notifications_section():
    notifier = conforming(
        kind=Kind.NOTIFIER, name="ThingNotifier", import_path="pkg.notifications.ThingNotifier"
    )
    [finding] = [f for f in check_entries([notifier], [provider()]) if f.rule == "CAT011"]
    assert finding.fix == 'add "pkg.notifications.ThingNotifier" to "notifications" in get_provider_info()'
    listed = provider(provider_items=listing("notifications", "pkg.notifications.ThingNotifier"))
    assert not [f for f in check_entries([notifier], [listed]) if f.rule == "CAT011"]


def test_an_unlisted_ingest_operator_outside_transfers_gets_an_operators_item():
    ingest = conforming(kind=Kind.TRANSFER, name="FileToArchiveOperator", module="pkg.operators.file")
    [finding] = check_entries([ingest], [provider()])
    assert finding.fix.startswith(
        'add it to "operators" in get_provider_info(): '
        '{"integration-name": "Thing", "python-modules": ["pkg.operators.file"]}'
    )


def test_an_unlisted_transfer_gets_a_transfers_item_with_both_integrations():
    transfer = conforming(
        kind=Kind.TRANSFER, name="FileToArchiveOperator", module="pkg.transfers.file_to_archive"
    )
    [finding] = check_entries([transfer], [provider(integrations=("File", "Archive"))])
    assert finding.fix == (
        'add it to "transfers" in get_provider_info(): {"source-integration-name": "File", '
        '"target-integration-name": "Archive", "python-module": "pkg.transfers.file_to_archive"}'
    )


def test_the_transfer_rule_takes_names_whose_source_ends_in_capitals():
    # FTPToS3Operator follows <Source>To<Target>Operator: one rule decides it everywhere.
    assert rules_of(conforming(kind=Kind.TRANSFER, name="FTPToS3Operator")) == []
