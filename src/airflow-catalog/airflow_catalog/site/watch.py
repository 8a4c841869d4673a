"""Rebuild the site whenever a source changes, each time from a process that is already warm.

A rebuild in a fresh process after a one-line docstring edit spends most of its time before
Sphinx reads a page: starting Python, importing Sphinx, the extensions and Airflow (about 1.5 s of
the amazon catalog's 4 s, ``bench/bench_catalog.py``). ``make serve`` therefore keeps one process
with those imported, and forks a child for every rebuild. The child starts warm and imports the
catalogued modules itself, so it sees every edit; nothing is reloaded in place, which would leave
objects of the old classes behind. When a watched file that the warm process itself loaded changes
(``conf.py``, an extension in the source tree), the process starts over with :func:`os.execv`; so it
does after ``conf.py`` or an extension failed to load, once something is saved. Installed packages
are not watched: after installing or upgrading one, stop ``make serve`` and start it again.

The file watching is :mod:`watchfiles`'; forking a warm process is what no library does for Sphinx
(sphinx-autobuild starts a fresh ``sphinx-build`` for every change).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import NoReturn

from watchfiles import DefaultFilter, watch

#: Folders whose changes never call for a rebuild: build output and the pages the catalog writes.
IGNORED_FOLDERS = ("_build", "_generated", ".venv", "node_modules")


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
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                # Like ``python -m airflow_catalog``: no interpreter teardown, which costs seconds.
                os._exit(status)
    try:
        _, wait_status = os.waitpid(child, 0)
    except BaseException:
        # Interrupted (a SIGINT sent to this process only, e.g. by an IDE): stop the build too,
        # rather than leave it writing the site after this process is gone.
        os.kill(child, signal.SIGINT)
        os.waitpid(child, 0)
        raise
    return os.waitstatus_to_exitcode(wait_status)


def package_folders(import_names: Iterable[str]) -> list[Path]:
    """Return the folders of the catalogued packages that are edited in place, to watch them too.

    Only parent packages are imported (``airflow`` for ``airflow.providers.http``), never the
    catalogued package: the warm process must not hold the modules a rebuild has to read afresh.
    Installed packages (in a virtualenv or ``site-packages``) are left out: nobody edits them, and
    watching them would cost thousands of watches for nothing.
    """
    folders: list[Path] = []
    for name in import_names:
        spec = importlib.util.find_spec(name)
        for folder in spec.submodule_search_locations or () if spec is not None else ():
            path = Path(folder)
            if not {*IGNORED_FOLDERS, "site-packages", "dist-packages"} & set(path.parts):
                folders.append(path)
    return folders


class SourceFilter(DefaultFilter):
    """Ignore build output, generated pages and what :class:`watchfiles.DefaultFilter` ignores."""

    def __init__(self) -> None:
        super().__init__(ignore_dirs=(*DefaultFilter.ignore_dirs, *IGNORED_FOLDERS))


def changes(folders: Iterable[Path], ready: threading.Event | None = None) -> Iterator[set[Path]]:
    """Yield the set of changed files each time some of ``folders`` change.

    :param folders: what to watch, recursively.
    :param ready: set once the watching has started: a change from then on is reported.
    """
    watched = [str(folder) for folder in folders if folder.exists()]
    # 200 ms of quiet before reporting: an editor's save is several writes in a row. watchfiles
    # says nothing when its watching has started; it yields an empty batch at the first timeout
    # (after the start), which is the sign.
    for batch in watch(
        *watched, watch_filter=SourceFilter(), debounce=200, step=50, rust_timeout=200, yield_on_timeout=True
    ):
        if ready is not None:
            ready.set()
        if batch:
            yield {Path(path).resolve() for _, path in batch}


def restart(reason: str = "A file the warm process loaded changed") -> NoReturn:
    """Start this command over in a fresh process (same arguments, same process id)."""
    print(f"{reason}: starting over.", flush=True)
    os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])


def watch_in_background(folders: Iterable[Path]) -> queue.Queue[set[Path]]:
    """Start watching ``folders`` on a daemon thread; each batch of changed files arrives on the queue.

    Returns once the watching has started, so that nothing saved from then on is missed.
    """
    batches: queue.Queue[set[Path]] = queue.Queue()
    ready = threading.Event()

    def run() -> None:
        try:
            for batch in changes(folders, ready):
                batches.put(batch)
        finally:
            ready.set()  # a watcher that failed to start must not leave the caller waiting

    threading.Thread(target=run, name="catalog-watch", daemon=True).start()
    ready.wait()
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
        changed = next_changes(batches)
        if changed & stale_files:
            restart()
        names = ", ".join(sorted(path.name for path in changed)[:3]) + ("…" if len(changed) > 3 else "")
        print(f"Changed: {names}; rebuilding", flush=True)
        started = time.perf_counter()
        status = rebuild(build)
        outcome = "done" if status == 0 else f"failed (exit {status}): fix what the messages above say"
        print(f"Rebuilt in {time.perf_counter() - started:.1f} s: {outcome}", flush=True)


def next_changes(batches: queue.Queue[set[Path]]) -> set[Path]:
    """Wait for a batch of changes and merge every other batch already waiting into it.

    Files saved during a rebuild then make one rebuild after it, not one each.
    """
    changed = set(batches.get())
    with contextlib.suppress(queue.Empty):
        while True:
            changed |= batches.get_nowait()
    return changed


def restart_after_a_change(batches: queue.Queue[set[Path]], problem: str) -> NoReturn:
    """Say what went wrong, wait until something is saved, then start over."""
    print(f"error: {problem}. Fix it and save: this starts over then (Ctrl-C stops).", flush=True)
    next_changes(batches)
    restart("Something changed")


def serve_and_rebuild(
    source: Path,
    site: Path,
    port: int,
    build: Callable[[], int],
    warm_up: Callable[[Path], set[Path]],
    catalogued_packages: Callable[[Path], list[str]],
) -> int:
    """Build the site, serve it on 127.0.0.1 and rebuild it on every change, until interrupted.

    :param source: the Sphinx source folder.
    :param site: the built site that is served.
    :param port: the port (0: any free one).
    :param build: builds ``source`` into ``site``; runs in a warm child for every build.
    :param warm_up: imports what a build of ``source`` imports and returns the files it loaded
        (:func:`airflow_catalog.sphinxext.warm.warm_up`).
    :param catalogued_packages: the import names ``source``'s ``conf.py`` catalogues, whose folders
        are watched too (:func:`airflow_catalog.sphinxext.warm.catalogued_packages`).
    :returns: 0 when interrupted.
    """
    import functools
    import http.server

    # Watching starts first, so nothing saved during the warm-up or the first build is missed.
    try:
        packages = catalogued_packages(source)
    except Exception as error:  # conf.py may raise anything; the fix is the user's
        restart_after_a_change(watch_in_background([source]), f"{source / 'conf.py'} failed: {error}")
    batches = watch_in_background([source, *package_folders(packages)])
    try:
        stale_files = warm_up(source)
    except Exception as error:  # an extension may raise anything at import
        restart_after_a_change(batches, f"loading the extensions failed: {type(error).__name__}: {error}")
    status = rebuild(build)
    if status != 0:
        print(
            f"error: the first build failed (exit {status}): fix what the messages above say and save; "
            "the site is rebuilt then",
            flush=True,
        )
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
