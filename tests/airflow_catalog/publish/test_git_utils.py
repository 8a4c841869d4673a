"""The git layer: which targets are repositories, the treeless workspace, typed errors, refused pushes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from airflow_catalog.publish.git_utils import (
    GitError,
    PushRejected,
    TreeEntry,
    Workspace,
    checked_out_branches,
    is_branch_name,
    remote_names,
    remote_url,
)


def git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """A bare repository whose gh-pages holds three version folders of distinct files."""
    work = tmp_path / "work"
    git("init", "-q", "-b", "gh-pages", str(work))
    for version in ("1.0.0", "1.1.0", "1.2.0"):
        (work / version).mkdir()
        for page in range(5):
            (work / version / f"page-{page}.html").write_text(f"{version} page {page}\n")
    git("add", ".", cwd=work)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "three versions", cwd=work)
    bare = tmp_path / "remote.git"
    git("clone", "-q", "--bare", str(work), str(bare))
    return bare


def objects_in(workspace: Workspace) -> int:
    counts = dict(
        line.split(": ") for line in git(f"--git-dir={workspace.git_dir}", "count-objects", "-v").splitlines()
    )
    return int(counts["count"]) + int(counts["in-pack"])


def test_targets_are_told_apart(tmp_path: Path, remote: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert remote_url("https://github.com/example/site.git") == "https://github.com/example/site.git"
    assert remote_url("git@github.com:example/site.git") == "git@github.com:example/site.git"
    assert remote_url(str(remote)) == remote.as_uri()
    git("init", "-q", str(tmp_path / "ordinary"))
    assert remote_url(str(tmp_path / "ordinary")) == (tmp_path / "ordinary").as_uri()
    (tmp_path / "ordinary" / "inside").mkdir()
    assert remote_url(str(tmp_path / "ordinary" / "inside")) is None  # a folder in a work tree is a folder
    assert remote_url(str(tmp_path / "plain")) is None
    monkeypatch.chdir(tmp_path / "ordinary")
    git("remote", "add", "pages", "https://example.org/pages.git")
    assert remote_url("pages") == "https://example.org/pages.git"


def test_a_missing_branch_is_none_and_a_bad_remote_is_an_error_with_gits_words(tmp_path: Path) -> None:
    empty = tmp_path / "empty.git"
    git("init", "-q", "--bare", str(empty))
    with Workspace.open(empty.as_uri()) as workspace:
        assert workspace.fetch("gh-pages") is None
    with Workspace.open((tmp_path / "nowhere.git").as_uri()) as workspace, pytest.raises(GitError) as caught:
        workspace.fetch("gh-pages")
    assert "cannot read refs/heads/gh-pages of file://" in str(caught.value)
    assert "does not appear to be a git repository" in caught.value.stderr


def test_only_the_newest_commit_and_the_root_tree_are_downloaded(remote: Path) -> None:
    with Workspace.open(remote.as_uri()) as workspace:
        head = workspace.fetch("gh-pages")
        assert head == git(f"--git-dir={remote}", "rev-parse", "gh-pages")
        assert objects_in(workspace) == 2  # the commit and its root tree: no version's trees or files
        root = workspace.list_tree(head)
        assert [entry.name for entry in root] == ["1.0.0", "1.1.0", "1.2.0"]
        assert objects_in(workspace) == 2
        site = remote.parent / "site"
        site.mkdir()
        (site / "index.html").write_text("2.0.0\n")
        tree = workspace.hash_directory(site)
        new_root = workspace.make_tree([*root, TreeEntry("040000", "tree", tree, "2.0.0")])
        commit = workspace.commit(new_root, head, "Publish 2.0.0")
        workspace.push(commit, "gh-pages")
        assert objects_in(workspace) == 6  # + the new file, its tree, the new root, the commit
    assert git(f"--git-dir={remote}", "show", "gh-pages:2.0.0/index.html") == "2.0.0"
    assert git(f"--git-dir={remote}", "show", "gh-pages:1.0.0/page-3.html") == "1.0.0 page 3"
    git(f"--git-dir={remote}", "fsck", "--strict")


def test_a_folder_hashes_to_the_tree_git_itself_would_commit(tmp_path: Path, remote: Path) -> None:
    site = tmp_path / "site"
    (site / "_static").mkdir(parents=True)
    (site / "index.html").write_text("hello\n")
    (site / "_static" / "app.js").write_text("1;\n")
    (site / ".gitignore").write_text("*.html\n")  # a built site's own ignore rules must not drop pages
    reference = tmp_path / "reference"
    git("init", "-q", str(reference))
    subprocess.run(["cp", "-r", f"{site}/.", str(reference)], check=True)
    git("add", "--force", ".", cwd=reference)
    with Workspace.open(remote.as_uri()) as workspace:
        assert workspace.hash_directory(site) == git("write-tree", cwd=reference)


def test_a_push_on_an_outdated_head_is_refused_as_such(remote: Path) -> None:
    with Workspace.open(remote.as_uri()) as first, Workspace.open(remote.as_uri()) as second:
        head = first.fetch("gh-pages")
        assert second.fetch("gh-pages") == head
        assert head is not None
        root = first.list_tree(head)
        first.push(first.commit(first.make_tree(root[:2]), head, "first"), "gh-pages")
        with pytest.raises(PushRejected) as caught:
            second.push(second.commit(second.make_tree(root[1:]), head, "second"), "gh-pages")
    assert "refused the push to gh-pages" in str(caught.value)
    assert "fetch first" in caught.value.stderr or "non-fast-forward" in caught.value.stderr
    assert git(f"--git-dir={remote}", "log", "-1", "--format=%s", "gh-pages") == "first"


def test_remote_names_are_those_of_the_current_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert remote_names() == []  # not a repository: no remotes, no error
    git("init", "-q", str(tmp_path / "repo"))
    monkeypatch.chdir(tmp_path / "repo")
    git("remote", "add", "origin", "https://example.org/a.git")
    git("remote", "add", "upstream", "https://example.org/b.git")
    assert remote_names() == ["origin", "upstream"]


def test_checked_out_branches_cover_every_working_tree_and_none_of_a_bare_repository(
    tmp_path: Path, remote: Path
) -> None:
    work = tmp_path / "work"  # the fixture's clone source, on gh-pages
    git("worktree", "add", "-q", "-b", "other", str(tmp_path / "linked"), cwd=work)
    assert checked_out_branches(work) == {"gh-pages", "other"}
    assert checked_out_branches(remote) == set()


@pytest.mark.parametrize(
    ("branch", "accepted"),
    [("gh-pages", True), ("site/v2", True), ("", False), ("gh pages", False), ("a..b", False), ("-x", False)],
)
def test_branch_names_are_checked_by_git(branch: str, accepted: bool) -> None:
    assert is_branch_name(branch) is accepted


def test_a_relative_folder_is_hashed_like_an_absolute_one(
    tmp_path: Path, remote: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: git read --work-tree relative to the folder itself, and failed outside a work tree."""
    site = tmp_path / "_build" / "html"
    site.mkdir(parents=True)
    (site / "index.html").write_text("hello\n")
    monkeypatch.chdir(tmp_path)
    with Workspace.open(remote.as_uri()) as workspace:
        assert workspace.hash_directory(Path("_build/html")) == workspace.hash_directory(site)
