"""Catalogued modules are untrusted input: what one does at import never reaches the command's own process.

``unruly_pkg`` has one module per misbehaviour (printing GitHub workflow commands, ``os._exit(3)``,
hanging, a circular import, unreadable signatures, changing the working directory, ``sys.path``, the
environment or signal handlers, a lingering thread, closing stdout, raising ``KeyboardInterrupt``,
removing a ``sys.modules`` entry, importing a module that exits) beside well-behaved ones. The real
CLI and a real Sphinx build read it in fresh processes, with a time limit of 2 s per module so that
the hanging module costs seconds.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from roots.catalog_site import FIXTURES, Build, build_fresh_process, make_site

from airflow_catalog.collect.isolation import TIMEOUT_VARIABLE
from airflow_catalog.collect.process_state import ProcessState

REPO = Path(__file__).resolve().parents[3]
PACKAGE = "unruly_pkg"
OPS = f"{PACKAGE}.operators"
TIMEOUT = "2"
#: What the modules print at import; none of it may appear in any output.
PRINTED = ("::error::x", "::add-mask::secret", "not JSON at all", "from stderr", "written to the file")
#: A workflow command as ``check --format github`` writes them: a level, properties, then the message.
OUR_COMMAND = re.compile(r"^::(error|warning|notice) (file=[^,:]+,line=\d+,)?title=[^:]+::")

#: Each misbehaving module, the exact error it is reported with, and a phrase of the fix.
FAULTS = [
    ("exits", "exited with status 3 at import", "an import must not end the process"),
    ("hangs", f"did not finish importing within {TIMEOUT} s", f"raise {TIMEOUT_VARIABLE} if it is only slow"),
    ("moves", "changed the working directory to '/' at import", "must not change the process it runs in"),
    (
        "lingers",
        "started threads that keep the process from exiting (lingering) at import",
        "must not change the process it runs in",
    ),
    (
        "closes_stdout",
        "replaced or closed a standard stream (stdin, stdout or stderr) at import",
        "must not change the process it runs in",
    ),
    (
        "forgets",
        "removed airflow.sdk.bases.operator from sys.modules at import",
        "must not change the process it runs in",
    ),
    ("interrupts", "KeyboardInterrupt", "which would end the command that imports it"),
    (
        "overrides_env",
        "changed or removed the environment variables HOME, PATH at import",
        "must not change the process it runs in",
    ),
    (
        "moves_path",
        "changed sys.path (added '/opt/unruly/vendored') at import",
        "must not change the process it runs in",
    ),
    ("traps_signals", "installed handlers for SIGINT at import", "must not change the process it runs in"),
]


def run_cli(*arguments: str, timeout: str = TIMEOUT) -> subprocess.CompletedProcess[str]:
    """Run ``python -m airflow_catalog`` in a fresh process, with ``unruly_pkg`` importable."""
    env = {**os.environ, "PYTHONPATH": str(FIXTURES), TIMEOUT_VARIABLE: timeout}
    return subprocess.run(
        [sys.executable, "-m", "airflow_catalog", *arguments],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def check_json() -> subprocess.CompletedProcess[str]:
    return run_cli("check", "--format", "json", PACKAGE)


@pytest.fixture(scope="module")
def check_github() -> subprocess.CompletedProcess[str]:
    return run_cli("check", "--format", "github", PACKAGE)


@pytest.fixture(scope="module")
def json_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    output = tmp_path_factory.mktemp("json") / "catalog.json"
    return run_cli("json", "--output", str(output), PACKAGE), output


@pytest.fixture(scope="module")
def catalog(json_run: tuple[subprocess.CompletedProcess[str], Path]) -> dict[str, Any]:
    process, output = json_run
    assert process.returncode == 0, process.stderr
    data: dict[str, Any] = json.loads(output.read_text(encoding="utf-8"))
    return data


def entries(catalog: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["import_path"].removeprefix(f"{OPS}."): entry for entry in catalog["entries"]}


def problems(catalog: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {problem["module"].removeprefix(f"{OPS}."): problem for problem in catalog["import_problems"]}


def test_check_json_prints_one_json_document_and_exits_with_its_own_status(
    check_json: subprocess.CompletedProcess[str],
) -> None:
    document = json.loads(check_json.stdout)  # the whole output: nothing printed at import is in it
    errors = [finding for finding in document["findings"] if finding["severity"] == "error"]
    assert check_json.returncode == (1 if errors else 0)
    assert set(problems(document)) == {"circular_a", "circular_b", "odd_signature", "uses_exits"} | {
        module for module, _, _ in FAULTS
    }


def test_check_github_prints_only_its_own_workflow_commands(
    check_github: subprocess.CompletedProcess[str],
) -> None:
    lines = check_github.stdout.splitlines()
    assert lines
    assert [line for line in lines if not OUR_COMMAND.match(line)] == []
    assert not any(printed in check_github.stdout for printed in PRINTED)
    assert check_github.returncode == 1  # the findings of an own package are errors


def test_json_writes_the_catalog_and_prints_only_what_it_wrote(
    json_run: tuple[subprocess.CompletedProcess[str], Path], catalog: dict[str, Any]
) -> None:
    process, output = json_run
    assert process.stdout == f"Wrote {len(catalog['entries'])} classes from 1 package(s) to {output}\n"
    assert not any(printed in process.stdout + process.stderr for printed in PRINTED)


@pytest.mark.parametrize(("module", "error", "fix"), FAULTS)
def test_each_misbehaving_module_is_named_with_what_it_did_and_the_fix(
    catalog: dict[str, Any], module: str, error: str, fix: str
) -> None:
    problem = problems(catalog)[module]
    assert problem["error"] == error
    assert fix in problem["hint"]
    assert f"--exclude {OPS}.{module}" in problem["hint"]
    assert problem["path"] == f"{PACKAGE}/operators/{module}.py"


def test_a_module_importing_one_that_exits_names_it_as_the_cause(catalog: dict[str, Any]) -> None:
    problem = problems(catalog)["uses_exits"]
    assert problem["error"] == f"{OPS}.uses_exits imports {OPS}.exits, which exited with status 3 at import"
    assert f"--exclude {OPS}.exits --exclude {OPS}.uses_exits" in problem["hint"]


def test_a_circular_import_names_the_modules_of_the_cycle_and_the_fix(catalog: dict[str, Any]) -> None:
    problem = problems(catalog)["circular_a"]
    assert "circular import" in problem["error"]
    assert problem["hint"].startswith(
        f"{OPS}.circular_a → {OPS}.circular_b → {OPS}.circular_a import each other at module level"
    )
    assert "move one of these imports into the function that uses it" in problem["hint"]
    assert f"--exclude {OPS}.circular_a" in problem["hint"]
    assert "install" not in problem["hint"]


def test_classes_whose_signature_cannot_be_read_are_marked_and_named(catalog: dict[str, Any]) -> None:
    by_name = entries(catalog)
    problem = problems(catalog)["odd_signature"]
    assert problem["error"] == (
        "the signature of JunkSignatureOperator (TypeError: unexpected object 'not a signature' in "
        "__signature__ attribute), RaisingSignatureOperator (RuntimeError: no signature today) cannot be read"
    )
    assert f"--exclude {OPS}.odd_signature" in problem["hint"]
    # Still read from the class (its own parameter is there), but not for autodoc to document.
    junk = by_name["odd_signature.JunkSignatureOperator"]
    assert junk["imported"] is False
    assert "rows" in [parameter["name"] for parameter in junk["parameters"]]
    assert by_name["odd_signature.RaisingSignatureOperator"]["imported"] is False
    assert by_name["odd_signature.ReadableOperator"]["imported"] is True


def test_the_other_modules_are_catalogued_as_usual(catalog: dict[str, Any]) -> None:
    by_name = entries(catalog)
    for path, parameter in (("plain.PlainOperator", "size"), ("chatty.ChattyOperator", "words")):
        assert by_name[path]["imported"] is True
        assert parameter in [p["name"] for p in by_name[path]["parameters"]]
    # Printing at import is not a problem: the output is only kept away from the command's.
    assert "chatty" not in problems(catalog)


def test_the_classes_of_misbehaving_modules_are_read_from_their_source(catalog: dict[str, Any]) -> None:
    by_name = entries(catalog)
    for path in (
        "exits.ExitingOperator",
        "hangs.HangingOperator",
        "moves.MovingOperator",
        "lingers.LingeringOperator",
        "closes_stdout.SilencingOperator",
        "forgets.ForgetfulOperator",
        "interrupts.InterruptingOperator",
        "circular_a.CircularAOperator",
        "uses_exits.DependentOperator",
        "overrides_env.OverridingOperator",
        "moves_path.PathOperator",
        "traps_signals.TrappingOperator",
    ):
        assert by_name[path]["imported"] is False, path


def test_a_time_limit_that_is_not_a_number_is_an_error_naming_the_variable() -> None:
    process = run_cli("check", PACKAGE, timeout="soon")
    assert process.returncode == 1
    assert f"{TIMEOUT_VARIABLE}='soon' is not a time limit" in process.stderr
    assert process.stdout == ""


def test_collecting_leaves_the_collecting_process_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_catalog.collect.catalog import collect_catalog
    from airflow_catalog.collect.classify import airflow_bases

    monkeypatch.setenv(TIMEOUT_VARIABLE, TIMEOUT)
    airflow_bases()  # Airflow's own first import adds its plugins folder to sys.path: not the modules'
    cwd, threads = os.getcwd(), set(threading.enumerate())
    before = ProcessState.capture()
    catalog = collect_catalog([PACKAGE])
    assert before.changes(ProcessState.capture()) == []
    assert (os.getcwd(), set(threading.enumerate())) == (cwd, threads)
    assert not sys.stdout.closed
    # Only the modules that imported harmlessly were imported here too.
    assert {f"{OPS}.plain", f"{OPS}.chatty", f"{OPS}.odd_signature"} <= set(sys.modules)
    assert not {f"{OPS}.{module}" for module, _, _ in FAULTS} & set(sys.modules)
    assert len(catalog.entries) == 18


@pytest.fixture(scope="module")
def site_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    source = make_site(tmp_path_factory.mktemp("unruly"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(TIMEOUT_VARIABLE, TIMEOUT)
        return build_fresh_process(
            source,
            "-j",
            "2",
            "-D",
            f"catalog_packages={PACKAGE}",
            "-D",
            f"catalog_own_packages={PACKAGE}",
        )


def test_a_site_build_names_each_module_and_documents_the_rest(site_build: Build) -> None:
    assert site_build.status == 0
    named = {module for module in problems_named(site_build.warnings)}
    assert named == {"circular_a", "circular_b", "odd_signature", "uses_exits"} | {m for m, _, _ in FAULTS}
    # No other warning: autodoc is not asked for the classes it cannot document.
    assert [w for w in site_build.warnings if "cannot import" not in w] == []
    assert not any(printed in site_build.output for printed in PRINTED)
    plain = site_build.page(f"catalog/_generated/{OPS}.plain.PlainOperator")
    assert f'id="{OPS}.plain.PlainOperator"' in plain  # autodoc's reference
    hangs = site_build.page(f"catalog/_generated/{OPS}.hangs.HangingOperator")
    assert "did not finish importing within" in hangs


def problems_named(warnings: list[str]) -> list[str]:
    found = [re.search(rf"cannot import {re.escape(OPS)}\.(\w+):", warning) for warning in warnings]
    return [match.group(1) for match in found if match]


COLLECT_WITH_CACHE = """
import json, sys
from pathlib import Path
from airflow_catalog.collect.catalog import collect_catalog
catalog = collect_catalog(["unruly_pkg"], cache=Path(sys.argv[1]))
print(json.dumps({"problems": catalog.to_json()["import_problems"], "read": "airflow" in sys.modules}))
"""


def collect_with_cache(cache: Path, timeout: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(FIXTURES), TIMEOUT_VARIABLE: timeout}
    process = subprocess.run(
        [sys.executable, "-c", COLLECT_WITH_CACHE, str(cache)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
        check=False,
    )
    assert process.returncode == 0, process.stderr
    result: dict[str, Any] = json.loads(process.stdout.strip().splitlines()[-1])
    return result


def test_what_misbehaving_modules_did_is_cached_until_the_time_limit_changes(tmp_path: Path) -> None:
    cache = tmp_path / "catalog-cache.json"
    first = collect_with_cache(cache, TIMEOUT)
    again = collect_with_cache(cache, TIMEOUT)
    # Nothing read again (not even Airflow imported): the hanging module costs its time limit once.
    assert (again["problems"], again["read"]) == (first["problems"], False)
    assert collect_with_cache(cache, "3")["read"] is True
