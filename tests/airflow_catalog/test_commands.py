from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from airflow_catalog.cli import main

REPO = Path(__file__).resolve().parents[2]
ANNOTATION = re.compile(r"^::(error|warning|notice) file=[^,:]+,line=\d+,title=[^:]+::.+$")


def provider_named_classes(provider: str) -> set[str]:
    """What ``get_provider_info()`` names: the public classes ``ast`` finds in its modules, its notifiers.

    Read independently of the catalog's own discovery: class statements whose name ends with a kind.
    """
    info = importlib.import_module(f"{provider}.get_provider_info").get_provider_info()
    modules = {
        module
        for section in ("operators", "sensors", "hooks", "triggers")
        for item in info.get(section, [])
        for module in item.get("python-modules", [])
    }
    modules |= {item["python-module"] for item in info.get("transfers", [])}
    # Notifiers are named by their re-exported path; the catalog names a class where it is defined.
    classes = set()
    for path in info.get("notifications", []):
        module, name = path.rsplit(".", 1)
        cls = getattr(importlib.import_module(module), name)
        classes.add(f"{cls.__module__}.{cls.__qualname__}")
    for module in modules:
        tree = ast.parse(Path(importlib.util.find_spec(module).origin).read_text())
        classes |= {
            f"{module}.{node.name}"
            for node in tree.body
            if isinstance(node, ast.ClassDef)
            and not node.name.startswith(("_", "Base"))
            and node.name.endswith(("Operator", "Sensor", "Hook", "Trigger", "Notifier"))
        }
    return classes


@pytest.mark.parametrize("provider", ["airflow.providers.http", "airflow.providers.sftp"])
def test_json_lists_every_class_the_provider_names_with_its_parameters(tmp_path, capsys, provider):
    output = tmp_path / "x.json"
    assert main(["json", provider, "--output", str(output)]) == 0
    assert f"to {output}" in capsys.readouterr().out
    data = json.loads(output.read_text())
    entries = {entry["import_path"]: entry for entry in data["entries"]}
    classes = provider_named_classes(provider)
    assert classes, "the provider names classes"
    assert classes <= set(entries), classes - set(entries)
    for path in classes:
        module, name = path.rsplit(".", 1)
        cls = getattr(importlib.import_module(module), name)
        declared = [
            p.name
            for p in list(inspect.signature(cls.__init__).parameters.values())[1:]
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        listed = [p["name"] for p in entries[path]["parameters"]]
        assert listed[: len(declared)] == declared, path


def test_json_strict_with_a_broken_module_writes_nothing_and_keeps_the_old_file(tmp_path, capsys):
    output = tmp_path / "catalog.json"
    output.write_text("old")
    assert main(["json", "hostile_pkg", "--strict", "--output", str(output)]) == 1
    err = capsys.readouterr().err
    assert "cannot import hostile_pkg.broken.syntax_error" in err and "not written" in err
    assert output.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["catalog.json"]


def test_json_without_strict_warns_and_writes(tmp_path, capsys):
    output = tmp_path / "sub" / "catalog.json"
    assert main(["json", "hostile_pkg", "-o", str(output)]) == 0
    err = capsys.readouterr().err
    assert err.count("warning: cannot import") == 3 and "fix: pip install" in err
    assert len(json.loads(output.read_text())["import_problems"]) == 3


def test_output_that_is_a_folder_is_refused_before_any_work(tmp_path, capsys):
    assert main(["json", "hostile_pkg", "-o", str(tmp_path)]) == 1
    assert f"error: {tmp_path} is a folder: give the file to write" in capsys.readouterr().err


def test_unknown_package_is_one_line_naming_it(tmp_path, capsys):
    assert main(["json", "airflow.providers.nosuch", "-o", str(tmp_path / "x.json")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot find package 'airflow.providers.nosuch'")
    assert "pip install apache-airflow-providers-nosuch" in err
    assert not (tmp_path / "x.json").exists()


@pytest.fixture
def in_repo(monkeypatch):
    """Run from the repository root, as CI does: annotation paths are relative to it."""
    monkeypatch.chdir(REPO)


def test_check_text_exits_1_on_errors_of_our_package(capsys, in_repo):
    assert main(["check", "hostile_pkg"]) == 1
    out = capsys.readouterr().out
    assert re.search(
        r"^tests/airflow_catalog/fixtures/hostile_pkg/hooks/widget\.py:34: CAT005 \[error\] ", out, re.M
    )
    assert "    fix: set the class attributes" in out
    assert re.search(r"^\d+ finding\(s\) in \d+ classes: \d+ error", out, re.M)


def test_check_upstream_findings_are_informational_and_exit_0(capsys):
    assert main(["check", "airflow.providers.http"]) == 0
    out = capsys.readouterr().out
    assert "[info]" in out and "[error]" not in out


def test_check_github_prints_one_annotation_per_finding_and_problem(capsys, in_repo):
    assert main(["check", "hostile_pkg", "--format", "github"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines and all(ANNOTATION.match(line) for line in lines), lines[:3]
    assert (
        "::error file=tests/airflow_catalog/fixtures/hostile_pkg/operators/odd.py,line=46,title=CAT010::"
        in "\n".join(lines)
    )
    problems = [line for line in lines if line.startswith("::warning")]
    assert len(problems) == 3
    assert any("line=7,title=cannot import hostile_pkg.broken.syntax_error::" in line for line in problems)


def test_check_github_strict_makes_import_problems_errors(capsys):
    main(["check", "hostile_pkg", "--format", "github", "--strict"])
    lines = capsys.readouterr().out.splitlines()
    assert sum("title=cannot import" in line and line.startswith("::error") for line in lines) == 3


def test_check_github_escapes_newlines_and_percent():
    from airflow_catalog.reports import _workflow_command

    line = _workflow_command("error", {"file": "a,b:c.py", "title": "CAT001"}, "50% done\nnext")
    assert line == "::error file=a%2Cb%3Ac.py,title=CAT001::50%25 done%0Anext\n"


def test_check_json_lists_findings_and_problems(capsys):
    assert main(["check", "hostile_pkg", "--format", "json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert {f["rule"] for f in document["findings"]} >= {"CAT003", "CAT005", "CAT010"}
    assert len(document["import_problems"]) == 3


def test_the_documented_command_line_works_end_to_end(tmp_path):
    output = tmp_path / "x.json"
    proc = subprocess.run(
        [sys.executable, "-m", "airflow_catalog", "json", "airflow.providers.http", "--output", str(output)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    names = {entry["name"] for entry in json.loads(output.read_text())["entries"]}
    assert {"HttpOperator", "HttpSensor", "HttpHook", "HttpAsyncHook", "HttpTrigger", "HttpNotifier"} <= names
