import datetime
import errno
import hashlib
import json
import os
from pathlib import Path

import pytest
from etl_fixtures import archived_files, race_two_writers

from etl_platform import archive as archive_module
from etl_platform.archive import Archive, ArchiveConflictError, ArchiveCorruptError, ArchiveKey, Manifest

KEY = ArchiveKey(
    source="orders-api", dataset="orders", day=datetime.date(2026, 11, 24), run_id="run_1", name="orders.csv"
)


def write(archive: Archive, chunks: list[bytes], key: ArchiveKey = KEY) -> tuple[object, bool]:
    with archive.stage(key) as staged:
        for chunk in chunks:
            staged.write(chunk)
        manifest = staged.commit(source_url="http://example/orders", content_type="text/csv", rows=1)
    return manifest, staged.created


def test_payload_lands_at_the_documented_path_with_its_manifest(tmp_path: Path) -> None:
    manifest, created = write(Archive(str(tmp_path)), [b"id\n", b"1\n"])
    assert created
    assert archived_files(tmp_path) == [
        "orders-api/orders/2026/11/24/run_1/orders.csv",
        "orders-api/orders/2026/11/24/run_1/orders.csv.manifest.json",
    ]
    recorded = json.loads(
        (tmp_path / "orders-api/orders/2026/11/24/run_1/orders.csv.manifest.json").read_text()
    )
    assert recorded["sha256"] == hashlib.sha256(b"id\n1\n").hexdigest() == manifest.sha256
    assert recorded["size"] == 5 and recorded["source_url"] == "http://example/orders"
    assert recorded["content_type"] == "text/csv" and recorded["archived_at"].endswith("+00:00")


def test_same_payload_twice_is_a_no_op(tmp_path: Path) -> None:
    archive = Archive(str(tmp_path))
    first, _ = write(archive, [b"id\n1\n"])
    manifest_file = tmp_path / "orders-api/orders/2026/11/24/run_1/orders.csv.manifest.json"
    before = manifest_file.read_bytes()
    again, created = write(archive, [b"id\n", b"1\n"])
    assert not created and again == first and manifest_file.read_bytes() == before
    assert len(archived_files(tmp_path)) == 2


def test_different_payload_at_same_key_is_refused_naming_both_checksums(tmp_path: Path) -> None:
    archive = Archive(str(tmp_path))
    write(archive, [b"id\n1\n"])
    old, new = hashlib.sha256(b"id\n1\n").hexdigest(), hashlib.sha256(b"id\n2\n").hexdigest()
    with pytest.raises(ArchiveConflictError, match=f"sha256 {old}.*sha256 {new}"):
        write(archive, [b"id\n2\n"])
    assert (tmp_path / KEY.path).read_bytes() == b"id\n1\n"
    assert len(archived_files(tmp_path)) == 2


def test_failure_while_writing_leaves_nothing_behind(tmp_path: Path) -> None:
    archive = Archive(str(tmp_path))
    with pytest.raises(RuntimeError), archive.stage(KEY) as staged:
        staged.write(b"id\n")
        assert len(archived_files(tmp_path)) == 1  # only the hidden partial file exists while writing
        assert archived_files(tmp_path)[0].split("/")[-1].startswith(".orders.csv.")
        raise RuntimeError("source went away")
    assert archived_files(tmp_path) == []


def test_verified_read_returns_the_bytes(tmp_path: Path) -> None:
    archive = Archive(str(tmp_path))
    write(archive, [b"id\n1\n"])
    with archive.open_verified(KEY.path) as reader:
        assert reader.read() == b"id\n1\n"


@pytest.mark.parametrize("damage", [b"id\n9\n", b"id\n1\nextra\n", b"id\n"])
def test_verified_read_of_a_damaged_payload_fails(tmp_path: Path, damage: bytes) -> None:
    archive = Archive(str(tmp_path))
    write(archive, [b"id\n1\n"])
    (tmp_path / KEY.path).write_bytes(damage)
    with (
        pytest.raises(ArchiveCorruptError, match="manifest says 5 bytes"),
        archive.open_verified(KEY.path) as r,
    ):
        r.read()
    with pytest.raises(ArchiveCorruptError):
        archive.verify(KEY.path)


def test_payload_without_manifest_is_never_overwritten(tmp_path: Path) -> None:
    archive = Archive(str(tmp_path))
    (tmp_path / KEY.path).parent.mkdir(parents=True)
    (tmp_path / KEY.path).write_bytes(b"id\n1\n")
    with pytest.raises(ArchiveConflictError):
        write(archive, [b"id\n2\n"])
    assert (tmp_path / KEY.path).read_bytes() == b"id\n1\n"
    _, created = write(archive, [b"id\n1\n"])
    assert not created


