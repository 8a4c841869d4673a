"""The generated pictures: which systems an operator sits between, and a graph graphviz can draw."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from airflow_catalog.model.catalog import CatalogEntry, HookIdentity, Kind
from airflow_catalog.pages.diagrams import System, draw_svgs, operator_diagram, systems_of


def entry(
    name: str, kind: Kind, uses: tuple[str, ...] = (), hook: HookIdentity | None = None
) -> CatalogEntry:
    return CatalogEntry(
        import_path=f"pkg.mod.{name}",
        name=name,
        module="pkg.mod",
        kind=kind,
        package="pkg",
        package_version="1",
        uses_hooks=uses,
        hook=hook,
    )


HOOKS = {
    "pkg.mod.FtpHook": entry("FtpHook", Kind.HOOK, hook=HookIdentity(conn_type="ftp", hook_name="FTP")),
    "pkg.mod.S3Hook": entry("S3Hook", Kind.HOOK, hook=HookIdentity(conn_type="aws")),
}


def draw(dot_source: str) -> str:
    process = subprocess.run(["dot", "-Tsvg"], input=dot_source, capture_output=True, text=True)
    assert process.returncode == 0, process.stderr
    return process.stdout


def test_a_transfer_reads_its_first_hook_and_writes_its_last() -> None:
    transfer = entry("FtpToS3Operator", Kind.TRANSFER, ("pkg.mod.FtpHook", "pkg.mod.S3Hook"))
    assert systems_of(transfer, HOOKS) == ([System("FTP", "ftp")], [System("S3", "aws")])
    svg = draw(operator_diagram(transfer, HOOKS) or "")
    assert "FtpToS3Operator" in svg and "(ftp)" in svg and "(aws)" in svg


@pytest.mark.parametrize(
    "uses",
    [("pkg.mod.ArchiveHook",), ("pkg.mod.ArchiveHook", "pkg.mod.HttpHook")],
    ids=["only-the-target-hook", "target-hook-first"],
)
def test_an_ingest_operator_flows_from_its_source_to_the_archive(uses: tuple[str, ...]) -> None:
    # HttpToArchiveOperator names its archive hook (and maybe the HTTP hook after it): the picture
    # still reads Http -> operator -> archive, in the direction the data moves.
    hooks = {
        **HOOKS,
        "pkg.mod.ArchiveHook": entry(
            "ArchiveHook", Kind.HOOK, hook=HookIdentity(conn_type="etl_archive", hook_name="ETL archive")
        ),
        "pkg.mod.HttpHook": entry(
            "HttpHook", Kind.HOOK, hook=HookIdentity(conn_type="http", hook_name="HTTP")
        ),
    }
    operator = entry("HttpToArchiveOperator", Kind.OPERATOR, uses)
    expected_source = System("HTTP", "http") if len(uses) == 2 else System("Http")
    assert systems_of(operator, hooks) == ([expected_source], [System("ETL archive", "etl_archive")])
    source = operator_diagram(operator, hooks) or ""
    assert "source0 -> operator;" in source and "operator -> target0;" in source
    assert 'target0 [label="ETL archive\\n(etl_archive)"]' in source
    draw(source)


def test_a_transfer_without_hooks_is_named_from_its_class_name() -> None:
    transfer = entry("GadgetToWidgetOperator", Kind.TRANSFER)
    assert systems_of(transfer, HOOKS) == ([System("Gadget")], [System("Widget")])


def test_a_sensor_waits_for_its_system() -> None:
    sensor = entry("FtpFileSensor", Kind.SENSOR, ("pkg.mod.FtpHook",))
    source = operator_diagram(sensor, HOOKS) or ""
    assert "waits for" in source
    draw(source)


@pytest.mark.parametrize("kind", [Kind.HOOK, Kind.TRIGGER, Kind.NOTIFIER])
def test_nothing_to_draw_for_classes_that_are_not_operators(kind: Kind) -> None:
    assert operator_diagram(entry("Thing", kind, ("pkg.mod.FtpHook",)), HOOKS) is None


def test_an_operator_without_hooks_has_no_diagram() -> None:
    assert operator_diagram(entry("LonelyOperator", Kind.OPERATOR), HOOKS) is None


def test_quotes_and_backslashes_in_names_still_draw() -> None:
    odd_hook = entry("OddHook", Kind.HOOK, hook=HookIdentity(conn_type='we"ird\\', hook_name='Say "hi"'))
    operator = entry("OddOperator", Kind.OPERATOR, ("pkg.mod.OddHook",))
    svg = draw(operator_diagram(operator, {"pkg.mod.OddHook": odd_hook}) or "")
    assert "Say &quot;hi&quot;" in svg


def test_one_dot_process_draws_every_graph_into_its_own_file(tmp_path: Path) -> None:
    graphs = {
        tmp_path / f"{name}.svg": operator_diagram(entry(name, Kind.OPERATOR, ("pkg.mod.FtpHook",)), HOOKS)
        or ""
        for name in ("FirstOperator", "SecondOperator", "ThirdOperator")
    }
    assert draw_svgs(graphs) == 3
    for path in graphs:
        svg = path.read_text(encoding="utf-8")
        assert svg.startswith("<?xml") and svg.count("<svg") == 1 and path.stem in svg


def test_a_graph_dot_rejects_writes_nothing(tmp_path: Path) -> None:
    graphs = {tmp_path / "good.svg": "digraph { a -> b }\n", tmp_path / "bad.svg": "digraph { a -> }\n"}
    assert draw_svgs(graphs) == 0
    assert list(tmp_path.iterdir()) == []
