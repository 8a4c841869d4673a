"""The archive policy: every ingested payload is kept, streamed and atomically, with a manifest.

A payload lives at ``{root}/{source}/{dataset}/{YYYY}/{MM}/{DD}/{run_id}/{name}`` and its manifest next to
it at ``{name}.manifest.json``. ``root`` is any fsspec URL, reached through Airflow's
:class:`~airflow.sdk.ObjectStoragePath`, so a local folder and a bucket behave alike.

Readers never see a partial payload, and a payload is published only where the key is free: writing the
same bytes to the same key again is a no-op; different bytes at the same key raise
:class:`ArchiveConflictError`, never an overwrite. How a payload is published depends on the store
(:class:`Publishing`):

- **A local disk**: the payload is written to a hidden ``.partial`` file in the same folder and hard-linked
  into place, which fails when the key is taken: two writers racing for one key cannot both publish.
- **S3** (through s3fs): the payload is uploaded to its key as an exclusive write (``If-None-Match: *`` on
  the last ``PutObject`` or ``CompleteMultipartUpload``). S3 shows an upload only when it completes and
  completes it only if the key is free, so of two writers racing, the second is refused by the store
  itself: with 412 PreconditionFailed when the other completed first, or with 409
  ConditionalRequestConflict when both were completing at once. AWS S3 honours the condition since August
  2024, as do MinIO and moto; for an S3-compatible store that ignores it, the key is also checked just
  before the upload completes, as below. The bucket must exist: the archive never creates one (s3fs's
  ``mkdir`` would, so a typo in the root would archive into a new bucket).
- **Any other fsspec store**: the payload is written to a hidden ``.partial`` file, then the key is checked
  and the file moved. Between the check and the move, a second writer could publish and be overwritten;
  Airflow runs one task instance per run and key, so that window only opens when two DAG runs or
  deployments write the same key at once.
"""

from __future__ import annotations

import datetime
import enum
import hashlib
import io
import json
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from airflow.sdk import ObjectStoragePath
from airflow.sdk.exceptions import AirflowException
from fsspec.implementations.local import LocalFileSystem

from etl_platform.policy import ConfigurationError, DataError

#: Bytes moved per read or write: large enough to keep Python's per-chunk overhead small (256 KiB
#: chunks cost 10-20 % more CPU per GiB in bench/bench_archive.py), small enough to bound memory.
CHUNK_SIZE = 1 << 20
#: Chunks at least this large are hashed on a second thread while they are written.
_PARALLEL_BYTES = 1 << 16
#: On a local disk, a payload is flushed to the disk and dropped from the page cache every this many bytes.
WRITE_BEHIND_BYTES = 64 << 20
MANIFEST_SUFFIX = ".manifest.json"


def _open(path: ObjectStoragePath, mode: str) -> Any:
    """Open a file through its fsspec file system.

    ``ObjectStoragePath.open`` wraps the file to report lineage on every ``read`` and ``write`` call:
    about 0.1 ms per chunk (a fifth of the archive's time in bench/bench_archive.py), and it would
    report the hidden ``.partial`` file as an asset.
    """
    return path.fs.open(path.path, mode)


class Publishing(enum.Enum):
    """How a store lets a payload be published only where its key is free."""

    #: A local disk: a hard link from the staged file, refused by the file system when the key is taken.
    LINK = "link"
    #: S3: an exclusive write at the key itself, refused by the store when the key is taken.
    CREATE_IF_ABSENT = "create-if-absent"
    #: Any other store: check that the key is free, then move the staged file (not atomic).
    CHECK_THEN_MOVE = "check-then-move"

    @classmethod
    def of(cls, fs: Any) -> Publishing:
        """Choose how to publish on a file system.

        :param fs: the fsspec file system of the archive.
        :returns: the way that file system allows.
        """
        if isinstance(fs, LocalFileSystem):
            return cls.LINK
        try:
            from s3fs import S3FileSystem
        except ImportError:  # without s3fs no file system reaches S3
            return cls.CHECK_THEN_MOVE
        # fsspec leaves exclusive writes to each store ("may be implemented by the backend"); s3fs's
        # "xb" mode sends If-None-Match and turns the store's refusal into FileExistsError.
        return cls.CREATE_IF_ABSENT if isinstance(fs, S3FileSystem) else cls.CHECK_THEN_MOVE


