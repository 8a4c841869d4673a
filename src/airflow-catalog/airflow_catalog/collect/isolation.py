"""Read catalogued modules in a worker process, where their imports cannot reach the command's own.

A catalogued package is code the catalog does not control. At import, a module may print (into
``check --format json``'s document, or as GitHub workflow commands such as ``::add-mask::``), end the
process (``os._exit``), hang, or change the process it runs in (see
:mod:`airflow_catalog.collect.process_state`). So the tasks that import modules run in a forked
worker process:

- its standard streams are ``/dev/null`` at the file-descriptor level, so neither ``print`` nor a C
  library's ``write(1, …)`` reaches the command's output; results come back on a pipe of their own;
- the start and end of every catalogued module's import is announced on that pipe, and the worker
  has :func:`import_timeout` seconds from one message to the next, else it is killed;
- when the worker dies, hangs or reports a change to its process, the module whose import was under
  way (the innermost one) is the culprit. A new worker goes on from the task that was under way with
  the culprit *blocked*: importing it raises :class:`LeftOutError`, which says what happened, so the
  culprit's own task reads it from its source and a module that imports it names it as the cause.

Forking, not spawning: a worker starts in milliseconds with what this process has imported (Airflow,
a second and more). ``multiprocessing`` gives the process, the pipe and the waiting; it does not bound
one import's time or name the culprit, which is what this module adds. A worker reads its tasks one
after another; since only the pipe and the blocked modules tie it to this process, several workers
with a share of the tasks each could read in parallel.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import importlib.abc
import importlib.machinery
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Generic, TypeVar

from airflow_catalog.collect.process_state import ProcessState

#: The environment variable that sets the time limit, in seconds.
TIMEOUT_VARIABLE = "CATALOG_IMPORT_TIMEOUT"
#: The default limit. The slowest of the 468 modules of the installed providers to import (amazon's
#: auth manager, which pulls in boto3 and FastAPI) takes about a second; a minute leaves room for a
#: slow CI machine and still ends a hang in reasonable time. Per module, not per package: a
#: package's total grows with its size (amazon's hundreds of modules), and one hang would otherwise
#: cost the whole package.
DEFAULT_TIMEOUT = 60.0

#: ``prctl``'s option that delivers a signal to a process when its parent dies (``<sys/prctl.h>``).
_PR_SET_PDEATHSIG = 1

Task = TypeVar("Task")


class LeftOutError(ImportError):
    """Raised in a worker when a blocked module is imported: it ended, hung or changed an earlier one.

    :param module: the blocked module.
    :param what: what its import did, e.g. ``exited with status 3 at import``.
    """

    def __init__(self, module: str, what: str) -> None:
        super().__init__(f"{module} {what}", name=module)
        self.what = what


@dataclass(frozen=True)
class Outcome(Generic[Task]):
    """The end of one task: its result, or what stopped it twice (then there is no result).

    :param index: the task's position in the list given to :func:`read_isolated`.
    :param result: what the task returned in the worker.
    :param failure: when the task itself stopped a worker even with its culprit blocked.
    """

    index: int
    result: Any = None
    failure: str | None = None


def import_timeout() -> float:
    """Return the time limit of one module's import, from ``CATALOG_IMPORT_TIMEOUT`` or the default.

    :raises ValueError: when the variable is set to anything but a positive number of seconds.
    """
    text = os.environ.get(TIMEOUT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise ValueError(
            f"{TIMEOUT_VARIABLE}={text!r} is not a time limit: set it to a positive number of seconds "
            f"(e.g. {TIMEOUT_VARIABLE}=120), or unset it for the default of {DEFAULT_TIMEOUT:g} s"
        )
    return value


def read_isolated(
    tasks: Sequence[Task],
    work: Callable[[Task], Any],
    culprit_of: Callable[[Task], str],
    watched: frozenset[str],
    timeout: float,
) -> Iterator[Outcome[Task]]:
    """Run ``work`` on each task in worker processes; yield each outcome as it arrives, in task order.

    :param tasks: what to do; ``work`` must return something picklable.
    :param work: runs in the worker; it may import catalogued modules.
    :param culprit_of: the module to blame when a task stops a worker with no watched import under way.
    :param watched: the catalogued modules: their imports are timed, blamed and checked.
    :param timeout: seconds a worker may go without a message.
    :raises RuntimeError: when a task raises in the worker even with its module blocked (a fault of
        the catalog's own code, not of the module).
    """
    blocked: dict[str, str] = {}
    start = 0
    while start < len(tasks):
        worker = _Worker(tasks[start:], work, watched, blocked, timeout)
        for index, result in worker.results():
            yield Outcome(start + index, result)
        stop = worker.stop
        start += stop.done
        if stop.culprit is None:
            return
        task = tasks[start]
        culprit = stop.culprit or culprit_of(task)
        if culprit not in blocked:
            blocked[culprit] = stop.what
            continue  # the same task again, with the culprit blocked
        if stop.error is not None:
            raise RuntimeError(f"reading {culprit_of(task)} failed in the catalog's own code:\n{stop.error}")
        yield Outcome(start, failure=stop.what)
        start += 1


@dataclass
class _Stop:
    """How a worker ended: how many tasks it finished and, unless it finished them all, the culprit.

    :param culprit: the innermost watched module whose import was under way; ``""`` when none was
        (the task's own module is then blamed); ``None`` when the worker finished every task.
    :param what: what happened, e.g. ``exited with status 3 at import``.
    :param error: the traceback of what a task raised, when it raised.
    """

    done: int = 0
    culprit: str | None = None
    what: str = ""
    error: str | None = None


class _Worker(Generic[Task]):
    """One worker process, from its start to its end, seen from this process."""

    def __init__(
        self,
        tasks: Sequence[Task],
        work: Callable[[Task], Any],
        watched: frozenset[str],
        blocked: dict[str, str],
        timeout: float,
    ) -> None:
        self.tasks = tasks
        self.timeout = timeout
        self.stop = _Stop()
        context = multiprocessing.get_context("fork")
        self.receiver, sender = context.Pipe(duplex=False)
        # Flushed first, or the child would inherit what this process has buffered and flush it too.
        sys.stdout.flush()
        sys.stderr.flush()
        self.process = context.Process(
            target=_serve, args=(sender, tasks, work, watched, dict(blocked), os.getpid()), daemon=True
        )
        self.process.start()
        sender.close()  # else this process's copy keeps the pipe open after the worker is gone

    def results(self) -> Iterator[tuple[int, Any]]:
        """Yield each task's result as the worker sends it; the worker is gone when this ends.

        Waiting for a result does not stop the worker: it goes on with the next task meanwhile.
        """
        under_way: list[str] = []
        try:
            while self.stop.done < len(self.tasks):
                ready = multiprocessing.connection.wait([self.receiver, self.process.sentinel], self.timeout)
                if not ready:
                    doing = "importing" if under_way else "reading its classes"
                    self._stopped(under_way, f"did not finish {doing} within {self.timeout:g} s")
                    return
                try:
                    message = self.receiver.recv() if self.receiver in ready else None
                except (EOFError, OSError):
                    message = None
                if message is None:
                    self._stopped(under_way, self._death(bool(under_way)))
                    return
                kind = message[0]
                if kind == "enter":
                    under_way.append(message[1])
                elif kind == "leave":
                    under_way.pop()
                elif kind == "done":
                    under_way.clear()
                    self.stop.done += 1
                    yield message[1], message[2]
                elif kind == "changed":
                    self._stopped([message[1]], message[2])
                    return
                elif kind == "raised":
                    self._stopped([], message[2])
                    self.stop.error = message[3]
                    return
        finally:
            self._end()

    def _stopped(self, under_way: list[str], what: str) -> None:
        self.stop.culprit = under_way[-1] if under_way else ""
        self.stop.what = what

    def _death(self, importing: bool) -> str:
        self.process.join(self.timeout)
        code = self.process.exitcode
        when = "at import" if importing else "while its classes were read"
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f"was killed by {name} {when}"
        return f"exited with status {code} {when}"

    def _end(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.process.close()
        self.receiver.close()


def _serve(
    sender: multiprocessing.connection.Connection,
    tasks: Sequence[Task],
    work: Callable[[Task], Any],
    watched: frozenset[str],
    blocked: dict[str, str],
    parent: int,
) -> None:  # pragma: no cover (runs in the worker, which coverage does not follow)
    """Live as the worker: silence the standard streams, watch imports, run the tasks, report each."""
    pid = os.getpid()
    _die_with(parent)
    _silence()
    sys.meta_path.insert(0, _ImportWatch(sender, watched, blocked, pid))
    for index, task in enumerate(tasks):
        try:
            result = work(task)
        except BaseException as error:  # the module's code may raise anything, SystemExit included
            _only_in(pid)
            what = f"raised {type(error).__name__} while its classes were read"
            sender.send(("raised", index, what, traceback.format_exc()))
            break
        _only_in(pid)
        sender.send(("done", index, result))
    sender.close()
    # No interpreter teardown: it would wait for the threads a module started, and run its atexit code.
    os._exit(0)


def _die_with(parent: int) -> None:  # pragma: no cover (worker)
    """Have Linux kill this worker when the command's process dies, so that a hung import cannot outlive it.

    A command killed outright (``kill -9``, a CI job cancelled) runs no ``finally`` that would stop
    the worker. The standard library has no binding for ``prctl(PR_SET_PDEATHSIG)``, hence
    :mod:`ctypes`; elsewhere, a worker whose parent is gone ends when it next writes to the pipe.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the request was made
        os._exit(0)


def _silence() -> None:  # pragma: no cover (worker)
    """Point the standard streams' file descriptors at ``/dev/null`` (stdin too: nothing waits for input)."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    # The Python streams too, in case they do not write to those descriptors (a test runner's capture).
    sys.stdout = sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (the worker's life long)


def _only_in(pid: int) -> None:  # pragma: no cover (worker)
    """End a copy of the worker that a module's ``os.fork()`` made: only the worker may talk to us."""
    if os.getpid() != pid:
        os._exit(0)


class _ImportWatch(importlib.abc.MetaPathFinder):
    """The worker's first finder: refuses blocked modules, brackets the import of watched ones."""

    def __init__(
        self,
        sender: multiprocessing.connection.Connection,
        watched: frozenset[str],
        blocked: dict[str, str],
        pid: int,
    ) -> None:
        self.sender = sender
        self.watched = watched
        self.blocked = blocked
        self.pid = pid

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        """Find a watched module with the other finders and wrap its loader's ``exec_module``."""
        if fullname in self.blocked:
            raise LeftOutError(fullname, self.blocked[fullname])
        if fullname not in self.watched:
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None) if finder is not self else None
            spec = find(fullname, path, target) if find is not None else None
            if spec is not None:
                break
        else:
            return None
        execute = getattr(spec.loader, "exec_module", None)
        if execute is not None:
            # On the loader instance (one per found module), so it stays the loader class it was.
            with contextlib.suppress(AttributeError, TypeError):  # a loader with __slots__: left unwatched
                spec.loader.exec_module = functools.partial(self._execute, fullname, execute)
        return spec

    def _execute(self, name: str, execute: Callable[[ModuleType], None], module: ModuleType) -> None:
        """Run one module's code between an ``enter`` and a ``leave`` message; report what it changed."""
        self.sender.send(("enter", name))
        before = ProcessState.capture()
        try:
            execute(module)
        finally:
            _only_in(self.pid)
            changes = before.changes(ProcessState.capture())
            if changes:
                self.sender.send(("changed", name, f"{'; '.join(changes)} at import"))
                os._exit(0)
            self.sender.send(("leave", name))
