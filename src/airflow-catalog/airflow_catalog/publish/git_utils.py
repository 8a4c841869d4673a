"""Every git command the publisher runs, each raising one typed error that carries git's message.

The publisher never checks the published branch out. It works in a throwaway bare repository, a
shallow and treeless partial clone of the branch's newest commit (:class:`Workspace`), writes the new
version with plumbing (``add`` into a private index, ``write-tree``, ``mktree``, ``commit-tree``) and
pushes without force, so the push is a compare-and-swap on the branch (the model of
`mike <https://github.com/jimporter/mike>`_). Objects of the other versions are never downloaded.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

#: Ref the fetched head of the published branch is stored under in the workspace.
HEAD_REF = "refs/publish/head"
#: Lets a local repository serve a treeless fetch and lazy object fetches (a server such as GitHub
#: allows both already; a local ``upload-pack`` refuses filters unless told).
_LOCAL_UPLOAD_PACK = "git -c uploadpack.allowFilter=true -c uploadpack.allowAnySHA1InWant=true upload-pack"
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://|^[\w.-]+@[\w.-]+:")


class GitError(RuntimeError):
    """A git command failed; ``stderr`` is what git said."""

    def __init__(self, message: str, stderr: str = "") -> None:
        detail = stderr.strip()
        super().__init__(f"{message}: {detail}" if detail else message)
        self.stderr = stderr


class PushRejected(GitError):
    """The remote refused the push: the branch moved since it was fetched, or a hook declined it."""


@dataclass(frozen=True)
class TreeEntry:
    """One line of ``git ls-tree``: mode, object type, object id and name."""

    mode: str
    kind: str
    oid: str
    name: str

    def line(self) -> str:
        """Return the line ``git mktree`` reads."""
        return f"{self.mode} {self.kind} {self.oid}\t{self.name}"


def _environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    # Variables set by an enclosing git (e.g. when run from a hook) would redirect every command.
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")
    }
    env.update({"LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"})
    env.update(extra or {})
    return env


def run_git(
    args: Sequence[str],
    *,
    what: str,
    git_dir: Path | None = None,
    cwd: Path | None = None,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
) -> bytes:
    """Run one git command and return its standard output.

    :param args: the arguments after ``git``.
    :param what: what the command does, for the error message ("cannot <what>").
    :param git_dir: the repository to run in, when not ``cwd``'s.
    :raises GitError: when git exits non-zero.
    """
    command = ["git", *([f"--git-dir={git_dir}"] if git_dir else []), *args]
    proc = subprocess.run(command, input=stdin, capture_output=True, cwd=cwd, env=_environment(env))
    if proc.returncode:
        raise GitError(f"cannot {what}", proc.stderr.decode(errors="replace"))
    return proc.stdout


def is_repository(path: Path) -> bool:
    """Tell whether ``path`` is the top of an ordinary or a bare git repository (not a folder inside one)."""
    if (path / ".git").exists():
        return True
    return (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()


def is_git_url(target: str) -> bool:
    """Tell whether ``target`` is written as a git URL (``https://…``, ``ssh://…``, ``git@host:path``)."""
    return bool(_URL.match(target))


def remote_names() -> list[str]:
    """Return the remotes of the repository in the current folder (none outside a repository)."""
    proc = subprocess.run(["git", "remote"], capture_output=True, text=True, env=_environment())
    return proc.stdout.split() if proc.returncode == 0 else []


def checked_out_branches(repository: Path) -> set[str]:
    """Return the branches checked out in any working tree of a local repository (none when bare).

    :param repository: the top of an ordinary or a bare repository.
    :raises GitError: when git cannot read it.
    """
    what = f"list the working trees of {repository}"
    out = run_git(["worktree", "list", "--porcelain"], what=what, cwd=repository)
    prefix = "branch refs/heads/"
    return {line[len(prefix) :] for line in out.decode().splitlines() if line.startswith(prefix)}


def is_branch_name(branch: str) -> bool:
    """Tell whether git accepts ``branch`` as the name of a branch (no ``..``, spaces, ``~``, ``^``...)."""
    proc = subprocess.run(
        ["git", "check-ref-format", f"refs/heads/{branch}"], capture_output=True, env=_environment()
    )
    return bool(branch) and not branch.startswith("-") and proc.returncode == 0


def remote_url(target: str) -> str | None:
    """Return the URL to push to when ``target`` is a git repository, ``None`` when it is a plain folder.

    :param target: a URL (``https://…``, ``ssh://…``, ``git@host:path``), a path to an ordinary or bare
        repository, or the name of a remote of the repository in the current folder (``origin``).
    """
    if is_git_url(target):
        return target
    path = Path(target)
    if path.exists():
        # file:// (not a bare path) so that git uses its pack protocol and honours the treeless filter.
        return path.resolve().as_uri() if is_repository(path) else None
    if re.fullmatch(r"[A-Za-z0-9][\w.-]*", target):
        proc = subprocess.run(
            ["git", "remote", "get-url", target], capture_output=True, text=True, env=_environment()
        )
        if proc.returncode == 0:
            return proc.stdout.strip()
    return None


class Workspace:
    """A throwaway bare repository that holds one commit of the published branch and the new objects."""

    def __init__(self, git_dir: Path, url: str) -> None:
        """Use an initialised workspace; :meth:`open` creates one.

        :param git_dir: the bare repository.
        :param url: the remote the branch lives in.
        """
        self.git_dir = git_dir
        self.url = url

    @classmethod
    @contextmanager
    def open(cls, url: str) -> Iterator[Workspace]:
        """Create a workspace for ``url`` and delete it afterwards."""
        directory = Path(tempfile.mkdtemp(prefix="catalog-publish-"))
        try:
            git_dir = directory / "repo.git"
            run_git(["init", "--quiet", "--bare", str(git_dir)], what="create the publishing workspace")
            workspace = cls(git_dir, url)
            settings = {
                "core.repositoryformatversion": "1",
                "extensions.partialClone": "origin",
                "remote.origin.url": url,
                "remote.origin.promisor": "true",
                "remote.origin.partialclonefilter": "tree:0",
                "user.name": "airflow-catalog publisher",
                "user.email": "airflow-catalog@localhost",
            }
            if url.startswith("file://"):
                settings["remote.origin.uploadpack"] = _LOCAL_UPLOAD_PACK
            for key, value in settings.items():
                workspace.git(["config", key, value], what=f"configure the workspace ({key})")
            yield workspace
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    def git(
        self,
        args: Sequence[str],
        *,
        what: str,
        stdin: bytes | None = None,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> bytes:
        """Run a git command in the workspace."""
        return run_git(args, what=what, git_dir=self.git_dir, stdin=stdin, cwd=cwd, env=env)

    def branches(self) -> list[str]:
        """Return the names of the remote's branches.

        :raises GitError: when the remote cannot be read.
        """
        out = self.git(["ls-remote", "--heads", "origin"], what=f"list the branches of {self.url}").decode()
        prefix = "refs/heads/"
        refs = (line.split("\t", 1)[-1] for line in out.splitlines())
        return sorted(ref[len(prefix) :] for ref in refs if ref.startswith(prefix))

    def fetch(self, branch: str) -> str | None:
        """Fetch the branch's newest commit and its root tree, without the versions' trees or files.

        :returns: the commit id, or ``None`` when the branch does not exist yet.
        :raises GitError: when the remote cannot be read.
        """
        ref = f"refs/heads/{branch}"
        listing = self.git(["ls-remote", "origin", ref], what=f"read {ref} of {self.url}").decode()
        if not listing.strip():
            return None
        # tree:1 keeps the root tree and drops everything below it. A later lazy fetch of a missing
        # tree would bring all the trees under it (git asks with blob:none), so ask for the root now.
        # A server that refuses a depth filter is asked again for the commit alone (tree:0).
        for tree_filter in ("tree:1", "tree:0"):
            command = [
                "fetch",
                "-q",
                "--no-tags",
                "--depth=1",
                f"--filter={tree_filter}",
                "origin",
                f"+{ref}:{HEAD_REF}",
            ]
            try:
                self.git(command, what=f"fetch {branch} from {self.url}")
                break
            except GitError as error:
                if "couldn't find remote ref" in error.stderr:
                    return None  # deleted between the two commands
                if tree_filter == "tree:0" or "filter" not in error.stderr:
                    raise
        return self.git(["rev-parse", HEAD_REF], what="read the fetched head").decode().strip()

    def list_tree(self, treeish: str) -> list[TreeEntry]:
        """List one tree's entries (fetching that one tree object when it is missing)."""
        out = self.git(["ls-tree", "-z", treeish], what=f"list {treeish}")
        entries = []
        for record in out.decode().split("\0"):
            if record:
                meta, name = record.split("\t", 1)
                mode, kind, oid = meta.split()
                entries.append(TreeEntry(mode, kind, oid, name))
        return entries

    def read_blob(self, oid: str) -> bytes:
        """Return the content of one file object."""
        return self.git(["cat-file", "blob", oid], what=f"read object {oid}")

    def hash_blob(self, data: bytes) -> str:
        """Store ``data`` as a file object and return its id."""
        return self.git(["hash-object", "-w", "--stdin"], what="store a file", stdin=data).decode().strip()

    def hash_directory(self, directory: Path) -> str:
        """Store a folder as a tree object, through a private index and no checkout, and return its id.

        :raises GitError: when a file cannot be read.
        """
        # Absolute: git reads --work-tree relative to the folder it runs in, which is the site itself.
        directory = directory.resolve()
        with tempfile.TemporaryDirectory(prefix="catalog-index-") as scratch:
            env = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
            self.git(
                [f"--work-tree={directory}", "add", "--all", "--force", "."],
                what=f"store the files of {directory}",
                cwd=directory,
                env=env,
            )
            return self.git(["write-tree"], what=f"store the tree of {directory}", env=env).decode().strip()

    def make_tree(self, entries: Sequence[TreeEntry]) -> str:
        """Write a tree from entries whose objects may live only on the remote, and return its id."""
        text = "".join(entry.line() + "\n" for entry in entries)
        return (
            self.git(["mktree", "--missing"], what="write the root tree", stdin=text.encode())
            .decode()
            .strip()
        )

    def commit(self, tree: str, parent: str | None, message: str) -> str:
        """Write a commit of ``tree`` on top of ``parent`` and return its id."""
        parents = ["-p", parent] if parent else []
        return (
            self.git(["commit-tree", tree, *parents, "-m", message], what="write the commit").decode().strip()
        )

    def push(self, commit: str, branch: str) -> None:
        """Move the remote branch to ``commit`` if that is a fast-forward; never force.

        :raises PushRejected: when the remote refused (the branch moved, or a hook declined).
        :raises GitError: when the remote could not be reached.
        """
        ref = f"refs/heads/{branch}"
        proc = subprocess.run(
            ["git", f"--git-dir={self.git_dir}", "push", "--porcelain", "origin", f"{commit}:{ref}"],
            capture_output=True,
            env=_environment(),
        )
        if proc.returncode == 0:
            return
        out, err = proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")
        rejected = [line for line in out.splitlines() if line.startswith("!")]
        if rejected:
            raise PushRejected(f"{self.url} refused the push to {branch}", "\n".join([*rejected, err]))
        raise GitError(f"cannot push to {branch} of {self.url}", err or out)
