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

import functools
import json
import os
from pathlib import Path

from airflow_catalog.files import BUILD_INFO, write_atomically
from airflow_catalog.publish.branch import previous_in_branch, update_branch
from airflow_catalog.publish.folder import update_folder
from airflow_catalog.publish.git_utils import GitError
from airflow_catalog.publish.object_store import StoreError, publish_to_store, read_previous_catalog
from airflow_catalog.publish.outcome import Change, Job, Outcome, now
from airflow_catalog.publish.targets import (
    FolderTarget,
    GitTarget,
    PublishError,
    StoreTarget,
    Target,
    resolve_target,
)
from airflow_catalog.publish.versions import (
    PublishedVersion,
    VersionError,
    Versions,
    normalise_version,
    read_version_name,
)

#: How many times a rejected push is retried on top of the new head before giving up.
ATTEMPTS = 5


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
    entry = PublishedVersion.new(name, date=now(), title=title)
    confirm = functools.partial(_confirm_unchanged, site, info)
    job = Job(f"Publish {name}", branch, attempts, backoff, confirm)
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

    job = Job(f"Unpublish {name}", branch, attempts, backoff, _nothing_to_confirm)
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
    return previous_in_branch(where.url, branch, name, output)


def _apply(where: Target, name: str, change: Change, site: Path | None, job: Job) -> Outcome:
    if isinstance(where, StoreTarget):
        done = publish_to_store(
            where.url, name, change, site, attempts=job.attempts, backoff=job.backoff, confirm=job.confirm
        )
        return Outcome(done.versions, done.attempts)
    if isinstance(where, GitTarget):
        return update_branch(where.url, name, change, site, job)
    return update_folder(where.path, name, change, site, job.confirm)


__all__ = [
    "BUILD_INFO",
    "GitError",
    "PublishError",
    "StoreError",
    "VersionError",
    "check_site",
    "previous_catalog",
    "publish_site",
    "unpublish_version",
]
