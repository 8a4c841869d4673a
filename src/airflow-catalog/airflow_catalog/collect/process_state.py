"""What an import may change about the process it runs in, captured before and compared after.

A module that changes its process at import (the working directory, ``sys.path``, the environment,
signal handlers, the standard streams, ``sys.modules``, a thread that keeps the process alive, the
default socket timeout) would change the command's own process when it is imported there later
(autodoc imports every class it documents). The worker process of
:mod:`airflow_catalog.collect.isolation` captures this state around each catalogued module's import
and names the module whose import changed it.

Only the names of environment variables are ever reported, never their values: problems end up in
``catalog.json`` and on the published site, and a build machine's environment holds secrets. A
variable an import *adds* is not a change: libraries set defaults for themselves that way.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from dataclasses import dataclass
from typing import Any

#: File descriptors of the standard streams.
_STANDARD_FDS = (0, 1, 2)
#: Signals whose handlers cannot be read or set from Python.
_UNCATCHABLE = {getattr(signal, name) for name in ("SIGKILL", "SIGSTOP") if hasattr(signal, name)}
#: At most this many names are listed in one change.
_MAX_NAMES = 5


@dataclass(frozen=True)
class ProcessState:
    """The parts of a process that an import must leave alone."""

    cwd: str | None
    path: tuple[str, ...]
    environ: dict[str, str]
    handlers: dict[int, Any]
    streams: tuple[Any, ...]
    descriptors: tuple[tuple[int, int] | None, ...]
    modules: frozenset[str]
    threads: frozenset[threading.Thread]
    socket_timeout: float | None

    @classmethod
    def capture(cls) -> ProcessState:
        """Capture the current state (a few hundred microseconds: cheap enough for every module)."""
        return cls(
            cwd=_cwd(),
            path=tuple(sys.path),
            environ=dict(os.environ),
            handlers=_handlers(),
            streams=(sys.stdin, sys.stdout, sys.stderr),
            descriptors=tuple(_identity(fd) for fd in _STANDARD_FDS),
            modules=frozenset(sys.modules),
            threads=frozenset(_lasting_threads()),
            socket_timeout=_socket_timeout(),
        )

    def changes(self, now: ProcessState) -> list[str]:
        """Describe what differs in ``now``, one phrase per kind of change (``[]`` when nothing does).

        Modules added to ``sys.modules`` are what an import does; only removals count.
        """
        found: list[str] = []
        if now.cwd != self.cwd:
            found.append(f"changed the working directory to {now.cwd!r}")
        if now.path != self.path:
            added = [entry for entry in now.path if entry not in self.path]
            removed = [entry for entry in self.path if entry not in now.path]
            listed = [
                f"{label} {_names([repr(e) for e in entries])}"
                for label, entries in (("added", added), ("removed", removed))
                if entries
            ]
            found.append(f"changed sys.path ({'; '.join(listed) or 'reordered'})")
        # Variables the process had, changed or removed; a new one is a library's default for itself
        # (``os.environ.setdefault``, common and harmless), and is let be.
        environ_names = sorted(name for name in self.environ if now.environ.get(name) != self.environ[name])
        if environ_names:
            found.append(f"changed or removed the environment variables {_names(environ_names)}")
        handler_names = sorted(
            signal.Signals(number).name
            for number, handler in now.handlers.items()
            if handler != self.handlers.get(number)
        )
        if handler_names:
            found.append(f"installed handlers for {_names(handler_names)}")
        if now.streams != self.streams or now.descriptors != self.descriptors or _closed(now.streams):
            found.append("replaced or closed a standard stream (stdin, stdout or stderr)")
        removed_modules = sorted(self.modules - now.modules)
        if removed_modules:
            found.append(f"removed {_names(removed_modules)} from sys.modules")
        started = sorted(thread.name for thread in now.threads - self.threads)
        if started:
            found.append(f"started threads that keep the process from exiting ({_names(started)})")
        if now.socket_timeout != self.socket_timeout:
            found.append(f"set the default socket timeout to {now.socket_timeout!r}")
        return found


def _cwd() -> str | None:
    try:
        return os.getcwd()
    except OSError:  # the working directory was removed
        return None


def _handlers() -> dict[int, Any]:
    handlers: dict[int, Any] = {}
    for number in signal.valid_signals():
        if number in _UNCATCHABLE:
            continue
        try:
            handlers[number] = signal.getsignal(number)
        except (OSError, ValueError):
            continue
    return handlers


def _identity(fd: int) -> tuple[int, int] | None:
    try:
        status = os.fstat(fd)
    except OSError:
        return None
    return (status.st_dev, status.st_ino)


def _closed(streams: tuple[Any, ...]) -> bool:
    return any(getattr(stream, "closed", False) for stream in streams)


def _lasting_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if not thread.daemon and thread.is_alive()]


def _socket_timeout() -> float | None:
    # Only when some module imported socket: importing it here would change what is imported.
    module = sys.modules.get("socket")
    return module.getdefaulttimeout() if module is not None else None


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:_MAX_NAMES])
    return shown + (f" and {len(names) - _MAX_NAMES} more" if len(names) > _MAX_NAMES else "")
