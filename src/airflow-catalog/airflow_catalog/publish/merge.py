"""Merge one built version of the site into the published tree, or take one out.

The tree is a git branch (``gh-pages`` by default) or a plain folder. Either way the change is whole
or absent: in git, readers only ever see whole commits and the push is a compare-and-swap (a
rejected push is retried on top of the new head, a bounded number of times); in a folder, the new
version is staged beside the old one and renamed into place, and ``versions.json`` is replaced last.
A publish touches that version's folder, the aliases and the root files, nothing else, so its cost
does not grow with the number of versions already published. An fsspec URL (``s3://bucket/docs``)
is an object store, written with the same guarantees by :mod:`airflow_catalog.publish.object_store`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import random
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from airflow_catalog.publish.git_utils import GitError, PushRejected, TreeEntry, Workspace, remote_url
from airflow_catalog.publish.object_store import (
    StoreError,
    is_store_url,
    publish_to_store,
    read_previous_catalog,
)
from airflow_catalog.publish.versions import (
    ALIASES,
    ROOT_FILES,
    VERSIONS_JSON,
    PublishedVersion,
    VersionError,
    Versions,
    normalise_version,
    root_files,
)

#: Written by :mod:`airflow_catalog.sphinxext.versioning` at the end of a build without errors or warnings.
BUILD_INFO = "build-info.json"
#: How many times a rejected push is retried on top of the new head before giving up.
ATTEMPTS = 5

Change = Callable[[Versions], Versions]


class PublishError(RuntimeError):
    """The site cannot be published as asked; the published tree is unchanged."""


@dataclass(frozen=True)
class Outcome:
    """What a publish or unpublish did.

    :param versions: the versions now in the tree.
    :param attempts: how many pushes it took (1 without a race).
    """

    versions: Versions
    attempts: int = 1

    def summary(self) -> str:
        """Describe the tree's aliases in one line."""
        aliases = ", ".join(f"{alias} → {name}" for alias, name in self.versions.alias_targets().items())
        return f"{len(self.versions.entries)} version(s); {aliases or 'no aliases'}"


def check_site(site: Path, version: str) -> None:
    """Refuse a site that is not one complete build of ``version``.

    :raises PublishError: when the folder is missing, has no ``index.html``, or its ``build-info.json``
        (written only when a build finishes without errors) is missing or names another version.
    """
    if not (site / "index.html").is_file():
        raise PublishError(f"{site} holds no index.html: build the site first (`make docs`)")
    info_path = site / BUILD_INFO
    if not info_path.is_file():
        raise PublishError(
            f"{site} has no {BUILD_INFO}, so its build did not finish cleanly (or did not load "
            "airflow_catalog.sphinxext.versioning): fix the build and run it again"
        )
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise PublishError(f"{info_path} is not JSON ({error}): build the site again") from error
    if info.get("version") != version:
        raise PublishError(
            f"{site} was built as version {info.get('version')!r}, not {version}: rebuild it with "
            f"DOCS_VERSION={version} make docs"
        )


def publish_site(
    site: Path,
    version: str,
    target: str,
    branch: str = "gh-pages",
    title: str | None = None,
    *,
    attempts: int = ATTEMPTS,
    backoff: float = 0.5,
) -> int:
    """Publish a built site as ``version`` into ``target`` and print what the tree holds now.

    :param site: the built HTML folder.
    :param version: a PEP 440 version or ``dev``.
    :param target: a git repository (path, URL or remote name), a plain folder, or an fsspec URL
        of an object store such as ``s3://bucket/docs`` (see :mod:`airflow_catalog.publish.object_store`).
    :param branch: the branch of a git target.
    :param title: the name the switcher shows; the version by default.
    :param attempts: pushes to try before giving up when the remote keeps refusing.
    :param backoff: seconds of the first random pause between attempts, doubled each time.
    :raises VersionError: when the version name is refused.
    :raises PublishError: when the site is not a complete build of that version or the push is refused.
    :returns: 0.
    """
    name = normalise_version(version)
    _check_target(target)
    check_site(site, name)
    entry = PublishedVersion.new(name, date=_now(), title=title)
    if is_store_url(target):
        done = publish_to_store(
            target, name, lambda old: old.with_version(entry), site, attempts=attempts, backoff=backoff
        )
        summary = Outcome(done.versions, done.attempts).summary()
        print(f"Published {name} to {target}: {summary}", flush=True)
        return 0
    url = remote_url(target)
    if url is not None:
        outcome = _update_branch(
            url, branch, name, lambda old: old.with_version(entry), site, f"Publish {name}", attempts, backoff
        )
    else:
        outcome = _update_folder(Path(target), name, lambda old: old.with_version(entry), site)
    print(f"Published {name} to {target}: {outcome.summary()}", flush=True)
    return 0


