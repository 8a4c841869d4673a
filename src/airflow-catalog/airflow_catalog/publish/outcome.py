"""What a change to a published tree is, and what it did: shared by every kind of target."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from airflow_catalog.publish.versions import (
    Versions,
)

#: A change to the versions of a published tree: publishing adds one, unpublishing removes one.
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


@dataclass(frozen=True)
class Job:
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


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    """Return the time now, in UTC, as ``versions.json`` records it."""
