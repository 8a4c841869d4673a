"""The guide "Add an operator", followed by a new engineer on a scratch operator in a copy of the repository.

The engineer copies the guide's files under new names and first forgets two steps, the provider
metadata and the example DAG: ``check`` must name both with their fix. Then the engineer takes them:
``check`` reports nothing, the copied tests pass, the test suite runs the new example DAG without being
told about it, and the site build gives the class its page with its integration.
"""

from __future__ import annotations

import html
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
GUIDE = REPO_ROOT / "docs" / "guides" / "add-an-operator.md"
PLATFORM = "src/etl-platform/etl_platform"


def _site_build() -> ModuleType:
    """``tests/site/site_build.py``: how the site's tests copy the repository and build it."""
    if "site_build" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "site_build", REPO_ROOT / "tests" / "site" / "site_build.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["site_build"] = module
        spec.loader.exec_module(module)
    return sys.modules["site_build"]


site_build = _site_build()


# --- the guide itself ---------------------------------------------------------------------------------


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """The guide's fenced blocks as (the word after the fence, the rest: the argument line, then the body)."""
    return re.findall(r"^```(\S*) ?(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def test_the_guide_pastes_no_code_and_includes_what_exists() -> None:
    blocks = fenced_blocks(GUIDE.read_text(encoding="utf-8"))
    includes = [body for kind, body in blocks if kind == "{literalinclude}"]
    assert len(includes) >= 5, "the class, the metadata, the example, its scenario and a test"
    assert {kind for kind, _ in blocks} <= {"{literalinclude}", "console"}, "code is included, not pasted"
    for body in includes:
        target, *options = body.splitlines()
        source = REPO_ROOT / target.strip().lstrip("/")
        text = source.read_text(encoding="utf-8")
        for option in options:
            name, _, value = option.strip(":").partition(": ")
            if name == "pyobject":
                assert re.search(rf"^(class|def) {value}\b", text, flags=re.MULTILINE), (target, value)
            if name in {"start-after", "end-before"}:
                assert text.count(value.strip('"')) == 1, (target, value)


def test_every_command_of_the_guide_is_a_make_target() -> None:
    # The guide's commands must work as written, outside the virtualenv too: make targets only.
    commands = [
        line.removeprefix("$ ")
        for kind, body in fenced_blocks(GUIDE.read_text(encoding="utf-8"))
        if kind == "console"
        for line in body.splitlines()
        if line
    ]
    assert commands == ["make check", "make test", "make docs"]
    targets = re.findall(r"^([a-z]+):", (REPO_ROOT / "Makefile").read_text(), flags=re.MULTILINE)
    assert {command.split()[1] for command in commands} <= set(targets)


# --- a scratch operator, made the way the guide says -------------------------------------------------------

#: The guide's files and their copies' names, for an operator of a system called "scratch".
COPIES = {
    f"{PLATFORM}/operators/file.py": f"{PLATFORM}/operators/scratch.py",
    "tests/etl_platform/test_file_to_archive.py": "tests/etl_platform/test_scratch_to_archive.py",
}
EXAMPLE = (
    f"{PLATFORM}/example_dags/example_file_ingest.py",
    f"{PLATFORM}/example_dags/example_scratch_ingest.py",
)
RENAMES = {
    "FileToArchiveOperator": "ScratchToArchiveOperator",
    "etl_platform.operators.file": "etl_platform.operators.scratch",
    "example_file_ingest": "example_scratch_ingest",
}


def copy_renamed(root: Path, source: str, target: str) -> None:
    text = (root / source).read_text(encoding="utf-8")
    for old, new in RENAMES.items():
        text = text.replace(old, new)
    (root / target).write_text(text, encoding="utf-8")


def own_packages_first(root: Path) -> dict[str, str]:
    """The environment in which Python imports the copy's packages, not the work tree's."""
    members = (root / "src" / "etl-platform", root / "src" / "airflow-catalog")
    return {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, members))}


def check(root: Path) -> tuple[int, list[dict[str, str]]]:
    """``make check`` in the copy, as JSON: its exit status and its findings about the scratch class."""
    done = subprocess.run(
        [sys.executable, "-m", "airflow_catalog", "check", "etl_platform", "--format", "json"],
        cwd=root,
        env=own_packages_first(root),
        capture_output=True,
        text=True,
    )
    findings = json.loads(done.stdout)["findings"]
    return done.returncode, [f for f in findings if "ScratchToArchiveOperator" in f["import_path"]]


