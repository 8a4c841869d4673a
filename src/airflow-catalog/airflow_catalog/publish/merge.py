"""Merge one built version of the site into the published tree, or take one out.

The tree is a git branch (``gh-pages`` by default), a folder, or an object store; which targets the
publisher uses at all, and which it refuses before writing anything, is the rule of
:mod:`airflow_catalog.publish.targets`. Either way the change is whole or absent: in git, readers
only ever see whole commits and the push is a compare-and-swap (a rejected push is retried on top
of the new head, a bounded number of times); in a folder, the new version is staged beside the old
one and renamed into place, and ``versions.json`` is replaced last. A publish touches that
version's folder, the aliases and the root files, nothing else, so its cost does not grow with the
number of versions already published. An fsspec URL (``s3://bucket/docs``) is an object store,
written with the same guarantees by :mod:`airflow_catalog.publish.object_store`.
"""

from __future__ import annotations

import contextlib
import difflib
import fcntl
import functools
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

from airflow_catalog.files import BUILD_INFO, swap_folder, write_atomically
from airflow_catalog.publish.git_utils import GitError, PushRejected, TreeEntry, Workspace
from airflow_catalog.publish.object_store import StoreError, publish_to_store, read_previous_catalog
from airflow_catalog.publish.targets import (
    LOCK,
    STAGING,
    FolderTarget,
    GitTarget,
    PublishError,
    StoreTarget,
    Target,
    is_own_temporary,
    resolve_target,
)
from airflow_catalog.publish.versions import (
    ALIASES,
    ROOT_FILES,
    VERSIONS_JSON,
    PublishedVersion,
    VersionError,
    Versions,
    normalise_version,
    read_version_name,
    root_files,
)

#: How many times a rejected push is retried on top of the new head before giving up.
ATTEMPTS = 5
#: What a branch may hold before its first publish besides nothing: GitHub Pages' own settings, kept.
PAGES_FILES = frozenset({"CNAME", ".nojekyll"})

Change = Callable[[Versions], Versions]


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


def check_site(site: Path, version: str) -> bytes:
    """Refuse a site that is not one complete build of ``version``, or that reaches outside itself.

    :raises PublishError: when the folder is missing, has no ``index.html``, its ``build-info.json``
        (written only when a build finishes without errors) is missing or names another version, or
        it holds a symbolic link that is absolute or leads out of the site (publishing it would
        publish, or point readers at, a file of the build machine).
    :returns: the bytes of its ``build-info.json``, for :func:`_confirm_unchanged`.
    """
    if not (site / "index.html").is_file():
        raise PublishError(f"{site} holds no index.html: build the site first (`make docs`)")
    info_path = site / BUILD_INFO
    if not info_path.is_file():
        raise PublishError(
            f"{site} has no {BUILD_INFO}, so its build did not finish cleanly (or did not load "
            "airflow_catalog.sphinxext.versioning): fix the build and run it again"
        )
    data = info_path.read_bytes()
    try:
        info = json.loads(data)
    except ValueError as error:
        raise PublishError(f"{info_path} is not JSON ({error}): build the site again") from error
    if not isinstance(info, dict) or info.get("version") != version:
        found = info.get("version") if isinstance(info, dict) else None
        raise PublishError(
            f"{site} was built as version {found!r}, not {version}: rebuild it with "
            f"DOCS_VERSION={version} make docs"
        )
    _check_links(site)
    return data


def _confirm_unchanged(site: Path, info: bytes) -> None:
    """Refuse a site that a new build started rewriting while it was being read.

    A build deletes ``build-info.json`` when it starts and writes it when it ends, so a publish that
    finds the file it checked still there, unchanged, after reading every page read one build.

    :raises PublishError: when the file is gone or different.
    """
    try:
        now: bytes | None = (site / BUILD_INFO).read_bytes()
    except FileNotFoundError:
        now = None
    if now != info:
        raise PublishError(
            f"{site} changed while it was being published (its {BUILD_INFO} is gone or new: a build "
            "started?); nothing was published. Publish again when the build has finished"
        )


