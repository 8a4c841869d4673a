"""Which published tree a ``--target`` names, and whether the publisher may write there at all.

The publisher replaces ``index.html``, ``404.html`` and ``versions.json`` at the top of its target
and cleans up what it left there itself, so a target is used only when it is one of:

- an object-store URL (``s3://bucket/prefix``; :mod:`airflow_catalog.publish.object_store` checks
  that the bucket exists and that the prefix is a published tree or empty);
- a git URL, a path to a git repository, or the name of a remote of the current repository (the
  branch is checked by :mod:`airflow_catalog.publish.merge` once fetched);
- an existing folder that is a published tree (it has the ``versions.json`` the publisher writes)
  or is empty.

Anything else is refused before anything is created or changed: a folder of other files (``.`` or
``~`` by mistake), a file, a path that does not exist (a typo of a remote's name, or of a folder).
"""

from __future__ import annotations

import difflib
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlparse

from airflow_catalog.publish.git_utils import (
    GitError,
    checked_out_branches,
    is_branch_name,
    is_git_url,
    is_repository,
    remote_names,
    remote_url,
)
from airflow_catalog.publish.object_store import is_store_url
from airflow_catalog.publish.versions import VERSIONS_JSON, VersionError, Versions

#: What the command is about to do with the target: "read" never writes.
Purpose = Literal["publish", "unpublish", "read"]
#: The file a folder target is locked with while it changes; the publisher's own.
LOCK = ".publish.lock"
#: The prefix of the names a publish stages its work under, followed by the run's marker.
STAGING = ".publishing-"
#: Names the publisher gives its temporary entries: a staged copy or an alias's new link
#: (``.publishing-<run>[-<alias>]``) and the old folder a swap sets aside (``.trash-<name>-<uuid>``,
#: :func:`airflow_catalog.files.swap_folder`). A run's marker is 32 hexadecimal digits, which no
#: name a person types matches by chance.
_OWN_TEMPORARY = re.compile(r"\.publishing-[0-9a-f]{32}(-[a-z]+)?|\.trash-.+-[0-9a-f]{32}")


class PublishError(RuntimeError):
    """The site cannot be published as asked; the published tree is unchanged."""


@dataclass(frozen=True)
class GitTarget:
    """A git repository, local or remote.

    :param url: what git pushes to and fetches from.
    """

    url: str


@dataclass(frozen=True)
class FolderTarget:
    """An existing folder: a published tree, or an empty folder about to become one.

    :param path: the folder.
    :param versions: what its ``versions.json`` lists, or ``None`` when it is empty.
    """

    path: Path
    versions: Versions | None


@dataclass(frozen=True)
class StoreTarget:
    """An object store's URL, such as ``s3://bucket/docs``."""

    url: str


Target = GitTarget | FolderTarget | StoreTarget


def is_own_temporary(name: str) -> bool:
    """Tell whether an entry of a published folder is a temporary name only the publisher gives."""
    return bool(_OWN_TEMPORARY.fullmatch(name))


def resolve_target(target: str, purpose: Purpose, branch: str = "gh-pages") -> Target:
    """Tell what ``target`` names and refuse it, touching nothing, unless the publisher may use it.

    :param target: the ``--target`` as given.
    :param purpose: what the command is about to do there.
    :param branch: the branch of a git target.
    :raises PublishError: naming the target, why it is refused and what to pass instead.
    """
    if not target.strip():
        # It would resolve to the current folder, i.e. this repository: never what was meant.
        raise PublishError(
            "no target: pass a git URL, a repository path, a remote name or a folder (TARGET=...)"
        )
    if is_store_url(target):
        return StoreTarget(target)
    if not is_branch_name(branch):
        raise PublishError(f"{branch!r} is not a branch name git accepts: pass e.g. --branch gh-pages")
    if is_git_url(target):
        return _git_target(target, target, purpose, branch)
    # Expanded here too: a quoted '~' reaches the publisher unexpanded, and still means home.
    path = Path(target).expanduser()
    if path.is_symlink() and not path.exists():
        raise PublishError(
            f"{target} is a link to {path.readlink()}, which does not exist: point it at the published "
            "folder, or pass that folder"
        )
    if path.exists():
        return _existing_path(path, target, purpose, branch)
    url = remote_url(target)
    if url is not None:
        return _git_target(url, target, purpose, branch)
    raise PublishError(_unknown(target, path))


