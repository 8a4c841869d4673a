"""Count the warnings of one build as the user sees them, so that an event handler can ask.

Sphinx counts warnings on a private attribute of the application and turns them into a failing
status only after ``build-finished``; an extension that must not write a file for a build that
warned (``build-info.json``, which publishing requires) needs the count during that event. This
counter is a logging handler on Sphinx's logger namespace that skips what ``suppress_warnings``
silences, with Sphinx's own public test for that; warnings of parallel readers reach it too, as
Sphinx replays them in the main process.
"""

from __future__ import annotations

import logging
import weakref

from sphinx.application import Sphinx
from sphinx.util.logging import NAMESPACE, is_suppressed_warning


class WarningCounter(logging.Handler):
    """Count the warnings (and errors) of one build that ``suppress_warnings`` does not silence.

    :param app: the Sphinx application whose ``suppress_warnings`` applies.
    """

    def __init__(self, app: Sphinx) -> None:
        super().__init__(logging.WARNING)
        self.app = app
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        """Count ``record`` unless it is suppressed."""
        kind, subtype = getattr(record, "type", ""), getattr(record, "subtype", "")
        if not is_suppressed_warning(kind, subtype, self.app.config.suppress_warnings):
            self.count += 1


#: The counter of each application being built; gone with the application.
_COUNTERS: weakref.WeakKeyDictionary[Sphinx, WarningCounter] = weakref.WeakKeyDictionary()


def start_counting(app: Sphinx) -> None:
    """Begin counting ``app``'s warnings (at ``builder-inited``); a previous counter is replaced."""
    stop_counting(app)
    counter = WarningCounter(app)
    _COUNTERS[app] = counter
    logging.getLogger(NAMESPACE).addHandler(counter)


def warning_count(app: Sphinx) -> int:
    """Return how many warnings ``app`` has logged since :func:`start_counting`."""
    counter = _COUNTERS.get(app)
    return counter.count if counter is not None else 0


def stop_counting(app: Sphinx) -> None:
    """Stop counting ``app``'s warnings and detach the counter."""
    counter = _COUNTERS.pop(app, None)
    if counter is not None:
        logging.getLogger(NAMESPACE).removeHandler(counter)