def test_a_scratch_operator_made_by_the_guide_reaches_the_catalog(tmp_path: Path) -> None:
    root = tmp_path / "repository"
    site_build.copy_repository(root)
    for source, target in COPIES.items():
        copy_renamed(root, source, target)

    # Forgotten: the provider metadata and the example DAG. Both are errors, each with its fix.
    status, findings = check(root)
    assert status == 1
    by_rule = {finding["rule"]: finding for finding in findings}
    assert set(by_rule) == {"CAT008", "CAT011"}, findings
    assert by_rule["CAT011"]["message"] == (
        "etl_platform.operators.scratch, which defines ScratchToArchiveOperator, is not listed in the "
        "provider metadata (get_provider_info()), so Airflow does not know its integration"
    )
    # The fix is the exact item to add: under "operators", where this repository (as Airflow's providers
    # do for an operator outside transfers/) lists its ingest operators.
    assert by_rule["CAT011"]["fix"] == (
        'add it to "operators" in get_provider_info(): {"integration-name": "<integration>", '
        '"python-modules": ["etl_platform.operators.scratch"]}'
        " (or add the module to that integration's item)"
    )
    assert "example_dags/" in by_rule["CAT008"]["fix"]

    # The two steps, as the guide says: the module under "operators" with its integration (the scratch
    # operator reads local files), and the example DAG with its test scenario.
    item = {"integration-name": "Local files", "python-modules": ["etl_platform.operators.scratch"]}
    provider_info = root / PLATFORM / "get_provider_info.py"
    text = provider_info.read_text(encoding="utf-8")
    assert text.count('"operators": [\n') == 1
    provider_info.write_text(text.replace('"operators": [\n', f'"operators": [\n{json.dumps(item)},\n'))
    copy_renamed(root, *EXAMPLE)
    with (root / "tests" / "etl_platform" / "test_example_dags.py").open("a", encoding="utf-8") as tests:
        tests.write('\nSCENARIOS["example_scratch_ingest"] = SCENARIOS["example_file_ingest"]\n')
    # The docstring's seealso names the operator's fault matrix: a section of the how-to pages.
    with (root / "docs" / "guides" / "failure-behaviour.md").open("a", encoding="utf-8") as page:
        page.write(
            "\n(howto/operator:ScratchToArchiveOperator)=\n### ScratchToArchiveOperator\n\nAs files.\n"
        )

    status, findings = check(root)
    assert (status, findings) == (0, [])

    # make test, for the new files: the copied tests, and the example DAG that the suite finds by itself.
    tests = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-v",
            "-k",
            "scratch or is_found",
            "tests/etl_platform/test_scratch_to_archive.py",
            "tests/etl_platform/test_example_dags.py",
        ],
        cwd=root,
        env=own_packages_first(root),
        capture_output=True,
        text=True,
    )
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert (
        "test_every_example_dag_runs[etl_platform.example_dags.example_scratch_ingest] PASSED" in tests.stdout
    )
    assert re.search(r"test_scratch_to_archive\.py::test_fault_matrix\[[^]]+\] PASSED", tests.stdout)

    # make docs: the class's page, with the integration it was given.
    build = site_build.build_site(root)
    site_build.assert_built_cleanly(build)
    page = (
        root / "_build/html/catalog/_generated/etl_platform.operators.scratch.ScratchToArchiveOperator.html"
    ).read_text(encoding="utf-8")
    assert re.search(r'class="[^"]*catalog-integration[^"]*"[^>]*>Local files<', page), "integration badge"
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert "ingest_returns = ScratchToArchiveOperator(" in text, "the example DAG's snippet"
    assert "example_scratch_ingest" in text and "Failure behaviour" in text


@pytest.mark.parametrize("step", ["provider metadata", "example DAG"])
def test_the_guide_names_each_step_that_check_enforces(step: str) -> None:
    # The two steps the scratch operator forgot are the guide's steps 3 and 4, with their rules.
    text = GUIDE.read_text(encoding="utf-8")
    rule, heading = {
        "provider metadata": ("CAT011", "## 3. Register it with the provider"),
        "example DAG": ("CAT008", "## 4. Use it in an example DAG"),
    }[step]
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    assert f"{{ref}}`{rule}`" in section
