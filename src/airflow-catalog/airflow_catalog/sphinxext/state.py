"""What one build knows about the catalog, shared by its directives and event handlers."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

from airflow_catalog.model.catalog import Catalog
from airflow_catalog.model.index import CatalogIndex
from airflow_catalog.model.names import (
    class_docname,
)
from airflow_catalog.sphinxext.xrefs import (
    ReferencePolicy,
)


@dataclass
class CatalogState:
    """What one build knows about the catalog, shared by directives and event handlers.

    :param catalog: the collected catalog.
    :param index: its look-ups.
    :param upstream_docs: docname of each upstream class's page → its package's published docs.
    """

    catalog: Catalog
    index: CatalogIndex
    upstream_docs: dict[str, str] = field(default_factory=dict)
    policy: ReferencePolicy = field(init=False)

    def __post_init__(self) -> None:
        own = [package.import_name for package in self.catalog.packages if package.is_own]
        pages = {class_docname(path): path for path in self.index.by_path}
        self.policy = ReferencePolicy(self.upstream_docs, own, pages)


#: One state per source folder, i.e. per Sphinx project built in this process. Not on ``env``: Sphinx
#: pickles the environment after reading, and the catalog is collected anew by every build anyway.
_STATES: dict[str, CatalogState] = {}


def state_of(env: BuildEnvironment) -> CatalogState | None:
    """Return the catalog state of ``env``'s project, if the catalog was built for it."""
    return _STATES.get(str(env.srcdir))


def remember(app: Sphinx, state: CatalogState) -> None:
    """Make ``state`` the catalog state of ``app``'s project for the rest of the build."""
    _STATES[str(app.srcdir)] = state


T = TypeVar("T")

#: What an event handler computed once for one build, by the application and a name.
_MEMOS: weakref.WeakKeyDictionary[Sphinx, dict[str, Any]] = weakref.WeakKeyDictionary()


def once_per_build(app: Sphinx, name: str, compute: Callable[[], T]) -> T:
    """Return what ``compute`` returns, computed once for the build of ``app``.

    :param app: the Sphinx application (the memo goes with it).
    :param name: what is computed, unique within the package.
    :param compute: computes it.
    """
    memos = _MEMOS.setdefault(app, {})
    if name not in memos:
        memos[name] = compute()
    return cast("T", memos[name])
