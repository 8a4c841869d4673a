"""Publishing real Sphinx builds into a real git remote (a local bare repository) and into a folder."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sphinx.application import Sphinx
from sphinx.errors import SphinxWarning
from sphinx.util.docutils import docutils_namespace

from airflow_catalog.cli import main as cli
from airflow_catalog.publish.merge import (
    PublishError,
    previous_catalog,
    publish_site,
    unpublish_version,
)
from airflow_catalog.publish.versions import VersionError

ROOT = Path(__file__).parents[1] / "roots" / "test-versioned"
REPO = Path(__file__).resolve().parents[3]

#: ``versioned_site`` (tests/conftest.py): the tiny site's pages built as a version, shared by the session.
BuildSite = Callable[..., Path]
#: ``build_versioned_site`` (tests/conftest.py): a fresh build in a folder of the test's own.
BuildSphinx = Callable[..., Sphinx]


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """An empty bare repository: the remote the publisher pushes its gh-pages branch to."""
    path = tmp_path / "remote.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(path)], check=True)
    return path


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", f"--git-dir={repo}", *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def root_trees(repo: Path, ref: str = "gh-pages") -> dict[str, str]:
    """Name → object id of every entry at the root of the branch."""
    listing = git(repo, "ls-tree", ref)
    return {line.split("\t")[1]: line.split()[2] for line in listing.splitlines()}


def versions_json(repo: Path, ref: str = "gh-pages") -> list[dict[str, object]]:
    return json.loads(git(repo, "show", f"{ref}:versions.json"))


def aliases(entries: list[dict[str, object]]) -> dict[str, str]:
    return {alias: str(e["version"]) for e in entries for alias in e["aliases"]}  # type: ignore[attr-defined]


ROOT_FILES = {".nojekyll", "index.html", "404.html", "versions.json"}


def test_each_release_lands_beside_the_others_with_stable_and_latest(
    versioned_site: BuildSite, remote: Path
) -> None:
    steps = [
        ("1.0.0", ["1.0.0"], {"stable": "1.0.0", "latest": "1.0.0"}),
        ("1.1.0", ["1.1.0", "1.0.0"], {"stable": "1.1.0", "latest": "1.1.0"}),
        ("2.0.0rc1", ["2.0.0rc1", "1.1.0", "1.0.0"], {"stable": "1.1.0", "latest": "2.0.0rc1"}),
        ("1.2.0", ["2.0.0rc1", "1.2.0", "1.1.0", "1.0.0"], {"stable": "1.2.0", "latest": "2.0.0rc1"}),
    ]
    before: dict[str, str] = {}
    for version, order, expected_aliases in steps:
        assert publish_site(versioned_site(version), version, str(remote), backoff=0) == 0
        trees = root_trees(remote)
        entries = versions_json(remote)
        assert set(trees) == {*order, "stable", "latest", *ROOT_FILES}
        assert [e["version"] for e in entries] == order
        assert aliases(entries) == expected_aliases
        # An alias is the very tree of its version: shared content, no copy.
        assert all(trees[alias] == trees[target] for alias, target in expected_aliases.items())
        # Older versions are untouched: the same tree objects as before this publish.
        assert all(trees[name] == oid for name, oid in before.items() if name in order and name != version)
        assert 'content="0; url=stable/"' in git(remote, "show", "gh-pages:index.html")
        before = trees
    assert [e["prerelease"] for e in versions_json(remote)] == [True, False, False, False]
    assert git(remote, "rev-list", "--count", "gh-pages") == "4"
    assert json.loads(git(remote, "show", "gh-pages:stable/build-info.json"))["version"] == "1.2.0"
    assert git(remote, "cat-file", "-t", "gh-pages:1.2.0/new-in-1-2.html") == "blob"
    subprocess.run(["git", f"--git-dir={remote}", "fsck", "--strict"], check=True, capture_output=True)


def test_republishing_replaces_only_that_version(versioned_site: BuildSite, remote: Path) -> None:
    for version in ("1.0.0", "1.1.0", "1.2.0"):
        publish_site(versioned_site(version), version, str(remote), backoff=0)
    before = root_trees(remote)
    fixed = versioned_site("1.1.0", guide="Fixed after the release.")
    publish_site(fixed, "1.1.0", str(remote), title="1.1.0 (fixed)", backoff=0)
    after = root_trees(remote)
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed == {"1.1.0", "versions.json"}
    assert "Fixed after the release." in git(remote, "show", "gh-pages:1.1.0/guide.html")
    assert [e["title"] for e in versions_json(remote)] == ["1.2.0", "1.1.0 (fixed)", "1.0.0"]


def test_unpublishing_moves_the_aliases_and_the_root(versioned_site: BuildSite, remote: Path) -> None:
    for version in ("1.1.0", "1.2.0", "2.0.0rc1"):
        publish_site(versioned_site(version), version, str(remote), backoff=0)
    assert unpublish_version("1.2.0", str(remote), backoff=0) == 0
    trees = root_trees(remote)
    assert "1.2.0" not in trees and trees["stable"] == trees["1.1.0"] and trees["latest"] == trees["2.0.0rc1"]
    assert aliases(versions_json(remote)) == {"stable": "1.1.0", "latest": "2.0.0rc1"}
    for version in ("1.1.0", "2.0.0rc1"):
        unpublish_version(version, str(remote), backoff=0)
    assert set(root_trees(remote)) == ROOT_FILES
    assert "No version is published yet" in git(remote, "show", "gh-pages:index.html")


def test_unpublishing_an_unknown_version_changes_nothing(versioned_site: BuildSite, remote: Path) -> None:
    publish_site(versioned_site("1.0.0"), "1.0.0", str(remote), backoff=0)
    head = git(remote, "rev-parse", "gh-pages")
    with pytest.raises(VersionError, match=r"version 9.0.0 is not published \(published: 1.0.0\)"):
        unpublish_version("9.0.0", str(remote))
    assert git(remote, "rev-parse", "gh-pages") == head


@pytest.mark.parametrize("stop_at_warning", [True, False], ids=["stops-at-first-warning", "keeps-going"])
def test_a_build_that_fails_half_way_publishes_nothing(
    tmp_path: Path, remote: Path, build_versioned_site: BuildSphinx, stop_at_warning: bool
) -> None:
    build_versioned_site(tmp_path, "1.0.0")  # a good build first: its pages stay in the folder
    (tmp_path / "src" / "broken.md").write_text("# Broken\n\nSee {ref}`a-label-nobody-defined`.\n")
    if stop_at_warning:
        with pytest.raises(SphinxWarning, match="a-label-nobody-defined"):
            build_versioned_site(tmp_path, "1.0.0", stop_at_warning=True)
    else:
        assert build_versioned_site(tmp_path, "1.0.0").statuscode == 1
    assert (tmp_path / "html" / "index.html").exists()
    with pytest.raises(PublishError, match=r"has no build-info\.json, so its build did not finish cleanly"):
        publish_site(tmp_path / "html", "1.0.0", str(remote))
    assert git(remote, "for-each-ref") == ""


def test_a_site_built_as_another_version_is_refused(
    versioned_site: BuildSite, remote: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = cli(
        ["publish", "--site", str(versioned_site("1.1.0")), "--version", "1.2.0", "--target", str(remote)]
    )
    assert status == 1
    assert (
        "was built as version '1.1.0', not 1.2.0: rebuild it with DOCS_VERSION=1.2.0"
        in capsys.readouterr().err
    )
    assert git(remote, "for-each-ref") == ""


def test_an_empty_target_is_refused_rather_than_taken_for_this_folder(
    versioned_site: BuildSite, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(["publish", "--site", str(versioned_site("1.0.0")), "--version", "1.0.0", "--target", ""]) == 1
    assert "error: no target: pass a git URL" in capsys.readouterr().err
    assert cli(["unpublish", "1.0.0", "--target", " "]) == 1


@pytest.mark.parametrize("bad", ["../1.0.0", "1.0/2", "1.0 0", "1.0\t", "stable"])
def test_a_bad_version_name_is_refused_before_anything_is_read(
    bad: str, versioned_site: BuildSite, remote: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        cli(["publish", "--site", str(versioned_site("1.0.0")), "--version", bad, "--target", str(remote)])
        == 1
    )
    assert "error: " in capsys.readouterr().err
    assert git(remote, "for-each-ref") == ""


def _hook(remote: Path, script: str) -> None:
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\n" + script)
    hook.chmod(0o755)


def test_a_push_the_remote_always_refuses_leaves_the_branch_as_it_was(
    versioned_site: BuildSite, remote: Path
) -> None:
    publish_site(versioned_site("1.0.0"), "1.0.0", str(remote), backoff=0)
    head = git(remote, "rev-parse", "gh-pages")
    _hook(remote, 'echo "gh-pages is frozen for the audit" >&2\nexit 1\n')
    with pytest.raises(
        PublishError, match=r"(?s)refused 3 pushes to gh-pages; the branch is unchanged.*frozen for the audit"
    ):
        publish_site(versioned_site("1.1.0"), "1.1.0", str(remote), attempts=3, backoff=0)
    assert git(remote, "rev-parse", "gh-pages") == head
    assert [e["version"] for e in versions_json(remote)] == ["1.0.0"]


def test_a_refused_push_is_retried_on_the_new_head(
    versioned_site: BuildSite, remote: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    counter = tmp_path / "pushes"
    _hook(
        remote,
        f'n=$(cat {counter} 2>/dev/null || echo 0); echo $((n+1)) > {counter}\n[ "$n" -ge 1 ] || exit 1\n',
    )
    publish_site(versioned_site("1.0.0"), "1.0.0", str(remote), backoff=0)
    assert "push 1 of 5 refused" in capsys.readouterr().err
    assert counter.read_text().strip() == "2" and aliases(versions_json(remote)) == {
        "stable": "1.0.0",
        "latest": "1.0.0",
    }


def test_two_publishes_racing_in_two_processes_both_land(
    versioned_site: BuildSite, remote: Path, tmp_path: Path
) -> None:
    """The first push waits in the remote's hook until a second publisher has pushed; then it is retried.

    Two named pipes make the interleaving certain without sleeping: the hook says it is waiting on
    one and waits for the test's word on the other.
    """
    publish_site(versioned_site("1.0.0"), "1.0.0", str(remote), backoff=0)
    waiting, release, counter = tmp_path / "waiting", tmp_path / "release", tmp_path / "pushes"
    os.mkfifo(waiting)
    os.mkfifo(release)
    _hook(
        remote,
        f"n=$(cat {counter} 2>/dev/null || echo 0); echo $((n+1)) > {counter}\n"
        f'if [ "$n" = 0 ]; then echo waiting > {waiting}; read go < {release}; fi\n',
    )
    command = [sys.executable, "-m", "airflow_catalog", "publish", "--target", str(remote)]
    first = subprocess.Popen(
        [*command, "--site", str(versioned_site("1.1.0")), "--version", "1.1.0"],
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    with open(waiting) as pipe:  # returns once the first push sits in the hook
        assert pipe.read().strip() == "waiting"
    second = subprocess.run(
        [*command, "--site", str(versioned_site("1.2.0")), "--version", "1.2.0"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert second.returncode == 0, second.stderr
    with open(release, "w") as pipe:
        pipe.write("go\n")
    _, first_err = first.communicate(timeout=120)
    assert first.returncode == 0, first_err
    assert "push 1 of 5 refused" in first_err
    assert [e["version"] for e in versions_json(remote)] == ["1.2.0", "1.1.0", "1.0.0"]
    assert aliases(versions_json(remote))["stable"] == "1.2.0"
    assert git(remote, "rev-list", "--count", "gh-pages") == "3"


def test_the_branch_may_live_under_another_name_beside_other_branches(
    versioned_site: BuildSite, remote: Path
) -> None:
    publish_site(versioned_site("1.0.0"), "1.0.0", str(remote), branch="site", backoff=0)
    assert git(remote, "for-each-ref", "--format=%(refname)") == "refs/heads/site"
    assert aliases(versions_json(remote, "site")) == {"stable": "1.0.0", "latest": "1.0.0"}


def test_files_the_publisher_does_not_own_are_kept(
    versioned_site: BuildSite, remote: Path, tmp_path: Path
) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "init", "-q", "-b", "gh-pages", str(clone)], check=True)
    (clone / "CNAME").write_text("docs.example.org\n")
    subprocess.run(["git", "-C", str(clone), "add", "CNAME"], check=True)
    subprocess.run(
        ["git", "-C", str(clone), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "CNAME"],
        check=True,
    )
    subprocess.run(["git", "-C", str(clone), "push", "-q", str(remote), "gh-pages"], check=True)
    publish_site(versioned_site("1.0.0"), "1.0.0", str(remote), backoff=0)
    assert git(remote, "show", "gh-pages:CNAME") == "docs.example.org"
    assert git(remote, "rev-list", "--count", "gh-pages") == "2"


def test_previous_catalog_is_read_from_the_branch(
    versioned_site: BuildSite, remote: Path, tmp_path: Path
) -> None:
    for version in ("1.0.0", "1.1.0"):
        publish_site(versioned_site(version), version, str(remote), backoff=0)
    # The tiny site has no catalog: place one in 1.1.0 the way the project's build does.
    output = tmp_path / "previous.json"
    assert previous_catalog(str(remote), "1.2.0", output) is None and not output.exists()
    with_catalog = tmp_path / "with-catalog"
    shutil.copytree(versioned_site("1.1.0"), with_catalog)
    (with_catalog / "catalog.json").write_text('{"schema_version": 1}\n')
    publish_site(with_catalog, "1.1.0", str(remote), backoff=0)
    assert previous_catalog(str(remote), "1.2.0", output) == "1.1.0"
    assert json.loads(output.read_text()) == {"schema_version": 1}
    assert previous_catalog(str(remote), "1.1.0", tmp_path / "none.json") is None


def test_the_workflow_entry_point_prints_the_previous_version(
    versioned_site: BuildSite, remote: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with_catalog = tmp_path / "with-catalog"
    shutil.copytree(versioned_site("1.1.0"), with_catalog)
    (with_catalog / "catalog.json").write_text('{"schema_version": 1}\n')
    publish_site(with_catalog, "1.1.0", str(remote), backoff=0)
    capsys.readouterr()
    output = tmp_path / "previous.json"

    def main(arguments: list[str]) -> int:
        return cli(["previous", *arguments])

    assert main(["--target", str(remote), "--version", "dev", "--output", str(output)]) == 0
    assert capsys.readouterr().out == "1.1.0\n" and output.exists()
    assert main(["--target", str(remote), "--version", "1.0.0", "--output", str(tmp_path / "x.json")]) == 0
    assert capsys.readouterr().out == "\n"
    assert main(["--target", str(remote), "--version", "../x", "--output", str(tmp_path / "y.json")]) == 1
    assert "slash" in capsys.readouterr().err
    missing = str(tmp_path / "gh-pages")  # a typo of the target: before, it printed nothing and exited 0
    assert main(["--target", missing, "--version", "dev", "--output", str(tmp_path / "z.json")]) == 1
    assert f"error: {missing!r} is not an existing folder" in capsys.readouterr().err


# --- a plain folder ---------------------------------------------------------------------------------


def snapshot(folder: Path) -> dict[str, str]:
    """Every path below ``folder`` (hidden ones too, links unfollowed): its content, link or ``<dir>``."""
    result = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        if path.is_symlink():
            result[key] = "-> " + os.readlink(path)
        elif path.is_file():
            result[key] = path.read_bytes().decode(errors="replace")
        elif path.is_dir():
            result[key] = "<dir>"
    return result


def test_a_plain_folder_gets_the_same_tree_with_symlinked_aliases(
    versioned_site: BuildSite, tmp_path: Path
) -> None:
    target = tmp_path / "published"
    target.mkdir()
    for version in ("1.0.0", "1.1.0", "2.0.0rc1", "1.2.0"):
        publish_site(versioned_site(version), version, str(target))
    names = {p.name for p in target.iterdir()} - {".publish.lock"}
    assert names == {"1.0.0", "1.1.0", "2.0.0rc1", "1.2.0", "stable", "latest", *ROOT_FILES}
    assert os.readlink(target / "stable") == "1.2.0" and os.readlink(target / "latest") == "2.0.0rc1"
    assert (target / "stable" / "new-in-1-2.html").is_file()
    entries = json.loads((target / "versions.json").read_text())
    assert [e["version"] for e in entries] == ["2.0.0rc1", "1.2.0", "1.1.0", "1.0.0"]
    unpublish_version("1.2.0", str(target))
    assert not (target / "1.2.0").exists() and os.readlink(target / "stable") == "1.1.0"
    assert not list(target.glob(".tmp-*")) and not list(target.glob(".trash-*"))


def test_a_plain_folder_is_left_exactly_as_it_was_when_the_site_is_refused(
    versioned_site: BuildSite, tmp_path: Path
) -> None:
    target = tmp_path / "published"
    target.mkdir()
    publish_site(versioned_site("1.0.0"), "1.0.0", str(target))
    before = snapshot(target)
    broken = tmp_path / "broken"
    shutil.copytree(versioned_site("1.1.0"), broken)
    (broken / "build-info.json").unlink()
    with pytest.raises(PublishError):
        publish_site(broken, "1.1.0", str(target))
    with pytest.raises(VersionError):
        publish_site(versioned_site("1.1.0"), "1.1/../../etc", str(target))
    assert snapshot(target) == before


def test_a_plain_folder_republish_replaces_only_that_folder(
    versioned_site: BuildSite, tmp_path: Path
) -> None:
    target = tmp_path / "published"
    target.mkdir()
    for version in ("1.0.0", "1.1.0"):
        publish_site(versioned_site(version), version, str(target))
    before = snapshot(target)
    publish_site(versioned_site("1.0.0", guide="Fixed after the release."), "1.0.0", str(target))
    after = snapshot(target)
    changed = {key for key in after.keys() | before.keys() if after.get(key) != before.get(key)}
    assert {key.split("/")[0] for key in changed} <= {"1.0.0", "versions.json"}
    assert "Fixed after the release." in (target / "1.0.0" / "guide.html").read_text()


def test_a_real_folder_where_an_alias_goes_is_refused_before_anything_changes(
    versioned_site: BuildSite, tmp_path: Path
) -> None:
    target = tmp_path / "published"
    target.mkdir()
    publish_site(versioned_site("1.0.0"), "1.0.0", str(target))
    (target / "stable").unlink()
    (target / "stable").mkdir()
    before = snapshot(target)
    with pytest.raises(PublishError, match="stable is a real folder, not an alias"):
        publish_site(versioned_site("1.1.0"), "1.1.0", str(target))
    assert snapshot(target) == before and not (target / "1.1.0").exists()


# --- what the build puts in every page ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "noindex"), [("1.2.0", False), ("2.0.0rc1", True), ("dev", True)], ids=["final", "rc", "dev"]
)
def test_pages_carry_their_version_a_canonical_stable_twin_and_the_switcher(
    versioned_site: BuildSite, version: str, noindex: bool
) -> None:
    page = (versioned_site(version) / "guide.html").read_text()
    assert f'<meta name="docs-version" content="{version}">' in page
    assert '<link rel="canonical" href="../stable/guide.html" />' in page
    assert ('<meta name="robots" content="noindex">' in page) is noindex
    assert f'<script src="_static/versions.js" data-catalog-version="{version}"></script>' in page
    assert (versioned_site(version) / "_static" / "versions.js").is_file()
    assert json.loads((versioned_site(version) / "build-info.json").read_text())["version"] == version


def test_an_absolute_site_url_makes_absolute_canonical_links(
    tmp_path: Path, build_versioned_site: BuildSphinx
) -> None:
    source = tmp_path / "src"
    shutil.copytree(ROOT, source)
    (source / "conf.py").write_text(
        (ROOT / "conf.py").read_text() + 'catalog_site_url = "https://docs.example.org/etl/"\n'
    )
    build_versioned_site(tmp_path, "1.2.0")
    page = (tmp_path / "html" / "guide.html").read_text()
    assert '<link rel="canonical" href="https://docs.example.org/etl/stable/guide.html" />' in page


def test_a_version_that_cannot_be_published_stops_the_build_with_the_reason(tmp_path: Path) -> None:
    from sphinx.errors import ConfigError

    expected = r"catalog_version \(or DOCS_VERSION\): version '1\.2/3' holds a slash"
    with docutils_namespace(), pytest.raises(ConfigError, match=expected):
        Sphinx(
            str(ROOT),
            str(ROOT),
            str(tmp_path / "html"),
            str(tmp_path / "doctrees"),
            "html",
            confoverrides={"catalog_version": "1.2/3"},
            status=None,
            warning=io.StringIO(),
        )


def test_an_ordinary_repository_is_a_target_unless_the_branch_is_checked_out(
    versioned_site: BuildSite, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    publish_site(versioned_site("1.0.0"), "1.0.0", str(repo), backoff=0)
    assert aliases(versions_json(repo / ".git")) == {"stable": "1.0.0", "latest": "1.0.0"}
    assert not (repo / "1.0.0").exists()  # nothing was checked out
    subprocess.run(["git", "-C", str(repo), "checkout", "-q", "gh-pages"], check=True)
    with pytest.raises(PublishError, match="has gh-pages checked out, so publishing would change the files"):
        publish_site(versioned_site("1.1.0"), "1.1.0", str(repo), backoff=0)
    assert [e["version"] for e in versions_json(repo / ".git")] == ["1.0.0"]


# --- nothing lost, nothing leaked (issue 13): what a careless target, version or site does ----------------


#: What a user keeps in a published folder, under names the old clean-up removed or that look temporary.
USERS = {"notes.txt", ".tmp-mine", ".trash-keep"}


def users_folder(folder: Path) -> Path:
    """A folder of someone's work: names the publisher writes, or once cleaned up, among other files."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notes.txt").write_text("my notes\n")
    (folder / ".tmp-mine").mkdir()
    (folder / ".tmp-mine" / "draft.md").write_text("a draft\n")
    (folder / ".trash-keep").write_text("kept on purpose\n")
    (folder / "index.html").write_text("<p>my own home page</p>\n")
    (folder / "404.html").write_text("<p>my own 404</p>\n")
    return folder