def _nothing_to_confirm() -> None:
    """Unpublishing reads no site."""


def _check_links(site: Path) -> None:
    root = site.resolve()
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(folder, name)
            if not path.is_symlink():
                continue
            link = path.readlink()
            if link.is_absolute() or not path.resolve().is_relative_to(root):
                raise PublishError(
                    f"{path} is a link to {link}, outside the site: a published site holds only its own "
                    "files. Copy the file into the build (html_extra_path) or remove the link, then build"
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
    :param target: a git repository (path, URL or remote name), a published or empty folder, or an
        fsspec URL of an object store such as ``s3://bucket/docs`` (see
        :mod:`airflow_catalog.publish.targets`).
    :param branch: the branch of a git target.
    :param title: the name the switcher shows; the version by default.
    :param attempts: pushes to try before giving up when the remote keeps refusing.
    :param backoff: seconds of the first random pause between attempts, doubled each time.
    :raises VersionError: when the version name is refused.
    :raises PublishError: when the target may not be written to, the site is not a complete build
        of that version, or the push is refused; nothing was changed.
    :returns: 0.
    """
    name = normalise_version(version)
    where = resolve_target(target, "publish", branch)
    info = check_site(site, name)
    if isinstance(where, FolderTarget) and where.path.resolve().is_relative_to(site.resolve()):
        raise PublishError(
            f"{target} is inside the site {site}: publishing would copy the site into itself; pass a "
            "folder outside it"
        )
    entry = PublishedVersion.new(name, date=_now(), title=title)
    confirm = functools.partial(_confirm_unchanged, site, info)
    job = _Job(f"Publish {name}", branch, attempts, backoff, confirm)
    outcome = _apply(where, name, lambda old: old.with_version(entry), site, job)
    print(f"Published {name} to {target}: {outcome.summary()}", flush=True)
    return 0


def unpublish_version(
    version: str, target: str, branch: str = "gh-pages", *, attempts: int = ATTEMPTS, backoff: float = 0.5
) -> int:
    """Remove ``version`` from ``target``; the aliases and the root move to the versions that remain.

    Everything is checked before the first change: the name, the target, and that the version is
    published there.

    :raises VersionError: when the version name is refused or not published.
    :raises PublishError: when the target is not a published tree, or the push is refused.
    :returns: 0.
    """
    # Leniently: a version published before the length limit existed must be removable.
    name = read_version_name(version)
    where = resolve_target(target, "unpublish", branch)
    if isinstance(where, FolderTarget) and where.versions is not None:
        where.versions.without(name)  # refuses an unknown version before the folder is locked

    def change(old: Versions) -> Versions:
        return old.without(name)

    job = _Job(f"Unpublish {name}", branch, attempts, backoff, _nothing_to_confirm)
    outcome = _apply(where, name, change, None, job)
    print(f"Unpublished {name} from {target}: {outcome.summary()}", flush=True)
    return 0


def previous_catalog(target: str, version: str, output: Path, branch: str = "gh-pages") -> str | None:
    """Copy the ``catalog.json`` of the version published before ``version`` to ``output``.

    :raises PublishError: when the target names nothing, a folder that is not a published tree, or
        a misspelt branch; or when ``output`` is a folder.
    :returns: that version's name, or ``None`` (and no file) when there is none or it has no catalog.
    """
    name = normalise_version(version)
    if output.is_dir():
        raise PublishError(f"{output} is a folder: pass the file to write, e.g. {output / 'previous.json'}")
    where = resolve_target(target, "read", branch)
    if isinstance(where, StoreTarget):
        stored = read_previous_catalog(where.url, lambda versions: versions.previous(name))
        if stored is not None:
            write_atomically(output, stored[1])
        return stored[0] if stored else None
    if isinstance(where, FolderTarget):
        previous = (where.versions or Versions()).previous(name)
        source = where.path / previous / "catalog.json" if previous else None
        if source is None or not source.is_file():
            return None
        write_atomically(output, source.read_bytes())
        return previous
    with Workspace.open(where.url) as workspace:
        head = workspace.fetch(branch)
        if head is None:
            _refuse_a_typo_of_a_branch(workspace, branch)
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
        write_atomically(output, workspace.read_blob(found.oid))
        return previous


@dataclass(frozen=True)
class _Job:
    """One change to a published tree.

    :param message: what it is called (the commit's message in git).
    :param branch: the branch of a git target.
    :param attempts: how many times a lost race is tried again.
    :param backoff: seconds of the first random pause after a lost race.
    :param confirm: called once the site has been read, to refuse one a build rewrote meanwhile.
    """

    message: str
    branch: str
    attempts: int
    backoff: float
    confirm: Callable[[], None]


def _apply(where: Target, name: str, change: Change, site: Path | None, job: _Job) -> Outcome:
    if isinstance(where, StoreTarget):
        done = publish_to_store(
            where.url, name, change, site, attempts=job.attempts, backoff=job.backoff, confirm=job.confirm
        )
        return Outcome(done.versions, done.attempts)
    if isinstance(where, GitTarget):
        return _update_branch(where.url, name, change, site, job)
    return _update_folder(where.path, name, change, site, job.confirm)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- a git branch ------------------------------------------------------------------------------------


def _update_branch(url: str, name: str, change: Change, site: Path | None, job: _Job) -> Outcome:
    with Workspace.open(url) as workspace:
        # Outside the loop: the new version's objects are hashed once, whatever the retries.
        tree = workspace.hash_directory(site) if site is not None else None
        job.confirm()
        refused: PushRejected | None = None
        for attempt in range(1, job.attempts + 1):
            head = workspace.fetch(job.branch)
            if head is None:
                _refuse_a_typo_of_a_branch(workspace, job.branch)
            entries = workspace.list_tree(head) if head else []
            _check_branch_is_a_tree(entries, url, job.branch)
            versions, root = _merge_root(workspace, entries, name, change, tree)
            commit = workspace.commit(root, head, job.message)
            try:
                workspace.push(commit, job.branch)
            except PushRejected as error:
                if "checked out" in error.stderr:
                    raise PublishError(
                        f"{url} has {job.branch} checked out, so git refuses to move it: publish to a bare "
                        "repository (git clone --bare), or check another branch out there"
                    ) from error
                refused = error
                if attempt < job.attempts:
                    print(f"push {attempt} of {job.attempts} refused, retrying: {error}", file=sys.stderr)
                    if job.backoff:
                        # Random pauses keep two publishers that lost the same race from colliding again.
                        time.sleep(random.uniform(0, job.backoff * 2 ** (attempt - 1)))
                continue
            return Outcome(versions, attempt)
    raise PublishError(
        f"{url} refused {job.attempts} pushes to {job.branch}; the branch is unchanged. Last: {refused}"
    )


#: The object id of the empty tree, which every git repository knows without storing it.
_EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def _refuse_a_typo_of_a_branch(workspace: Workspace, branch: str) -> None:
    """Refuse a branch that does not exist when the remote has one of a close name: a typo.

    Publishing would create the misspelt branch and report success; reading would answer "nothing
    published before" and the page of changes would compare with nothing.
    """
    close = difflib.get_close_matches(branch, workspace.branches(), n=1, cutoff=0.7)
    if close:
        start = f"$(git commit-tree {_EMPTY_TREE} -m 'Start the site')"
        raise PublishError(
            f"{workspace.url} has no branch {branch!r}: did you mean --branch {close[0]}? To start a "
            f"new branch of that name, push an empty commit to it first: git push {workspace.url} "
            f"{start}:refs/heads/{branch}"
        )


def _check_branch_is_a_tree(entries: list[TreeEntry], url: str, branch: str) -> None:
    """Refuse a branch that holds other files and no ``versions.json``: someone else's branch.

    A typo in ``--branch`` (``main``) would otherwise add the site to a branch that is not the site's
    and replace any ``index.html`` there. GitHub Pages' own ``CNAME`` and ``.nojekyll`` are welcome.
    """
    names = {entry.name for entry in entries}
    others = sorted(names - PAGES_FILES)
    if VERSIONS_JSON in names or not others:
        return
    shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
    raise PublishError(
        f"{branch} of {url} is not a published tree: it holds {shown} and no {VERSIONS_JSON}. Publish to "
        f"another branch (--branch), or, to make this one the site's, commit a {VERSIONS_JSON} holding "
        "an empty list ([]) at its top"
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
#
# The folder was checked by resolve_target: a published tree or an empty folder. Under its lock, the
# change is computed and every name it needs is checked before the first write; the publisher then
# writes only the version's folder, the aliases, the root files and temporary names carrying this
# run's marker (targets.STAGING + 32 hex digits), which it removes itself.


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with (folder / LOCK).open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _update_folder(
    folder: Path, name: str, change: Change, site: Path | None, confirm: Callable[[], None]
) -> Outcome:
    run = uuid.uuid4().hex
    with _locked(folder):
        listing = folder / VERSIONS_JSON
        old = Versions.loads(listing.read_bytes()) if listing.is_file() else Versions()
        _check_names(folder, name, publishing=site is not None)
        present = {p.name for p in folder.iterdir() if p.is_dir() and not p.is_symlink()}
        if site is not None:
            present.add(name)
        versions = change(old).keeping(present)  # refuses to unpublish what is not there
        _clear_leftovers(folder)
        if not listing.is_file():
            # Claimed before anything else is written: a first publish stopped half-way still leaves
            # a folder that resolve_target recognises as a published tree, and the next run finishes it.
            write_atomically(listing, old.dumps())
        if site is not None:
            _stage_and_swap(site, folder, name, run, confirm)
        _point_aliases(folder, versions, run)
        files = root_files(versions)
        for path in sorted(files, key=lambda path: path == VERSIONS_JSON):  # versions.json last
            write_atomically(folder / path, files[path])
        if site is None and name not in versions.names():
            _remove_version(folder / name)
    return Outcome(versions)


def _check_names(folder: Path, name: str, *, publishing: bool) -> None:
    """Refuse, before the first write, a name the change needs that holds something else."""
    for alias_path in (folder / alias for alias in ALIASES):
        if alias_path.exists() and not alias_path.is_symlink():
            raise PublishError(f"{alias_path} is a real folder, not an alias: remove it, publish again")
    for root_path in (folder / path for path in ROOT_FILES):
        if root_path.is_dir():
            raise PublishError(f"{root_path} is a folder, where the publisher writes a file: move it away")
    destination = folder / name
    if publishing and (destination.is_symlink() or destination.is_file()):
        raise PublishError(f"{destination} exists and is not a version folder: move it away first")


def _clear_leftovers(folder: Path) -> None:
    """Remove what a publish killed half-way left: names only the publisher gives.

    The folder is locked and every publish works under the lock, so no living run owns them.
    """
    for path in folder.iterdir():
        if is_own_temporary(path.name):
            print(f"removing {path}, left by an interrupted publish", file=sys.stderr)
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()


def _stage_and_swap(site: Path, folder: Path, name: str, run: str, confirm: Callable[[], None]) -> None:
    """Copy the site beside the tree, then put it in place of the version's folder in two renames."""
    staged = folder / f"{STAGING}{run}"
    try:
        try:
            shutil.copytree(site, staged, symlinks=True)
        except OSError:
            confirm()  # a build that started meanwhile (files gone under the copy) says so first
            raise
        confirm()
        swap_folder(staged, folder / name)
    finally:
        if staged.exists():
            shutil.rmtree(staged, ignore_errors=True)


def _point_aliases(folder: Path, versions: Versions, run: str) -> None:
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
        temporary = folder / f"{STAGING}{run}-{alias}"
        try:
            temporary.symlink_to(targets[alias], target_is_directory=True)
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)


def _remove_version(path: Path) -> None:
    # A link where a version goes is not followed: what it points at is not the publisher's.
    if path.is_symlink():
        path.unlink()
    elif path.is_dir():
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
    except (GitError, PublishError, StoreError, VersionError) as error:
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