def test_missing_payload_names_the_path_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nothing is archived at .*orders\.csv.*XCom"):
        Archive(str(tmp_path)).read_manifest(KEY.path)


@pytest.mark.parametrize("field", ["source", "dataset", "run_id", "name"])
@pytest.mark.parametrize("value", ["", "a/b", "..", ".hidden"])
def test_key_segments_must_be_plain_names(field: str, value: str) -> None:
    with pytest.raises(ValueError, match=f"archive key {field}="):
        ArchiveKey(**{**KEY.__dict__, field: value})


def test_archive_works_on_any_fsspec_url(tmp_path: Path) -> None:
    manifest, _ = write(Archive(f"file://{tmp_path}"), [b"id\n1\n"])
    assert (tmp_path / manifest.path).read_bytes() == b"id\n1\n"


def test_checksum_is_right_when_large_chunks_are_hashed_in_parallel_and_buffers_are_reused(
    tmp_path: Path,
) -> None:
    blocks = [bytes([n]) * 200_000 for n in range(5)]
    reused = bytearray(b"x" * 100_000)
    expected = hashlib.sha256()
    with Archive(str(tmp_path)).stage(KEY) as staged:
        for block in blocks:
            staged.write(block)
            expected.update(block)
            staged.write(reused)  # a buffer the caller overwrites right after write() returns
            expected.update(reused)
            reused[:] = b"y" * len(reused)
        manifest = staged.commit(source_url="test", content_type="application/octet-stream")
    assert (
        manifest.sha256
        == expected.hexdigest()
        == hashlib.sha256((tmp_path / KEY.path).read_bytes()).hexdigest()
    )
    assert manifest.size == 5 * 300_000


def test_writing_behind_a_local_payload_keeps_every_byte_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A tiny write-behind step, so that many write-backs run while small writes still sit in the
    # file's buffer: the payload must still come out whole, in order, with its checksum.
    monkeypatch.setattr(archive_module, "WRITE_BEHIND_BYTES", 1_000)
    chunks = [str(n).encode() * (n % 7 + 1) for n in range(5_000)] + [b"z" * 300_000] * 3
    manifest, created = write(Archive(str(tmp_path)), chunks)
    payload = b"".join(chunks)
    assert created
    assert (tmp_path / KEY.path).read_bytes() == payload
    assert (manifest.size, manifest.sha256) == (len(payload), hashlib.sha256(payload).hexdigest())


@pytest.mark.parametrize("same", [True, False], ids=["same bytes", "other bytes"])
def test_two_writers_racing_for_one_key_on_a_local_disk_one_publishes(tmp_path: Path, same: bool) -> None:
    archive = Archive(str(tmp_path))
    payloads = (b"id\n1\n", b"id\n1\n" if same else b"id\n2\n")
    outcomes = race_two_writers(archive, KEY, payloads)

    winner = next(n for n, outcome in outcomes.items() if outcome == "created")
    loser_outcome = outcomes[1 - winner]
    assert loser_outcome == "no-op" if same else isinstance(loser_outcome, ArchiveConflictError)
    assert (tmp_path / KEY.path).read_bytes() == payloads[winner]
    assert len(archived_files(tmp_path)) == 2  # the payload and its manifest; no partial file is left
    assert archive.verify(KEY.path).source_url == f"writer {winner}"


def test_a_rebuilt_manifest_never_replaces_a_written_one(tmp_path: Path) -> None:
    archive = Archive(str(tmp_path))
    written, _ = write(archive, [b"id\n1\n"])
    assert isinstance(written, Manifest)
    rebuilt = Manifest(KEY.path, written.size, written.sha256, "unknown (manifest rebuilt)", "", "", None)
    assert archive._add_manifest(rebuilt) == written
    assert len(archived_files(tmp_path)) == 2


def test_a_failed_write_back_fails_the_payload_and_publishes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Linux reports an fdatasync error once only: the archive must not let a later, successful one
    # hide it and publish a payload that never reached the disk.
    monkeypatch.setattr(archive_module, "WRITE_BEHIND_BYTES", 1_000)
    real_fdatasync, failures = os.fdatasync, []

    def fdatasync_failing_once(descriptor: int) -> None:
        if not failures:
            failures.append(descriptor)
            raise OSError(errno.EIO, "Input/output error")
        real_fdatasync(descriptor)

    monkeypatch.setattr(os, "fdatasync", fdatasync_failing_once)
    with pytest.raises(OSError, match="Input/output error"):
        write(Archive(str(tmp_path)), [b"x" * 600] * 50)
    assert failures
    assert not archived_files(tmp_path)
