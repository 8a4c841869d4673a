"""Rebuild the site whenever a source changes, each time from a process that is already warm.

A rebuild in a fresh process after a one-line docstring edit spends most of its time before
Sphinx reads a page: starting Python, importing Sphinx, the extensions and Airflow (about 1.5 s of
the amazon catalog's 4 s, ``bench/bench_catalog.py``). ``make serve`` therefore keeps one process
with those imported, and forks a child for every rebuild. The child starts warm and imports the
catalogued modules itself, so it sees every edit; nothing is reloaded in place, which would leave
objects of the old classes behind. When a file that the warm process itself loaded changes
(``conf.py``, an extension, Airflow), the process starts over with :func:`os.execv`.

The file watching is :mod:`watchfiles`'; forking a warm process is what no library does for Sphinx
(sphinx-autobuild starts a fresh ``sphinx-build`` for every change).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from watchfiles import DefaultFilter, watch

#: Imported by the warm process besides the configured extensions: what every catalog build
#: imports (Sphinx, the catalog's own machinery, Airflow's task SDK that every operator imports).
WARM_MODULES = (
    "sphinx.cmd.build",
    "sphinx.application",
    "sphinx.builders.html",
    "airflow_catalog.collect",
    "airflow_catalog.history",
    "airflow_catalog.provenance",
    "airflow_catalog.search",
    "airflow.sdk",
)
#: Folders whose changes never call for a rebuild: build output and the pages the catalog writes.
IGNORED_FOLDERS = ("_build", "_generated", ".venv", "node_modules")


def site_settings(source: Path) -> dict[str, Any]:
    """Evaluate ``conf.py`` of ``source`` the way Sphinx does and return its names."""
    from sphinx.config import eval_config_file
    from sphinx.util.tags import Tags

    return eval_config_file(source / "conf.py", Tags())


def warm_up(source: Path) -> set[Path]:
    """Import what a build of ``source`` imports before it reads its first page.

    :param source: the Sphinx source folder (holds ``conf.py``).
    :returns: every file this process has loaded so far (``conf.py`` included): when one of them
        changes, this process is stale.
    """
    for name in WARM_MODULES:
        # A site without Airflow (or a missing optional part) is still served: it builds colder.
        if importlib.util.find_spec(name.split(".")[0]) is not None:
            importlib.import_module(name)
    for extension in site_settings(source).get("extensions", []):
        importlib.import_module(extension)
    analyze_airflow_bases()
    return loaded_files() | {(source / "conf.py").resolve()}


def analyze_airflow_bases() -> None:
    """Parse, once, the source of the classes every operator, sensor and hook inherits from.

    autodoc parses the module of each class in a documented class's MRO (Sphinx's ``ModuleAnalyzer``,
    cached per process by module name): for one operator's page, ``BaseOperator``'s modules and
    ``typing`` are most of the page's reading time. Parsed here, every forked rebuild inherits them;
    they are files this process loaded, so a change to one starts it over (:func:`restart`).
    """
    from sphinx.errors import PycodeError
    from sphinx.pycode import ModuleAnalyzer

    try:
        from airflow.sdk import BaseHook, BaseNotifier, BaseOperator, BaseSensorOperator
    except ImportError:
        return
    modules = {
        cls.__module__
        for base in (BaseOperator, BaseSensorOperator, BaseHook, BaseNotifier)
        for cls in base.__mro__
    }
    for module in sorted(modules):
        # A module without source (builtins) has nothing to parse, for autodoc either.
        with contextlib.suppress(PycodeError):
            ModuleAnalyzer.for_module(module).analyze()


def loaded_files() -> set[Path]:
    """Return the source files of every module this process has imported."""
    files = set()
    for module in list(sys.modules.values()):
        location = getattr(module, "__file__", None)
        if location:
            files.add(Path(location).resolve())
    return files


def rebuild(build: Callable[[], int]) -> int:
    """Run ``build`` in a forked child of this (warm) process and return its exit status.

    :param build: builds the site and returns an exit status; it runs in the child only, so
        nothing it imports or changes stays in this process.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child leaves through os._exit; coverage never sees it)
        status = 1
        try:
            status = build()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            # Like ``python -m airflow_catalog``: no interpreter teardown, which costs seconds.
            os._exit(status)
    _, wait_status = os.waitpid(child, 0)
    return os.waitstatus_to_exitcode(wait_status)


