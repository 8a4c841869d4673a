"""Publish into a git branch (``gh-pages``) without a checkout: one commit a change, pushed as a swap."""

from __future__ import annotations

import difflib
import random
import sys
import time
from pathlib import Path

from airflow_catalog.files import write_atomically
from airflow_catalog.publish.git_utils import PushRejected, TreeEntry, Workspace
from airflow_catalog.publish.outcome import Change, Job, Outcome
from airflow_catalog.publish.targets import (
    PublishError,
)
from airflow_catalog.publish.versions import (
    ALIASES,
    ROOT_FILES,
    VERSIONS_JSON,
    Versions,
    root_files,
)

#: What a branch may hold before its first publish besides nothing: GitHub Pages' own settings, kept.
PAGES_FILES = frozenset({"CNAME", ".nojekyll"})


def update_branch(url: str, name: str, change: Change, site: Path | None, job: Job) -> Outcome:
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


def previous_in_branch(url: str, branch: str, name: str, output: Path) -> str | None:
    """Write the ``catalog.json`` of the version published before ``name`` in the branch to ``output``.

    :param url: the repository.
    :param branch: the published branch.
    :param name: the version about to be published.
    :param output: the file to write.
    :returns: the previous version's name, or ``None`` when there is none (nothing is written).
    """
    with Workspace.open(url) as workspace:
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
