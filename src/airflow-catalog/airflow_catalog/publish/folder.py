"""Publish into a plain folder: stage the version beside the old one, swap it in, write versions.json last."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from airflow_catalog.files import swap_folder, write_atomically
from airflow_catalog.publish.outcome import Change, Outcome
from airflow_catalog.publish.targets import (
    LOCK,
    STAGING,
    PublishError,
    is_own_temporary,
)
from airflow_catalog.publish.versions import (
    ALIASES,
    ROOT_FILES,
    VERSIONS_JSON,
    Versions,
    root_files,
)

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


def update_folder(
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