def package_folders(import_names: Iterable[str]) -> list[Path]:
    """Return the folders of the catalogued packages, to watch beside the site's sources.

    Only parent packages are imported (``airflow`` for ``airflow.providers.http``), never the
    catalogued package: the warm process must not hold the modules a rebuild has to read afresh.
    """
    folders: list[Path] = []
    for name in import_names:
        spec = importlib.util.find_spec(name)
        if spec is not None:
            folders.extend(Path(folder) for folder in spec.submodule_search_locations or ())
    return folders


class SourceFilter(DefaultFilter):
    """Ignore build output, generated pages and what :class:`watchfiles.DefaultFilter` ignores."""

    def __init__(self) -> None:
        super().__init__(ignore_dirs=(*DefaultFilter.ignore_dirs, *IGNORED_FOLDERS))


def changes(folders: Iterable[Path]) -> Iterator[set[Path]]:
    """Yield the set of changed files each time some of ``folders`` change.

    :param folders: what to watch, recursively.
    """
    watched = [str(folder) for folder in folders if folder.exists()]
    # 200 ms of quiet before reporting: an editor's save is several writes in a row.
    for batch in watch(*watched, watch_filter=SourceFilter(), debounce=200, step=50):
        yield {Path(path).resolve() for _, path in batch}


def restart() -> None:
    """Start this command over in a fresh process (same arguments, same process id)."""
    print("A file the warm process loaded changed: starting over.", flush=True)
    os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])


def watch_in_background(folders: Iterable[Path]) -> queue.Queue[set[Path]]:
    """Start watching ``folders`` on a daemon thread; each batch of changed files arrives on the queue.

    Started before the first build, so that nothing changed from then on is missed: watching
    starts within milliseconds, a build takes seconds.
    """
    batches: queue.Queue[set[Path]] = queue.Queue()

    def run() -> None:
        for batch in changes(folders):
            batches.put(batch)

    threading.Thread(target=run, name="catalog-watch", daemon=True).start()
    return batches


def rebuild_on_change(
    batches: queue.Queue[set[Path]], build: Callable[[], int], stale_files: set[Path]
) -> None:
    """Rebuild for every batch of changes, forever; start over when a file of this process changed.

    :param batches: from :func:`watch_in_background`.
    :param build: what a rebuild runs, in a child (see :func:`rebuild`).
    :param stale_files: files loaded by this process (see :func:`warm_up`).
    """
    while True:
        changed = batches.get()
        if changed & stale_files:
            restart()
        names = ", ".join(sorted(path.name for path in changed)[:3]) + ("…" if len(changed) > 3 else "")
        print(f"Changed: {names}; rebuilding", flush=True)
        started = time.perf_counter()
        status = rebuild(build)
        outcome = "done" if status == 0 else f"failed (exit {status}): fix what the messages above say"
        print(f"Rebuilt in {time.perf_counter() - started:.1f} s: {outcome}", flush=True)


def serve_and_rebuild(source: Path, site: Path, port: int, build: Callable[[], int]) -> int:
    """Build the site, serve it on 127.0.0.1 and rebuild it on every change, until interrupted.

    :param source: the Sphinx source folder.
    :param site: the built site that is served.
    :param port: the port (0: any free one).
    :param build: builds ``source`` into ``site``; runs in a warm child for every build.
    :returns: 0 when interrupted, the first build's status when it failed.
    """
    import functools
    import http.server

    stale_files = warm_up(source)
    packages = site_settings(source).get("catalog_packages", [])
    batches = watch_in_background([source, *package_folders(packages)])
    status = rebuild(build)
    if status != 0 or not (site / "index.html").exists():
        print(f"error: the first build failed (exit {status}): fix what the messages above say", flush=True)
        return status or 1
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        print(
            f"Serving {site} at http://127.0.0.1:{server.server_address[1]}/, rebuilt on every change "
            "(Ctrl-C stops)",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            rebuild_on_change(batches, build, stale_files)
        server.shutdown()
    return 0