@pytest.mark.parametrize("spelled", ["dot", "path"])
@pytest.mark.parametrize("verb", ["publish", "unpublish"])
def test_a_folder_of_other_files_is_refused_and_left_exactly_as_it_was(
    verb: str,
    spelled: str,
    versioned_site: BuildSite,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Before: both removed .tmp-mine/ and .trash-keep (unpublish even as it then failed), publish
    replaced index.html and 404.html; `--target .` or `--target ~` did that to real work."""
    work = users_folder(tmp_path / "work")
    before = snapshot(work)
    monkeypatch.chdir(work)
    target = "." if spelled == "dot" else str(work)
    if verb == "publish":
        args = ["publish", "--site", str(versioned_site("1.0.0")), "--version", "1.0.0", "--target", target]
    else:
        args = ["unpublish", "1.0.0", "--target", target]

    assert cli(args) == 1

    err = capsys.readouterr().err
    assert f"error: {target} is not a published tree (it has no versions.json) and is not empty" in err
    assert "it holds .tmp-mine, .trash-keep, 404.html and 2 more" in err
    assert "create an empty folder for the site, or pass a git repository" in err
    assert snapshot(work) == before  # not even a lock file


def test_in_a_published_folder_only_the_publishers_own_names_are_touched(
    versioned_site: BuildSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Names that merely look temporary are the user's; what an interrupted publish left is removed."""
    target = tmp_path / "published"
    target.mkdir()
    publish_site(versioned_site("1.0.0"), "1.0.0", str(target))
    (target / "notes.txt").write_text("my notes\n")
    (target / ".tmp-mine").mkdir()
    (target / ".tmp-mine" / "draft.md").write_text("a draft\n")
    (target / ".trash-keep").write_text("kept on purpose\n")
    users = {key: value for key, value in snapshot(target).items() if key.split("/")[0] in USERS}
    # What a publish killed between its copy and its rename, or inside a swap, leaves behind.
    killed = f".publishing-{'a' * 32}"
    shutil.copytree(versioned_site("1.1.0"), target / killed)
    shutil.copytree(versioned_site("1.0.0"), target / f".trash-1.0.0-{'b' * 32}")

    publish_site(versioned_site("1.1.0"), "1.1.0", str(target))
    unpublish_version("1.0.0", str(target))

    after = snapshot(target)
    assert {key: value for key, value in after.items() if key.split("/")[0] in USERS} == users
    assert {key.split("/")[0] for key in after} == {
        *USERS,
        "1.1.0",
        "stable",
        "latest",
        *ROOT_FILES,
        ".publish.lock",
    }
    err = capsys.readouterr().err
    assert f"removing {target / killed}, left by an interrupted publish" in err


def test_an_unpublish_refused_in_a_folder_changes_nothing(
    versioned_site: BuildSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "published"
    target.mkdir()
    publish_site(versioned_site("1.0.0"), "1.0.0", str(target))
    (target / ".trash-keep").write_text("kept on purpose\n")
    before = snapshot(target)
    assert cli(["unpublish", "9.9.9", "--target", str(target)]) == 1
    assert "error: version 9.9.9 is not published (published: 1.0.0)" in capsys.readouterr().err
    assert cli(["unpublish", "stable", "--target", str(target)]) == 1
    assert (
        "'stable' is an alias, not a version: it follows the versions on its own" in capsys.readouterr().err
    )
    assert snapshot(target) == before


@pytest.fixture
def checkout(tmp_path: Path, remote: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The current folder: a clone whose `origin` is ``remote``, with a file of the user's."""
    work = tmp_path / "checkout"
    subprocess.run(["git", "init", "-q", "-b", "main", str(work)], check=True)
    subprocess.run(["git", "-C", str(work), "remote", "add", "origin", str(remote)], check=True)
    (work / "notes.txt").write_text("uncommitted work\n")
    monkeypatch.chdir(work)
    return work


@pytest.mark.parametrize("verb", ["publish", "unpublish", "previous"])
def test_a_typo_in_a_remote_name_is_an_error_that_suggests_the_remote(
    verb: str,
    versioned_site: BuildSite,
    remote: Path,
    checkout: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Before: `--target orign` created ./orign/, printed "Published" and exited 0."""
    publish_site(versioned_site("1.0.0"), "1.0.0", "origin", backoff=0)
    refs, before = git(remote, "for-each-ref"), snapshot(checkout)
    site = str(versioned_site("1.1.0"))
    args = {
        "publish": ["publish", "--site", site, "--version", "1.1.0", "--target", "orign"],
        "unpublish": ["unpublish", "1.0.0", "--target", "orign"],
        "previous": [
            "previous",
            "--version",
            "1.1.0",
            "--output",
            str(tmp_path / "p.json"),
            "--target",
            "orign",
        ],
    }[verb]

    assert cli(args) == 1

    assert capsys.readouterr().err == (
        "error: 'orign' is not an existing folder, a git URL, a remote of the repository in the current "
        "folder (this repository's remotes are origin) or an object-store URL. Did you mean 'origin'? To "
        "publish into a new folder, create it first: mkdir -p orign\n"
    )
    assert snapshot(checkout) == before and not (tmp_path / "p.json").exists()
    assert git(remote, "for-each-ref") == refs


def test_a_version_too_long_for_a_checkout_is_refused_before_anything_is_read(
    versioned_site: BuildSite, remote: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: a 401-character version was pushed, after which gh-pages could not be checked out."""
    long = "1." + ".".join(["0"] * 200)
    args = ["publish", "--site", str(versioned_site("1.0.0")), "--version", long, "--target", str(remote)]
    assert cli(args) == 1
    assert capsys.readouterr().err == (
        f"error: version {long[:40]!r}… is 401 characters long; a published version may have at most 100 "
        "(it names a folder in every target, and longer names break checkouts of the published branch): "
        "pass a PEP 440 version such as 1.2.0, or `dev`\n"
    )
    assert git(remote, "for-each-ref") == ""


def test_a_version_published_before_the_limit_can_still_be_taken_down(
    versioned_site: BuildSite, remote: Path, tmp_path: Path
) -> None:
    """The way out of the broken state the limit now prevents: unpublish the long version."""
    from airflow_catalog.publish.git_utils import TreeEntry, Workspace
    from airflow_catalog.publish.versions import PublishedVersion, Versions

    long = "1." + ".".join(["0"] * 200)
    publish_site(versioned_site("1.0.0"), "1.0.0", str(remote), backoff=0)
    with Workspace.open(remote.as_uri()) as workspace:  # what the publisher did before the limit
        head = workspace.fetch("gh-pages")
        assert head is not None
        root = [entry for entry in workspace.list_tree(head) if entry.name != "versions.json"]
        listed = Versions.loads(git(remote, "show", "gh-pages:versions.json")).entries
        entry = PublishedVersion(version=long, title=long, prerelease=False, date="2026-01-01T00:00:00Z")
        listing = Versions.of([*listed, entry]).dumps().encode()
        tree = workspace.hash_directory(versioned_site("1.0.0"))
        entries = [
            *root,
            TreeEntry("040000", "tree", tree, long),
            TreeEntry("100644", "blob", workspace.hash_blob(listing), "versions.json"),
        ]
        workspace.push(workspace.commit(workspace.make_tree(entries), head, "Publish long"), "gh-pages")
    clone = subprocess.run(
        ["git", "clone", "-q", "-b", "gh-pages", str(remote), str(tmp_path / "broken")],
        capture_output=True,
        text=True,
    )
    assert clone.returncode != 0 and "File name too long" in clone.stderr

    assert unpublish_version(long, str(remote), backoff=0) == 0

    assert [e["version"] for e in versions_json(remote)] == ["1.0.0"] and long not in root_trees(remote)
    subprocess.run(["git", "clone", "-q", "-b", "gh-pages", str(remote), str(tmp_path / "fixed")], check=True)


def test_a_file_or_a_dangling_link_as_target_is_refused(
    versioned_site: BuildSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: a file gave "[Errno 17] File exists"; a dangling link was taken for a new folder."""
    afile = tmp_path / "site.tar"
    afile.write_text("an archive\n")
    (tmp_path / "link").symlink_to(tmp_path / "gone")
    before = snapshot(tmp_path)
    site = str(versioned_site("1.0.0"))
    assert cli(["publish", "--site", site, "--version", "1.0.0", "--target", str(afile)]) == 1
    assert f"error: {afile} is a file, not a folder: pass a published folder" in capsys.readouterr().err
    assert cli(["publish", "--site", site, "--version", "1.0.0", "--target", str(tmp_path / "link")]) == 1
    assert f"is a link to {tmp_path / 'gone'}, which does not exist" in capsys.readouterr().err
    assert snapshot(tmp_path) == before


def test_a_version_folder_that_links_outside_is_neither_replaced_nor_followed(
    versioned_site: BuildSite, tmp_path: Path
) -> None:
    target = tmp_path / "published"
    target.mkdir()
    publish_site(versioned_site("1.0.0"), "1.0.0", str(target))
    elsewhere = users_folder(tmp_path / "elsewhere")
    (target / "1.1.0").symlink_to(elsewhere)
    before, kept = snapshot(target), snapshot(elsewhere)
    with pytest.raises(PublishError, match=r"1\.1\.0 exists and is not a version folder: move it away"):
        publish_site(versioned_site("1.1.0"), "1.1.0", str(target))
    assert snapshot(target) == before and snapshot(elsewhere) == kept
    # Published, then made a link by hand: unpublishing removes the link, never what it points at.
    (target / "1.1.0").unlink()
    publish_site(versioned_site("1.1.0"), "1.1.0", str(target))
    shutil.rmtree(target / "1.1.0")
    (target / "1.1.0").symlink_to(elsewhere)
    unpublish_version("1.1.0", str(target))
    assert not (target / "1.1.0").is_symlink() and snapshot(elsewhere) == kept


def test_a_repository_with_the_branch_checked_out_is_refused_whatever_its_settings(
    versioned_site: BuildSite, tmp_path: Path
) -> None:
    """Before: with receive.denyCurrentBranch=updateInstead the site was written into the work tree."""
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", "-b", "gh-pages", str(repo)], check=True)
    subprocess.run(
        ["git", "-C", str(repo), "config", "receive.denyCurrentBranch", "updateInstead"], check=True
    )
    (repo / "notes.txt").write_text("uncommitted work\n")
    before = snapshot(repo)
    with pytest.raises(PublishError, match=r"has gh-pages checked out, so publishing would change the files"):
        publish_site(versioned_site("1.0.0"), "1.0.0", str(repo), backoff=0)
    assert snapshot(repo) == before


def test_a_repository_with_uncommitted_work_keeps_it(versioned_site: BuildSite, checkout: Path) -> None:
    status = subprocess.run(
        ["git", "status", "--porcelain"], capture_output=True, text=True, check=True
    ).stdout
    before = {key: value for key, value in snapshot(checkout).items() if not key.startswith(".git")}
    assert publish_site(versioned_site("1.0.0"), "1.0.0", ".", backoff=0) == 0
    assert aliases(versions_json(checkout / ".git")) == {"stable": "1.0.0", "latest": "1.0.0"}
    assert {key: value for key, value in snapshot(checkout).items() if not key.startswith(".git")} == before
    assert subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True).stdout == status


def test_a_branch_that_is_not_a_published_tree_is_refused(versioned_site: BuildSite, tmp_path: Path) -> None:
    """Before: `--branch main` (a typo, or the wrong repository) added the site to the project's branch."""
    work = tmp_path / "project"
    subprocess.run(["git", "init", "-q", "-b", "main", str(work)], check=True)
    (work / "README.md").write_text("the project\n")
    subprocess.run(["git", "-C", str(work), "add", "README.md"], check=True)
    subprocess.run(
        ["git", "-C", str(work), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "start"],
        check=True,
    )
    bare = tmp_path / "project.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
    refs = git(bare, "for-each-ref")
    with pytest.raises(
        PublishError,
        match=r"main of file://.* is not a published tree: it holds README.md and no versions.json\. "
        r"Publish to another branch \(--branch\)",
    ):
        publish_site(versioned_site("1.0.0"), "1.0.0", str(bare), branch="main", backoff=0)
    with pytest.raises(PublishError, match=r"'gh pages' is not a branch name git accepts"):
        publish_site(versioned_site("1.0.0"), "1.0.0", str(bare), branch="gh pages", backoff=0)
    assert git(bare, "for-each-ref") == refs


@pytest.mark.parametrize("link", ["absolute", "relative"])
def test_a_site_that_links_outside_itself_is_refused(
    link: str, versioned_site: BuildSite, remote: Path, tmp_path: Path
) -> None:
    """Before: the link was published (git, folder) or the file it points at uploaded (object store)."""
    secret = tmp_path / "secret.txt"
    secret.write_text("a token of the build machine\n")
    site = tmp_path / "html"
    shutil.copytree(versioned_site("1.0.0"), site)
    (site / "_static" / "leak.txt").symlink_to(
        secret if link == "absolute" else Path("..", "..", "secret.txt")
    )
    with pytest.raises(PublishError, match=r"_static/leak\.txt is a link to .*secret\.txt, outside the site"):
        publish_site(site, "1.0.0", str(remote), backoff=0)
    assert git(remote, "for-each-ref") == ""


def test_a_folder_inside_the_site_is_refused(versioned_site: BuildSite, tmp_path: Path) -> None:
    site = tmp_path / "html"
    shutil.copytree(versioned_site("1.0.0"), site)
    (site / "published").mkdir()
    before = snapshot(site)
    with pytest.raises(PublishError, match=r"published is inside the site .*html: publishing would copy"):
        publish_site(site, "1.0.0", str(site / "published"))
    assert snapshot(site) == before


def test_a_relative_site_folder_is_published_to_git(
    versioned_site: BuildSite, remote: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: `--site _build/html` (the Makefile's) failed: "this operation must be run in a work tree"."""
    shutil.copytree(versioned_site("1.0.0"), tmp_path / "_build" / "html")
    monkeypatch.chdir(tmp_path)
    assert cli(["publish", "--site", "_build/html", "--version", "1.0.0", "--target", str(remote)]) == 0
    assert aliases(versions_json(remote)) == {"stable": "1.0.0", "latest": "1.0.0"}


def test_a_first_publish_stopped_half_way_is_finished_by_the_next(
    versioned_site: BuildSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before the folder was claimed first, the next run found a folder of files without versions.json
    and (rightly, by the rule above) refused it."""
    from airflow_catalog.files import write_atomically
    from airflow_catalog.publish import folder

    target = tmp_path / "published"
    target.mkdir()

    def stopped(path: Path, data: str | bytes) -> None:
        if path.name == "index.html":  # the version is in place, the root files are not
            raise KeyboardInterrupt
        write_atomically(path, data)

    monkeypatch.setattr(folder, "write_atomically", stopped)
    with pytest.raises(KeyboardInterrupt):
        publish_site(versioned_site("1.0.0"), "1.0.0", str(target))
    monkeypatch.undo()

    assert json.loads((target / "versions.json").read_text()) == []
    publish_site(versioned_site("1.0.0"), "1.0.0", str(target))
    assert [e["version"] for e in json.loads((target / "versions.json").read_text())] == ["1.0.0"]
    assert {p.name for p in target.iterdir()} == {"1.0.0", "stable", "latest", *ROOT_FILES, ".publish.lock"}


def test_a_build_info_that_is_not_an_object_is_refused_as_another_build(
    versioned_site: BuildSite, remote: Path, tmp_path: Path
) -> None:
    """Before: AttributeError ('list' object has no attribute 'get')."""
    site = tmp_path / "html"
    shutil.copytree(versioned_site("1.0.0"), site)
    (site / "build-info.json").write_text("[]")
    with pytest.raises(PublishError, match=r"was built as version None, not 1\.0\.0: rebuild it"):
        publish_site(site, "1.0.0", str(remote))
    assert git(remote, "for-each-ref") == ""


@pytest.mark.parametrize("verb", ["publish", "previous"])
def test_a_typo_in_the_branch_is_refused_with_the_branch_it_meant(
    verb: str, versioned_site: BuildSite, remote: Path, tmp_path: Path
) -> None:
    """Before: publish created the branch gh-page and reported success; previous found nothing."""
    publish_site(versioned_site("1.0.0"), "1.0.0", str(remote), backoff=0)
    refs = git(remote, "for-each-ref")
    with pytest.raises(PublishError) as caught:
        if verb == "publish":
            publish_site(versioned_site("1.1.0"), "1.1.0", str(remote), branch="gh-page", backoff=0)
        else:
            previous_catalog(str(remote), "1.1.0", tmp_path / "p.json", branch="gh-page")
    assert str(caught.value) == (
        f"{remote.as_uri()} has no branch 'gh-page': did you mean --branch gh-pages? To start a new branch "
        f"of that name, push an empty commit to it first: git push {remote.as_uri()} $(git commit-tree "
        "4b825dc642cb6eb9a060e54bf8d69288fbee4904 -m 'Start the site'):refs/heads/gh-page"
    )
    assert git(remote, "for-each-ref") == refs and not (tmp_path / "p.json").exists()


def test_a_new_branch_of_a_close_name_is_started_as_the_refusal_says(
    versioned_site: BuildSite, remote: Path, tmp_path: Path
) -> None:
    publish_site(versioned_site("1.0.0"), "1.0.0", str(remote), backoff=0)
    scratch = tmp_path / "scratch"
    subprocess.run(["git", "init", "-q", str(scratch)], check=True)
    author = ["-c", "user.name=t", "-c", "user.email=t@t"]
    empty_tree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
    start = git(scratch / ".git", *author, "commit-tree", empty_tree, "-m", "Start the site")
    subprocess.run(
        ["git", "-C", str(scratch), "push", "-q", remote.as_uri(), f"{start}:refs/heads/gh-page"], check=True
    )
    assert publish_site(versioned_site("1.1.0"), "1.1.0", str(remote), branch="gh-page", backoff=0) == 0
    assert [e["version"] for e in versions_json(remote, "gh-page")] == ["1.1.0"]
    assert [e["version"] for e in versions_json(remote)] == ["1.0.0"]


def test_a_quoted_tilde_is_the_home_folder_and_refused_like_it(
    versioned_site: BuildSite,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    home = users_folder(tmp_path / "home")
    monkeypatch.setenv("HOME", str(home))
    before = snapshot(home)
    assert (
        cli(["publish", "--site", str(versioned_site("1.0.0")), "--version", "1.0.0", "--target", "~"]) == 1
    )
    assert (
        "error: ~ is not a published tree (it has no versions.json) and is not empty"
        in capsys.readouterr().err
    )
    assert snapshot(home) == before


def test_previous_refuses_a_folder_as_its_output(remote: Path, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    with pytest.raises(
        PublishError, match=r"out is a folder: pass the file to write, e.g. .*out/previous\.json"
    ):
        previous_catalog(str(remote), "1.0.0", tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("kind", ["folder", "git"])
def test_a_build_that_starts_while_the_site_is_read_publishes_nothing(
    kind: str, versioned_site: BuildSite, remote: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: the pages read were part old build, part new, and were published as one version."""
    from airflow_catalog.publish.git_utils import Workspace

    site = tmp_path / "html"
    shutil.copytree(versioned_site("1.1.0"), site)
    folder = tmp_path / "published"
    folder.mkdir()
    target = str(folder) if kind == "folder" else str(remote)
    publish_site(versioned_site("1.0.0"), "1.0.0", target, backoff=0)
    before, refs = snapshot(folder), git(remote, "for-each-ref")

    def build_starts(read: Callable[..., object]) -> Callable[..., object]:
        def reading(*args: object, **kwargs: object) -> object:
            result = read(*args, **kwargs)
            # The first thing a new build does (copytree calls itself: the copy then misses the file).
            (site / "build-info.json").unlink(missing_ok=True)
            return result

        return reading

    if kind == "folder":
        monkeypatch.setattr(shutil, "copytree", build_starts(shutil.copytree))
    else:
        monkeypatch.setattr(Workspace, "hash_directory", build_starts(Workspace.hash_directory))
    with pytest.raises(PublishError) as caught:
        publish_site(site, "1.1.0", target, backoff=0)

    assert str(caught.value) == (
        f"{site} changed while it was being published (its build-info.json is gone or new: a build "
        "started?); nothing was published. Publish again when the build has finished"
    )
    assert snapshot(folder) == before and git(remote, "for-each-ref") == refs


@pytest.mark.parametrize("spelled", ["file-url", "remote-name"])
def test_a_checked_out_branch_is_refused_however_the_repository_is_named(
    spelled: str, versioned_site: BuildSite, tmp_path: Path, checkout: Path
) -> None:
    repo = tmp_path / "pages"
    subprocess.run(["git", "init", "-q", "-b", "gh-pages", str(repo)], check=True)
    subprocess.run(
        ["git", "-C", str(repo), "config", "receive.denyCurrentBranch", "updateInstead"], check=True
    )
    subprocess.run(["git", "remote", "add", "pages", str(repo)], check=True)
    before = snapshot(repo)
    target = repo.as_uri() if spelled == "file-url" else "pages"
    with pytest.raises(PublishError, match=r"has gh-pages checked out, so publishing would change the files"):
        publish_site(versioned_site("1.0.0"), "1.0.0", target, backoff=0)
    assert snapshot(repo) == before