def _abandon(file: Any) -> None:
    """Throw away an exclusive write that must not complete, and its multipart upload if one was begun.

    s3fs's ``discard`` aborts the upload but leaves the file open, and closing it later (even by the
    garbage collector) would try to complete it.
    """
    file.discard()
    file.closed = True


#: S3's error code for a conditional write that met another one to the same key (HTTP 409).
_CONDITIONAL_CONFLICT = "ConditionalRequestConflict"


def _key_taken(error: BaseException) -> bool:
    """Say whether an exclusive write was refused because another writer has the key, or is taking it.

    S3 answers 412 PreconditionFailed when another write completed first (s3fs raises
    :class:`FileExistsError`), and 409 ConditionalRequestConflict when another conditional write to the
    key was completing at the same moment (s3fs raises a plain :class:`OSError` for it, with botocore's
    ``ClientError`` as its cause).

    :param error: what s3fs raised, or botocore's ``ClientError`` itself.
    :returns: whether the key is taken or being taken.
    """
    if isinstance(error, FileExistsError):
        return True
    for candidate in (error, error.__cause__):
        response = getattr(candidate, "response", None)
        if isinstance(response, dict) and response.get("Error", {}).get("Code") == _CONDITIONAL_CONFLICT:
            return True
    return False


@contextmanager
def _store_errors(where: ObjectStoragePath) -> Iterator[None]:
    """Fail without retry where only a change of the archive's connection helps.

    Access denied and a bucket that does not exist become a
    :class:`~etl_platform.policy.ConfigurationError`.

    :param where: the archive path being written, named in the message.
    :raises ConfigurationError: on :class:`PermissionError` or :class:`FileNotFoundError`.
    :returns: a context manager.
    """
    try:
        yield
    except PermissionError as error:
        raise ConfigurationError(
            f"the archive refused to write {where} ({error}): check the archive connection's root and the "
            "credentials of its storage_conn_id (not retried)"
        ) from None
    except FileNotFoundError as error:
        raise ConfigurationError(
            f"the archive cannot write {where} ({error}): check the archive connection's root; its bucket "
            "must exist, the archive never creates one (not retried)"
        ) from None


def _publish_staged_file(
    partial: ObjectStoragePath, final: ObjectStoragePath, publishing: Publishing
) -> bool:
    """Move a complete staged file into place unless the key is taken, and remove it either way.

    :param partial: the staged file.
    :param final: where it goes.
    :param publishing: :attr:`Publishing.LINK` or :attr:`Publishing.CHECK_THEN_MOVE`.
    :returns: whether it was published.
    """
    if publishing is Publishing.LINK:
        try:
            os.link(partial.path, final.path)
        except FileExistsError:
            partial.unlink()
            return False
        except OSError:
            pass  # a file system without hard links: check, then move
        else:
            partial.unlink()
            return True
    if final.exists():
        partial.unlink()
        return False
    partial.move(final)
    return True


class ArchiveConflictError(DataError):
    """A different payload is already archived at this key; the archive never overwrites."""


class ArchiveCorruptError(DataError):
    """An archived payload no longer matches the size or checksum its manifest recorded."""


class ArchiveBusyError(AirflowException):
    """Another writer was publishing at the key at the same moment, and its payload is not visible yet.

    S3 answers such a race with 409 ConditionalRequestConflict. Nothing was published; Airflow retries the
    task, whose next attempt finds what the other writer published: the same payload (a no-op) or
    another (:class:`ArchiveConflictError`), or a free key if the other writer failed.
    """


def check_key_segment(field: str, value: str) -> str:
    """Check one part of an archive path: one non-empty segment, not hidden.

    :param field: the part's name (``source``, ``dataset``, ``run_id``, ``name``), named in the message.
    :param value: its value.
    :raises ConfigurationError: when it is empty, holds ``/`` or starts with ``.`` (a :class:`ValueError`,
        so an operator's constructor can raise it when the DAG is parsed; not retried in a task).
    :returns: the value.
    """
    if not value or "/" in value or value in {".", ".."} or value.startswith("."):
        raise ConfigurationError(
            f"archive key {field}={value!r} must be one non-empty path segment without '/' "
            "and not starting with '.'"
        )
    return value