def unpublish_version(
    version: str, target: str, branch: str = "gh-pages", *, attempts: int = ATTEMPTS, backoff: float = 0.5
) -> int:
    """Remove ``version`` from ``target``; the aliases and the root move to the versions that remain.

    :raises VersionError: when the version name is refused or not published.
    :raises PublishError: when the push is refused.
    :returns: 0.
    """
    name = normalise_version(version)
    _check_target(target)

    def change(old: Versions) -> Versions:
        return old.without(name)

    if is_store_url(target):
        done = publish_to_store(target, name, change, None, attempts=attempts, backoff=backoff)
        summary = Outcome(done.versions, done.attempts).summary()
        print(f"Unpublished {name} from {target}: {summary}", flush=True)
        return 0
    url = remote_url(target)
    if url is not None:
        outcome = _update_branch(url, branch, name, change, None, f"Unpublish {name}", attempts, backoff)
    else:
        folder = Path(target)
        if not folder.is_dir():
            raise PublishError(f"{target} is neither a git repository nor a published folder")
        outcome = _update_folder(folder, name, change, None)
    print(f"Unpublished {name} from {target}: {outcome.summary()}", flush=True)
    return 0


def previous_catalog(target: str, version: str, output: Path, branch: str = "gh-pages") -> str | None:
    """Copy the ``catalog.json`` of the version published before ``version`` to ``output``.

    :returns: that version's name, or ``None`` (and no file) when there is none or it has no catalog.
    """
    name = normalise_version(version)
    if is_store_url(target):
        stored = read_previous_catalog(target, lambda versions: versions.previous(name))
        if stored is not None:
            output.write_bytes(stored[1])
        return stored[0] if stored else None
    url = remote_url(target)
    if url is None:
        folder = Path(target)
        listing = folder / VERSIONS_JSON
        versions = Versions.loads(listing.read_bytes()) if listing.is_file() else Versions()
        previous = versions.previous(name)
        source = folder / previous / "catalog.json" if previous else None
        if source is None or not source.is_file():
            return None
        output.write_bytes(source.read_bytes())
        return previous
    with Workspace.open(url) as workspace:
        head = workspace.fetch(branch)
        if head is None:
            return None
        root = {entry.name: entry for entry in workspace.list_tree(head)}
        if VERSIONS_JSON not in root:
            return None
        previous = Versions.loads(workspace.read_blob(root[VERSIONS_JSON].oid)).previous(name)
        if previous is None or previous not in root:
            return None
        found = {e.name: e for e in workspace.list_tree(root[previous].oid)}.get("catalog.json")
        if found is None:
            return None
        output.write_bytes(workspace.read_blob(found.oid))
        return previous


def _check_target(target: str) -> None:
    # An empty target would resolve to the current folder, i.e. this repository: never what was meant.
    if not target.strip():
        raise PublishError(
            "no target: pass a git URL, a repository path, a remote name or a folder (TARGET=...)"
        )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- a git branch ------------------------------------------------------------------------------------


def _update_branch(
    url: str,
    branch: str,
    name: str,
    change: Change,
    site: Path | None,
    message: str,
    attempts: int,
    backoff: float,
) -> Outcome:
    with Workspace.open(url) as workspace:
        # Outside the loop: the new version's objects are hashed once, whatever the retries.
        tree = workspace.hash_directory(site) if site is not None else None
        refused: PushRejected | None = None
        for attempt in range(1, attempts + 1):
            head = workspace.fetch(branch)
            entries = workspace.list_tree(head) if head else []
            versions, root = _merge_root(workspace, entries, name, change, tree)
            commit = workspace.commit(root, head, message)
            try:
                workspace.push(commit, branch)
            except PushRejected as error:
                if "checked out" in error.stderr:
                    raise PublishError(
                        f"{url} has {branch} checked out, so git refuses to move it: publish to a bare "
                        "repository (git clone --bare), or check another branch out there"
                    ) from error
                refused = error
                if attempt < attempts:
                    print(f"push {attempt} of {attempts} refused, retrying: {error}", file=sys.stderr)
                    if backoff:
                        # Random pauses keep two publishers that lost the same race from colliding again.
                        time.sleep(random.uniform(0, backoff * 2 ** (attempt - 1)))
                continue
            return Outcome(versions, attempt)
    raise PublishError(
        f"{url} refused {attempts} pushes to {branch}; the branch is unchanged. Last: {refused}"
    )


