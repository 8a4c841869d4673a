"""Replace a file or a folder in one step: a reader never sees half of it, a failure leaves the old one.

Every stage that writes where others read (generated pages, the extraction cache, ``catalog.json``,
a published tree, the search bundle) goes through these two functions.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

#: The file a built site carries at its root: what was built, from which version (written by
#: :mod:`airflow_catalog.sphinxext.versioning`, read when the site is published and indexed).
BUILD_INFO = "build-info.json"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: ``mkstemp`` makes files private; what we write (a site's ``catalog.json``) is read by others.
_PERMISSIONS = 0o666 & ~_umask()


def write_atomically(path: Path, data: str | bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it over ``path``.

    :param path: the file to create or replace; its folder is created when missing.
    :param data: text (written as UTF-8) or bytes.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(handle, _PERMISSIONS)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def swap_folder(staged: Path, destination: Path) -> None:
    """Put the folder ``staged`` in place of ``destination``, then delete the old one.

    The old folder is unreachable for only the time between two renames (POSIX has no atomic
    exchange of two non-empty folders); a crash between them leaves it under a ``.trash-`` name
    beside ``destination``, never half of either.

    :param staged: a complete folder on the same file system as ``destination``.
    :param destination: the folder to create or replace.
    :raises NotADirectoryError: when ``destination`` exists and is a file or a symlink.
    """
    if destination.is_symlink() or destination.is_file():
        raise NotADirectoryError(f"{destination} exists and is not a folder: move it away first")
    trash = destination.with_name(f".trash-{destination.name}-{uuid.uuid4().hex}")
    if destination.exists():
        destination.rename(trash)
    staged.rename(destination)
    shutil.rmtree(trash, ignore_errors=True)