def _git_target(url: str, target: str, purpose: Purpose, branch: str) -> GitTarget:
    """Check a URL or a remote that leads to a repository on this machine as a path to it would be."""
    if url.startswith("file://"):
        local = Path(unquote(urlparse(url).path))
    elif is_git_url(url):
        return GitTarget(url)  # on another machine: its server decides
    else:
        local = Path(url)  # a remote configured as a path
    if purpose != "read" and is_repository(local):
        _refuse_checked_out(local, target, branch)
    return GitTarget(url)


def _existing_path(path: Path, target: str, purpose: Purpose, branch: str) -> Target:
    if not path.is_dir():
        raise PublishError(
            f"{target} is a file, not a folder: pass a published folder, an empty folder, a git "
            "repository or remote, or an object-store URL"
        )
    if is_repository(path):
        if purpose != "read":
            _refuse_checked_out(path, target, branch)
        # file:// (not a bare path) so that git uses its pack protocol and honours the treeless filter.
        return GitTarget(path.resolve().as_uri())
    return FolderTarget(path, _folder_versions(path, target, purpose))


def _refuse_checked_out(path: Path, target: str, branch: str) -> None:
    """Refuse a repository whose working tree has the branch: moving it would rewrite the user's files.

    Git refuses such a push by default, but not when ``receive.denyCurrentBranch`` is ``ignore``,
    ``warn`` or ``updateInstead`` (which writes the site into that working tree).
    """
    try:
        checked_out = checked_out_branches(path)
    except GitError as error:
        raise PublishError(f"{target} cannot be read as a git repository: {error}") from error
    if branch in checked_out:
        raise PublishError(
            f"{target} has {branch} checked out, so publishing would change the files of its working "
            "tree: publish to a bare repository (git clone --bare), or check another branch out there"
        )


def _folder_versions(path: Path, target: str, purpose: Purpose) -> Versions | None:
    """Return what a published folder lists, ``None`` for an empty one; refuse any other folder."""
    listing = path / VERSIONS_JSON
    if listing.is_file():
        try:
            return Versions.loads(listing.read_bytes())
        except VersionError as error:
            raise PublishError(f"{target} is not a published tree the publisher can read: {error}") from error
    others = sorted(p.name for p in path.iterdir() if p.name != LOCK and not is_own_temporary(p.name))
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        raise PublishError(
            f"{target} is not a published tree (it has no {VERSIONS_JSON}) and is not empty: it holds "
            f"{shown}. The publisher writes index.html and 404.html at the top of its target, so it uses "
            "only a folder it published or an empty one: create an empty folder for the site, or pass "
            "a git repository, a remote or an object-store URL"
        )
    if purpose == "unpublish":
        raise PublishError(f"{target} is empty, so no version is published there: check the target")
    return None


def _unknown(target: str, path: Path) -> str:
    """Say that ``target`` names nothing, and what it may have meant."""
    remotes = remote_names()
    close = difflib.get_close_matches(target, remotes, n=1)
    known = (
        f"this repository's remotes are {', '.join(remotes)}"
        if remotes
        else "the current folder has no git remotes"
    )
    guess = f" Did you mean {close[0]!r}?" if close else ""
    return (
        f"{target!r} is not an existing folder, a git URL, a remote of the repository in the current "
        f"folder ({known}) or an object-store URL.{guess} To publish into a new folder, create it "
        f"first: mkdir -p {shlex.quote(str(path))}"
    )