def _merge_root(
    workspace: Workspace, entries: list[TreeEntry], name: str, change: Change, tree: str | None
) -> tuple[Versions, str]:
    """Compute the new root tree from the old one; every other version keeps its tree object."""
    by_name = {entry.name: entry for entry in entries}
    old = Versions()
    if VERSIONS_JSON in by_name:
        old = Versions.loads(workspace.read_blob(by_name[VERSIONS_JSON].oid))
    trees = {entry.name: entry.oid for entry in entries if entry.kind == "tree"}
    if tree is not None:
        trees[name] = tree
    versions = change(old).keeping(trees)
    owned = {name, *versions.names(), *ALIASES, *ROOT_FILES}
    kept = [entry for entry in entries if entry.name not in owned]
    folders = [TreeEntry("040000", "tree", trees[version], version) for version in versions.names()]
    # An alias is one more name for the version's tree object: no copy, and it moves by one entry.
    aliases = [
        TreeEntry("040000", "tree", trees[target], alias)
        for alias, target in versions.alias_targets().items()
    ]
    files = [
        TreeEntry("100644", "blob", workspace.hash_blob(data), path)
        for path, data in root_files(versions).items()
    ]
    return versions, workspace.make_tree([*kept, *folders, *aliases, *files])


# --- a plain folder ----------------------------------------------------------------------------------


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with (folder / ".publish.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _update_folder(folder: Path, name: str, change: Change, site: Path | None) -> Outcome:
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder):
        for alias_path in (folder / alias for alias in ALIASES):
            if alias_path.exists() and not alias_path.is_symlink():
                raise PublishError(f"{alias_path} is a real folder, not an alias: remove it, publish again")
        for leftover in [*folder.glob(".tmp-*"), *folder.glob(".trash-*")]:
            _remove(leftover)  # from a run that was killed; never visible under a published name
        listing = folder / VERSIONS_JSON
        old = Versions.loads(listing.read_bytes()) if listing.is_file() else Versions()
        staged = None
        if site is not None:
            staged = folder / f".tmp-{uuid.uuid4().hex}"
            try:
                shutil.copytree(site, staged, symlinks=True)
            except BaseException:
                _remove(staged)
                raise
        present = {p.name for p in folder.iterdir() if p.is_dir() and not p.is_symlink()}
        if staged is not None:
            present.add(name)
        versions = change(old).keeping(present)
        if staged is not None:
            _swap(staged, folder / name)
        _point_aliases(folder, versions)
        files = root_files(versions)
        for path in sorted(files, key=lambda path: path == VERSIONS_JSON):  # versions.json last
            _write_atomically(folder / path, files[path])
        if site is None and name not in versions.names() and (folder / name).is_dir():
            _remove(folder / name)
    return Outcome(versions)


def _swap(staged: Path, destination: Path) -> None:
    """Put a staged folder in place of ``destination``; the old one is unreachable for only a rename."""
    if destination.is_symlink() or destination.is_file():
        raise PublishError(f"{destination} exists and is not a version folder: move it away first")
    trash = destination.with_name(f".trash-{uuid.uuid4().hex}")
    if destination.exists():
        destination.rename(trash)
    staged.rename(destination)
    _remove(trash)


def _point_aliases(folder: Path, versions: Versions) -> None:
    """Make each alias a relative symlink to its version, swapped in with one atomic rename.

    Symlinks, not copies or redirect pages: the alias shares the version's files, and a page under
    ``stable/`` keeps its own path, which the switcher and the canonical links rely on.
    """
    targets = versions.alias_targets()
    for alias in ALIASES:
        path = folder / alias
        if alias not in targets:
            path.unlink(missing_ok=True)
            continue
        temporary = folder / f".tmp-{uuid.uuid4().hex}"
        temporary.symlink_to(targets[alias], target_is_directory=True)
        os.replace(temporary, path)


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".tmp-{uuid.uuid4().hex}")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


def main(argv: list[str] | None = None) -> int:
    """``python -m airflow_catalog.publish.merge --target T --version V --output F``: the previous catalog.

    The release workflow runs this before building, so that the page of changes can compare with the
    version published before this one. It prints that version's name, or nothing when there is none.
    """
    import argparse

    parser = argparse.ArgumentParser(prog="python -m airflow_catalog.publish.merge", description=main.__doc__)
    parser.add_argument("--target", required=True, help="the published tree: git repository or folder")
    parser.add_argument("--version", required=True, help="the version about to be published")
    parser.add_argument("--output", required=True, type=Path, help="where to write its previous catalog.json")
    parser.add_argument("--branch", default="gh-pages")
    args = parser.parse_args(argv)
    try:
        previous = previous_catalog(args.target, args.version, args.output, branch=args.branch)
    except (GitError, StoreError, VersionError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(previous or "")
    return 0


__all__ = [
    "BUILD_INFO",
    "GitError",
    "PublishError",
    "StoreError",
    "VersionError",
    "check_site",
    "main",
    "previous_catalog",
    "publish_site",
    "unpublish_version",
]


if __name__ == "__main__":
    sys.exit(main())