@dataclass(frozen=True)
class ArchiveKey:
    """Where one payload goes in the archive.

    :param source: the system the data comes from, e.g. ``orders-api``.
    :param dataset: the dataset within that system, e.g. ``orders``.
    :param day: the run's logical day; it names the ``YYYY/MM/DD`` folders.
    :param run_id: the DAG run's id.
    :param name: the payload's file name, e.g. ``orders.jsonl``.
    """

    source: str
    dataset: str
    day: datetime.date
    run_id: str
    name: str

    def __post_init__(self) -> None:
        for field in ("source", "dataset", "run_id", "name"):
            check_key_segment(field, getattr(self, field))

    @property
    def path(self) -> str:
        """The payload's path below the archive root."""
        day = f"{self.day:%Y}/{self.day:%m}/{self.day:%d}"
        return f"{self.source}/{self.dataset}/{day}/{self.run_id}/{self.name}"


@dataclass(frozen=True)
class Manifest:
    """What the archive knows about one payload.

    :param path: the payload's path below the archive root.
    :param size: its size in bytes.
    :param sha256: the hex SHA-256 of its bytes.
    :param source_url: where it was fetched from.
    :param content_type: its media type, e.g. ``text/csv``.
    :param archived_at: when it was archived, ISO 8601 in UTC.
    :param rows: how many records it holds, when the format has records.
    """

    path: str
    size: int
    sha256: str
    source_url: str
    content_type: str
    archived_at: str
    rows: int | None = None

    def dumps(self) -> bytes:
        """Serialise the manifest as JSON.

        :returns: UTF-8 JSON bytes.
        """
        return json.dumps(asdict(self), indent=2, sort_keys=True).encode()

    @classmethod
    def loads(cls, data: bytes, where: str) -> Manifest:
        """Read a manifest written by :meth:`dumps`.

        :param data: the manifest's bytes.
        :param where: the manifest's location, named in errors.
        :raises ArchiveCorruptError: when the bytes are not a manifest.
        :returns: the manifest.
        """
        try:
            return cls(**json.loads(data))
        except (ValueError, TypeError) as error:
            raise ArchiveCorruptError(
                f"manifest {where} is unreadable ({error}); restore it from a backup"
            ) from None


class _WriteBehind:
    """Flush a local file being written to the disk, and drop it from the page cache, as it grows.

    Why: an archived payload is written once and read rarely, so keeping it in the page cache only takes
    memory from the tasks, and a payload should be on the disk before it is published. Flushing every
    :data:`WRITE_BEHIND_BYTES` on a second thread keeps the cache footprint small, and with it the write
    speed steady: on a VM that returns free memory to its host, writing 1 GiB into fresh page cache took
    1.2-1.8 s of page faults in bench/bench_archive.py, against 0.25 s into recycled pages.
    (``sync_file_range`` would start the write-back without a thread, but Python does not expose it.)

    :param file: the open local file; its buffer is flushed before each write-back.
    """

    def __init__(self, file: Any) -> None:
        self._file = file
        self._descriptor: int = file.fileno()
        self._flusher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="archive-write-behind")
        self._flushing: Future[None] | None = None
        self._flushed = 0

    def wrote(self, size: int) -> None:
        """Start a write-back when enough bytes are waiting and none is running.

        :param size: the file's size now.
        """
        if size - self._flushed < WRITE_BEHIND_BYTES:
            return
        if self._flushing is not None:
            if not self._flushing.done():
                return  # the disk is behind: the next write starts the next write-back
            # Raises the error of a failed write-back: Linux reports an fdatasync error once only,
            # so the final one would succeed and publish a payload that is not on the disk.
            self._flushing.result()
        self._file.flush()
        self._flushing = self._flusher.submit(self._write_back, size)
        self._flushed = size

    def finish(self, size: int) -> None:
        """Wait until the whole file is on the disk.

        :param size: the file's final size.
        """
        if self._flushing is not None:
            self._flushing.result()
        self._file.flush()
        self._write_back(size)

    def close(self) -> None:
        """Stop the write-back thread."""
        self._flusher.shutdown(wait=True)

    def _write_back(self, size: int) -> None:
        # macOS has neither fdatasync nor posix_fadvise: there the data is synced and stays cached.
        if hasattr(os, "fdatasync"):
            os.fdatasync(self._descriptor)
        else:
            os.fsync(self._descriptor)
        if hasattr(os, "posix_fadvise"):
            os.posix_fadvise(self._descriptor, 0, size, os.POSIX_FADV_DONTNEED)


class StagedPayload:
    """A payload being written to a hidden file, published by :meth:`commit`.

    It is a writable binary file object (``write``, ``tell``, ``flush``), so writers such as
    :mod:`csv` (through :class:`io.TextIOWrapper`) and ``pyarrow.parquet`` can write into it directly.

    :param archive: the archive it belongs to.
    :param key: where it will be published.
    """

    def __init__(self, archive: Archive, key: ArchiveKey) -> None:
        self.archive = archive
        self.key = key
        self.final = archive.payload_path(key.path)
        self.publishing = Publishing.of(self.final.fs)
        #: The hidden file being written, or ``None`` when the payload is uploaded to its key exclusively.
        self.partial: ObjectStoragePath | None = None
        with _store_errors(self.final):
            if self.publishing is Publishing.CREATE_IF_ABSENT:
                # S3 has no folders to make, and s3fs's mkdir creates a missing bucket: never called here.
                # Not visible at the key until the upload completes, and completed only if the key is free.
                self._file = _open(self.final, "xb")
            else:
                self.final.parent.mkdir(parents=True, exist_ok=True)
                self.partial = self.final.parent / f".{key.name}.{uuid.uuid4().hex}.partial"
                self._file = _open(self.partial, "wb")
        self._write_behind = _WriteBehind(self._file) if self.publishing is Publishing.LINK else None
        self._sha256 = hashlib.sha256()
        # Hashing and writing both release the GIL; one after the other, hashing adds about a quarter
        # to the time of writing (bench/bench_archive.py), so large chunks are hashed on a second
        # thread, in order, while they are written. One chunk at most is in flight, which bounds
        # memory. (Writing on a third thread measured no faster on two cores.)
        self._hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="archive-sha256")
        self._hashing: Future[None] | None = None
        self.size = 0
        self._uploaded = False
        self.committed = False
        #: ``False`` when :meth:`commit` found the same payload already archived.
        self.created = False

    # The file-object protocol that csv and pyarrow writers call.
    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Append bytes to the payload.

        :param data: the bytes.
        :returns: how many bytes were written.
        """
        self._wait()
        # Only immutable bytes may be hashed after write() returns: a caller may reuse its buffer.
        if isinstance(data, bytes) and len(data) >= _PARALLEL_BYTES:
            self._hashing = self._hasher.submit(self._sha256.update, data)
        else:
            self._sha256.update(data)
        with _store_errors(self.final):  # S3 starts a multipart upload after the first part's bytes
            self._file.write(data)
        self.size += len(data)
        if self._write_behind is not None:
            self._write_behind.wrote(self.size)
        return len(data)

    def _wait(self) -> None:
        """Wait until the chunk in flight is hashed."""
        if self._hashing is not None:
            self._hashing.result()
            self._hashing = None

    def tell(self) -> int:
        """Return the number of bytes written so far."""
        return self.size

    def flush(self) -> None:
        """Nothing is buffered here: the underlying file flushes when it is closed."""

    def writable(self) -> bool:
        """Say that the payload is writable."""
        return True

    @property
    def closed(self) -> bool:
        """Whether the staging file is closed."""
        return bool(self._file.closed)

    @property
    def sha256(self) -> str:
        """The hex SHA-256 of the bytes written so far."""
        self._wait()
        return self._sha256.hexdigest()

    def commit(self, *, source_url: str, content_type: str, rows: int | None = None) -> Manifest:
        """Publish the payload and its manifest, or find the same payload already published.

        :param source_url: where the payload came from.
        :param content_type: its media type.
        :param rows: how many records it holds, if the format has records.
        :raises ArchiveConflictError: when different bytes are archived at the key; nothing changes.
        :raises ArchiveBusyError: when another writer was publishing at the key at the same moment and its
            payload is not visible yet (S3's 409); nothing changes, and Airflow retries.
        :raises ConfigurationError: when the store refuses access or its bucket does not exist.
        :returns: the manifest of the archived payload.
        """
        self._wait()
        if self._write_behind is not None:
            self._write_behind.finish(self.size)
        with _store_errors(self.final):
            published = self._publish()
        if not published:
            existing = self.archive.find(self.key.path)
            if existing is None:
                # Only after S3's 409: the other writer's upload was completing and may still fail.
                raise ArchiveBusyError(
                    f"another writer was publishing {self.final} at the same moment and its payload is not "
                    "visible yet; nothing was published, and Airflow will retry the task"
                )
            self.committed = True
            if existing.sha256 != self.sha256:
                raise ArchiveConflictError(
                    f"{self.archive.payload_path(self.key.path)} is already archived with sha256 "
                    f"{existing.sha256}; the new payload has sha256 {self.sha256}. The archive never "
                    "overwrites: archive the new payload under another run or name"
                )
            return existing
        manifest = Manifest(
            path=self.key.path,
            size=self.size,
            sha256=self.sha256,
            source_url=source_url,
            content_type=content_type,
            archived_at=datetime.datetime.now(datetime.UTC).isoformat(),
            rows=rows,
        )
        self.archive.write_manifest(manifest)
        self.committed = True
        self.created = True
        return manifest

    def _publish(self) -> bool:
        """Publish the payload unless the key is taken; either way nothing staged is left.

        :returns: whether it was published.
        """
        if self.partial is None:
            return self._complete_exclusive_upload()
        self._file.close()
        return _publish_staged_file(self.partial, self.final, self.publishing)

    def _complete_exclusive_upload(self) -> bool:
        """Complete the upload to the key if the key is free, else abort it; say whether it completed."""
        fs, path = self.final.fs, self.final.path
        # The store's condition decides a race; this check keeps an S3-compatible store that ignores
        # If-None-Match from overwriting at least a payload published before now.
        fs.invalidate_cache(path)
        if fs.exists(path):
            _abandon(self._file)
            return False
        try:
            if self.size == 0:
                # s3fs completes an empty file with an unconditional PUT: send the exclusive one here.
                _abandon(self._file)
                fs.pipe_file(path, b"", mode="create")
            else:
                self._file.close()
        except OSError as error:
            if not _key_taken(error):
                raise
            _abandon(self._file)  # s3fs leaves a refused multipart upload open
            return False
        self._uploaded = True
        return True

    def discard(self) -> None:
        """Remove the staging file, or abort the upload, unless the payload was committed."""
        self._hasher.shutdown(wait=True)
        if self._write_behind is not None:
            self._write_behind.close()
        if self.partial is None:
            if not self._uploaded:
                # Closing would complete the upload of a partial payload; an upload that failed to
                # complete is still open on the store.
                _abandon(self._file)
            return
        if not self._file.closed:
            self._file.close()
        if not self.committed and self.partial.exists():
            self.partial.unlink()


class VerifyingReader(io.RawIOBase):
    """Read an archived payload and fail at its end unless size and checksum match the manifest.

    Wrap it in :class:`io.BufferedReader` (and :class:`io.TextIOWrapper`) to read lines or CSV.

    :param raw: the payload's open binary file.
    :param manifest: what the payload must match.
    """

    def __init__(self, raw: Any, manifest: Manifest) -> None:
        super().__init__()
        self._raw = raw
        self.manifest = manifest
        self._sha256 = hashlib.sha256()
        self._size = 0
        self._verified = False

    def readable(self) -> bool:
        """Say that the payload is readable."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` from the payload, checking size and checksum at the end.

        :param buffer: a writable buffer.
        :raises ArchiveCorruptError: at the end of a payload that does not match its manifest.
        :returns: the number of bytes read; 0 at the end.
        """
        data = self._raw.read(len(buffer))
        if not data:
            self.verify()
            return 0
        buffer[: len(data)] = data
        self._sha256.update(data)
        self._size += len(data)
        return len(data)

    def verify(self) -> None:
        """Check what was read against the manifest; call it when reading stops early too.

        :raises ArchiveCorruptError: when the size or checksum differs.
        """
        if self._verified:
            return
        while chunk := self._raw.read(CHUNK_SIZE):
            self._sha256.update(chunk)
            self._size += len(chunk)
        digest = self._sha256.hexdigest()
        if self._size != self.manifest.size or digest != self.manifest.sha256:
            raise ArchiveCorruptError(
                f"archived payload {self.manifest.path} has {self._size} bytes with sha256 {digest}, "
                f"its manifest says {self.manifest.size} bytes with sha256 {self.manifest.sha256}; "
                "the copy is damaged: re-run the ingest task for that run to archive it again"
            )
        self._verified = True

    def close(self) -> None:
        """Close the payload file."""
        self._raw.close()
        super().close()


class Archive:
    """The archive below one root.

    :param root: the archive's root folder, any fsspec URL or :class:`~airflow.sdk.ObjectStoragePath`.
    """

    def __init__(self, root: ObjectStoragePath | str) -> None:
        self.root = root if isinstance(root, ObjectStoragePath) else ObjectStoragePath(root)

    def payload_path(self, path: str) -> ObjectStoragePath:
        """Return where the payload at ``path`` (below the root) is stored."""
        return self.root / path

    def manifest_path(self, path: str) -> ObjectStoragePath:
        """Return where the manifest of the payload at ``path`` is stored."""
        return self.root / f"{path}{MANIFEST_SUFFIX}"

    @contextmanager
    def stage(self, key: ArchiveKey) -> Iterator[StagedPayload]:
        """Open a payload for writing; whatever is not committed when the block ends is removed.

        :param key: where the payload will be published.
        :returns: a context manager giving the :class:`StagedPayload`.
        """
        staged = StagedPayload(self, key)
        try:
            yield staged
        finally:
            staged.discard()

    def write_manifest(self, manifest: Manifest) -> None:
        """Write a manifest atomically (to a hidden file first, then moved into place).

        The writer that published a payload writes its manifest this way, replacing one that
        :meth:`find` may have rebuilt meanwhile for a writer that lost the race.

        :param manifest: the manifest.
        """
        final = self.manifest_path(manifest.path)
        partial = final.parent / f".{final.name}.{uuid.uuid4().hex}.partial"
        partial.write_bytes(manifest.dumps())
        partial.move(final)

    def _add_manifest(self, manifest: Manifest) -> Manifest:
        """Write a manifest unless one is there already (then that one is read and returned).

        :param manifest: the manifest.
        :returns: the manifest at its place afterwards.
        """
        final = self.manifest_path(manifest.path)
        publishing = Publishing.of(final.fs)
        if publishing is Publishing.CREATE_IF_ABSENT:
            try:
                final.fs.pipe_file(final.path, manifest.dumps(), mode="create")
                return manifest
            except OSError as error:
                if not _key_taken(error):
                    raise
                final.fs.invalidate_cache(final.path)
                if not final.exists():
                    # A 409: the other manifest was being written; this one describes the same bytes.
                    return manifest
        else:
            partial = final.parent / f".{final.name}.{uuid.uuid4().hex}.partial"
            partial.write_bytes(manifest.dumps())
            if _publish_staged_file(partial, final, publishing):
                return manifest
        return Manifest.loads(final.read_bytes(), str(final))

    def find(self, path: str) -> Manifest | None:
        """Find the manifest of an archived payload.

        A payload without a manifest (its writer stopped after publishing it, or has not written the
        manifest yet) gets its manifest rebuilt from its bytes, so that it is never silently
        overwritten. The rebuilt manifest never replaces one written meanwhile.

        :param path: the payload's path below the root.
        :returns: its manifest, or ``None`` when nothing is archived there.
        """
        manifest_path = self.manifest_path(path)
        if manifest_path.exists():
            return Manifest.loads(manifest_path.read_bytes(), str(manifest_path))
        payload = self.payload_path(path)
        if not payload.exists():
            return None
        sha256, size = hashlib.sha256(), 0
        with _open(payload, "rb") as handle:
            while chunk := handle.read(CHUNK_SIZE):
                sha256.update(chunk)
                size += len(chunk)
        manifest = Manifest(path, size, sha256.hexdigest(), "unknown (manifest rebuilt)", "", "", None)
        return self._add_manifest(manifest)

    def read_manifest(self, path: str) -> Manifest:
        """Read the manifest of an archived payload.

        :param path: the payload's path below the root.
        :raises FileNotFoundError: when nothing is archived there; the message names the full path.
        :returns: its manifest.
        """
        manifest = self.find(path)
        if manifest is None:
            raise FileNotFoundError(
                f"nothing is archived at {self.payload_path(path)}: check the path (the ingest task "
                "returns it in XCom as 'path') and the archive connection's root"
            )
        return manifest

    @contextmanager
    def open_verified(self, path: str) -> Iterator[VerifyingReader]:
        """Open an archived payload for reading; reading it to the end verifies it.

        :param path: the payload's path below the root.
        :raises FileNotFoundError: when nothing is archived there.
        :returns: a context manager giving a :class:`VerifyingReader`.
        """
        manifest = self.read_manifest(path)
        reader = VerifyingReader(_open(self.payload_path(path), "rb"), manifest)
        try:
            yield reader
        finally:
            reader.close()

    def verify(self, path: str) -> Manifest:
        """Read a whole payload and check it against its manifest.

        :param path: the payload's path below the root.
        :raises ArchiveCorruptError: when it does not match.
        :returns: its manifest.
        """
        with self.open_verified(path) as reader:
            reader.verify()
            return reader.manifest
