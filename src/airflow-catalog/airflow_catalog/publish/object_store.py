"""Publish the versioned site to object storage: any fsspec URL, such as ``s3://bucket/docs``.

The tree has the layout of the git and folder targets (one folder per version, ``versions.json`` and
the root pages at the top), with the same guarantees, built from what an object store offers: a
single object is replaced whole, and S3 replaces one conditionally (``If-Match`` an ETag, or
``If-None-Match: *`` when it must not exist yet). So ``versions.json`` is the commit point:

1. the whole build is read before the first write, so a file that can't be read stops the publish
   before anything in the store changes;
2. the version's files are uploaded into its folder, assets before pages, so a page never names an
   asset that is not there yet. A new version's folder is invisible until ``versions.json`` names it;
   an upload that fails half-way deletes what it wrote and leaves ``versions.json`` as it was;
3. the aliases are written as small redirect pages, one per page of the version they point at
   (object stores have no symbolic links, and a copy of a whole version per alias is what this
   layout avoids), then the root pages;
4. ``versions.json`` is replaced last, on the condition that nobody replaced it since it was read.
   A lost race is retried on top of the new ``versions.json`` a bounded number of times, so two
   releases published at once both end up listed;
5. only then are files deleted: pages a republished version no longer has, redirect pages of an
   alias that moved, the folder of an unpublished version.

Why republishing writes over the version's folder rather than a staged one: an object store cannot
rename a folder, and the version's address must stay ``<version>/``. While a republish uploads,
each page a reader opens is whole, old or new; a republish that fails half-way leaves some pages
new, ``versions.json`` unchanged and no file deleted, and running it again completes it.

Conditional replacement needs S3 (or an S3-compatible store). On other file systems the store is
written in the same order, but ``versions.json`` is replaced unconditionally: there, publish from one
place at a time (the release workflow's concurrency group).
"""

from __future__ import annotations

import difflib
import html
import json
import mimetypes
import random
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import fsspec
from fsspec.registry import known_implementations

from airflow_catalog.publish.versions import (
    ALIASES,
    ROOT_FILES,
    VERSIONS_JSON,
    VersionError,
    Versions,
    root_files,
)

#: URL schemes that name a git remote, never an object store.
GIT_SCHEMES = frozenset({"file", "local", "http", "https", "ssh", "git", "git+ssh", "github"})
#: Object stores whose single-object writes can be made conditional (``If-Match``/``If-None-Match``).
CONDITIONAL_PROTOCOLS = frozenset({"s3", "s3a"})
#: Stores whose first path segment is a bucket (a container), which the publisher never creates.
BUCKET_PROTOCOLS = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss"})
#: How many objects one batch of uploads or deletions holds.
BATCH = 200

Change = Callable[[Versions], Versions]


class StoreError(RuntimeError):
    """The store could not be published to as asked; ``versions.json`` is as it was."""


def is_store_url(target: str) -> bool:
    """Whether ``target`` is an fsspec URL of an object store (``s3://``, ``gs://``, ``memory://``...).

    Schemes git speaks (``https``, ``ssh``, ``file``) stay git targets.
    """
    scheme, separator, _ = target.partition("://")
    if not separator:
        return False
    protocol = scheme.lower()
    return protocol not in GIT_SCHEMES and protocol in known_implementations


@dataclass(frozen=True)
class StoreOutcome:
    """What a publish or unpublish did.

    :param versions: the versions now listed in ``versions.json``.
    :param attempts: how many conditional writes of ``versions.json`` it took (1 without a race).
    :param uploaded: how many objects were written, redirect pages and root pages included.
    :param deleted: how many stale objects were deleted after ``versions.json`` was replaced.
    """

    versions: Versions
    attempts: int
    uploaded: int
    deleted: int


class Store:
    """One published tree in an object store, addressed by keys relative to its root URL.

    Credentials and endpoints come from the environment, as fsspec's back ends read them
    (for S3: ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_ENDPOINT_URL``...).

    :param url: the tree's root, e.g. ``s3://bucket/docs``.
    """

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        try:
            # A fresh client: fsspec's cached one would keep the endpoint and credentials that the
            # environment held when it was first made.
            self.fs, root = fsspec.url_to_fs(self.url, skip_instance_cache=True)
        except (ImportError, ValueError) as error:
            raise StoreError(f"cannot open {url}: {error} (install the fsspec back end for it)") from error
        self.root = root.rstrip("/")
        protocols = {self.fs.protocol} if isinstance(self.fs.protocol, str) else set(self.fs.protocol)
        self.conditional = bool(protocols & CONDITIONAL_PROTOCOLS)
        self.bucketed = bool(protocols & BUCKET_PROTOCOLS)

    def check_tree(self, *, published: bool) -> None:
        """Refuse, before anything is written, a tree the publisher may not use.

        The publisher writes ``index.html`` and ``404.html`` at the top of the tree and deletes the
        objects of the versions it takes down, so it uses only a prefix it published to (it holds
        ``versions.json``) or an empty one, in a bucket that exists.

        :param published: whether the command needs a version already there (to unpublish one).
        :raises StoreError: when the bucket does not exist (naming a close match among the buckets
            this account can list), when the prefix holds objects but no ``versions.json``, when it is
            empty beside a prefix of a close name (a typo), or when ``published`` and it holds nothing.
        """
        self._check_bucket()
        listing, _ = self.read(VERSIONS_JSON)
        if listing is not None:
            try:
                Versions.loads(listing)
            except VersionError as error:
                raise StoreError(f"{self.url} is not a published tree it can read: {error}") from error
            return
        others = self._top_level()
        if others:
            shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
            raise StoreError(
                f"{self.url} holds {shown} but no {VERSIONS_JSON}, so it is not a published tree: the "
                "publisher writes index.html and 404.html at the top of its tree, so it uses only a prefix "
                "it published to or an empty one. Pass an empty prefix, e.g. "
                f"{self.url}/site"
            )
        self._refuse_a_typo_of_a_tree()
        if published:
            raise StoreError(f"{self.url} holds nothing, so no version is published there: check the URL")

    def _refuse_a_typo_of_a_tree(self) -> None:
        """Refuse an empty prefix beside one of a close name (``…/stie`` beside ``…/site``).

        Publishing there would start a second tree and report success; reading would answer that
        nothing was published before.
        """
        parent, _, leaf = self.root.rpartition("/")
        if not parent:
            return  # the root of a bucket: the bucket's own check covers it
        self.fs.invalidate_cache(parent)
        try:
            siblings = [PurePosixPath(entry).name for entry in self.fs.ls(parent, detail=False)]
        except FileNotFoundError:
            return
        close = difflib.get_close_matches(leaf, [name for name in siblings if name != leaf], n=1, cutoff=0.7)
        if close:
            meant = f"{self.url.rsplit('/', 1)[0]}/{close[0]}"
            raise StoreError(
                f"{self.url} holds nothing: did you mean {meant}? To start a new tree there, write a "
                f"{VERSIONS_JSON} holding an empty list ([]) at its top first (for S3: "
                f"echo '[]' | aws s3 cp - {self.url}/{VERSIONS_JSON})"
            )

    def _check_bucket(self) -> None:
        if not self.bucketed:
            return
        bucket = self.root.split("/", 1)[0]
        if self.fs.exists(bucket):
            return
        try:
            buckets = [PurePosixPath(name).name for name in self.fs.ls("", detail=False)]
        except OSError:
            buckets = []  # listing the buckets is a permission of its own: the check needs no list
        close = difflib.get_close_matches(bucket, buckets, n=1)
        guess = f" (did you mean {close[0]!r}?)" if close else ""
        raise StoreError(
            f"the bucket {bucket!r} of {self.url} does not exist{guess}: check the URL; the publisher "
            "never creates a bucket, create it first if it is a new one"
        )

    def _top_level(self) -> list[str]:
        self.fs.invalidate_cache(self.root)
        try:
            entries = self.fs.ls(self.root, detail=False)
        except FileNotFoundError:
            return []
        return sorted(PurePosixPath(entry).name for entry in entries if entry.rstrip("/") != self.root)

    def path(self, key: str) -> str:
        """Return the file system path of ``key``."""
        return f"{self.root}/{key}" if key else self.root

    def read(self, key: str) -> tuple[bytes | None, str | None]:
        """Return an object's bytes and the token a conditional write compares, or ``(None, None)``."""
        path = self.path(key)
        self.fs.invalidate_cache(path)
        try:
            # The ETag first: if the object changes between the two calls, the write that relies on
            # this token is refused, instead of overwriting a version this reader never saw.
            token = self.fs.info(path).get("ETag") if self.conditional else None
            return self.fs.cat_file(path), token
        except FileNotFoundError:
            return None, None

    def replace(self, key: str, data: bytes, token: str | None) -> bool:
        """Write ``data`` if the object is still the one read with ``token`` (absent when ``None``).

        :returns: ``False`` when another writer replaced it first.
        """
        if not self.conditional:
            self.fs.pipe_file(self.path(key), data)
            return True
        condition = {"IfMatch": token} if token else {"IfNoneMatch": "*"}
        try:
            self.fs.pipe_file(self.path(key), data, ContentType=_content_type(key), **condition)
        except OSError as error:
            if _precondition_failed(error):
                return False
            raise
        return True

    def upload(self, files: Mapping[str, bytes]) -> None:
        """Write objects in batches; a batch is written concurrently where the back end can."""
        keys = list(files)
        for start in range(0, len(keys), BATCH):
            batch = keys[start : start + BATCH]
            if not self.conditional:
                self.fs.pipe({self.path(key): files[key] for key in batch})
                continue
            # S3 serves what it was told the type was: group the batch by type, one call each.
            by_type: dict[str, dict[str, bytes]] = {}
            for key in batch:
                by_type.setdefault(_content_type(key), {})[self.path(key)] = files[key]
            for content_type, group in by_type.items():
                self.fs.pipe(group, ContentType=content_type)

    def keys(self, folder: str) -> set[str]:
        """Return the keys below ``folder`` (empty when it holds nothing)."""
        path = self.path(folder)
        self.fs.invalidate_cache(path)
        try:
            found = self.fs.find(path)
        except FileNotFoundError:
            return set()
        prefix = f"{self.root}/"
        return {item[len(prefix) :] for item in found if item.startswith(prefix)}

    def folders(self) -> set[str]:
        """Return the names of the folders at the root of the tree."""
        self.fs.invalidate_cache(self.root)
        try:
            entries = self.fs.ls(self.root, detail=True)
        except FileNotFoundError:
            return set()
        return {PurePosixPath(entry["name"]).name for entry in entries if entry.get("type") == "directory"}

    def delete(self, keys: Iterable[str]) -> int:
        """Delete objects, in batches; return how many."""
        paths = sorted(self.path(key) for key in keys)
        for start in range(0, len(paths), BATCH):
            self.fs.rm(paths[start : start + BATCH])
        return len(paths)


def read_site(site: Path) -> dict[str, bytes]:
    """Read every file of a built site, keyed by its path relative to the site, assets before pages.

    :raises StoreError: naming the first file that can't be read, before anything is written.
    """
    files: dict[str, bytes] = {}
    for path in sorted(site.rglob("*")):
        if path.is_dir():
            continue
        key = path.relative_to(site).as_posix()
        try:
            files[key] = path.read_bytes()
        except OSError as error:
            raise StoreError(
                f"cannot read {path} ({error.strerror or error}): nothing was uploaded; fix the build "
                "(a dangling link, a file removed while publishing) and publish again"
            ) from error
    return dict(sorted(files.items(), key=lambda item: (item[0].endswith(".html"), item[0])))


def publish_to_store(
    url: str,
    name: str,
    change: Change,
    site: Path | None,
    *,
    attempts: int,
    backoff: float,
    confirm: Callable[[], None] | None = None,
) -> StoreOutcome:
    """Upload ``site`` as version ``name`` (or none, to unpublish), then replace ``versions.json``.

    :param url: the tree's root URL.
    :param name: the normalised version name.
    :param change: computes the new versions from those in the store.
    :param site: the built version, or ``None`` when ``name`` is being taken down.
    :param attempts: conditional writes of ``versions.json`` to try before giving up.
    :param backoff: seconds of the first random pause after a lost race, doubled each time.
    :param confirm: called once the site has been read, before the first write; raises to stop.
    :raises StoreError: when a file can't be read, an upload fails, or every attempt lost its race;
        ``versions.json`` is then unchanged.
    """
    store = Store(url)
    store.check_tree(published=site is None)
    files = read_site(site) if site is not None else {}
    if confirm is not None:
        confirm()
    before = store.keys(name)
    uploaded = 0
    if files:
        listing, _ = store.read(VERSIONS_JSON)
        listed = listing is not None and name in Versions.loads(listing).names()
        try:
            store.upload({f"{name}/{key}": data for key, data in files.items()})
        except Exception as error:
            if not listed:  # no reader can have found it: take every file of it back
                store.delete(store.keys(name))
            raise StoreError(
                f"uploading {name} to {url} failed half-way: {error}. versions.json is unchanged"
                + ("; publish again to finish the republish" if listed else " and the upload was removed")
            ) from error
        uploaded = len(files)
    pages = {key for key in files if key.endswith(".html")}
    rewritten: set[str] = set()
    for attempt in range(1, attempts + 1):
        listing, token = store.read(VERSIONS_JSON)
        old = Versions.loads(listing) if listing is not None else Versions()
        present = (store.folders() | ({name} if files else set())) - set(ALIASES)
        versions = change(old).keeping(present)
        targets = versions.alias_targets()
        # An alias written in a lost attempt may point where the winner's versions.json does not.
        rewritten |= set(_moved_aliases(old, versions, name))
        stubs = {
            alias: _alias_pages(store, targets[alias], name, pages) for alias in rewritten if alias in targets
        }
        derived = {
            f"{alias}/{page}": _redirect(targets[alias], page)
            for alias, alias_pages in stubs.items()
            for page in alias_pages
        }
        derived.update({path: data for path, data in root_files(versions).items() if path != VERSIONS_JSON})
        store.upload(derived)
        uploaded += len(derived)
        if store.replace(VERSIONS_JSON, versions.dumps().encode(), token):
            deleted = _delete_stale(store, name, site is not None, before, files, stubs, versions)
            return StoreOutcome(versions, attempt, uploaded, deleted)
        if attempt < attempts:
            print(
                f"versions.json changed while publishing ({attempt} of {attempts}), retrying", file=sys.stderr
            )
            if backoff:
                # Random pauses keep two publishers that lost the same race from colliding again.
                time.sleep(random.uniform(0, backoff * 2 ** (attempt - 1)))
    raise StoreError(
        f"versions.json in {url} was replaced by someone else {attempts} times in a row; it does not list "
        f"{name}'s change. Publish again when the other releases are done"
    )


def read_previous_catalog(url: str, previous: Callable[[Versions], str | None]) -> tuple[str, bytes] | None:
    """Return the name and ``catalog.json`` of the version ``previous`` picks from the store's versions."""
    store = Store(url)
    store.check_tree(published=False)
    listing, _ = store.read(VERSIONS_JSON)
    if listing is None:
        return None
    name = previous(Versions.loads(listing))
    if name is None:
        return None
    data, _ = store.read(f"{name}/catalog.json")
    return (name, data) if data is not None else None


def _moved_aliases(old: Versions, new: Versions, name: str) -> list[str]:
    """Aliases whose redirect pages must be (re)written: new, moved, or pointing at the version published."""
    before, after = old.alias_targets(), new.alias_targets()
    return [alias for alias, target in after.items() if before.get(alias) != target or target == name]


def _alias_pages(store: Store, target: str, name: str, pages: set[str]) -> set[str]:
    """Return the pages of version ``target``, from the build just uploaded or from the store."""
    if target == name and pages:
        return pages
    prefix = f"{target}/"
    return {key[len(prefix) :] for key in store.keys(target) if key.endswith(".html")}


def _delete_stale(
    store: Store,
    name: str,
    published: bool,
    before: set[str],
    files: Mapping[str, Any],
    stubs: Mapping[str, set[str]],
    versions: Versions,
) -> int:
    stale = {key for key in before if key[len(name) + 1 :] not in files} if published else set(before)
    for alias, pages in stubs.items():
        stale |= {key for key in store.keys(alias) if key[len(alias) + 1 :] not in pages}
    for alias in ALIASES:
        if alias not in versions.alias_targets():
            stale |= store.keys(alias)
    stale -= set(ROOT_FILES)
    return store.delete(stale)


def _redirect(version: str, page: str) -> bytes:
    """Render an alias's page that sends the reader to the same page of the version, with its #anchor."""
    depth = page.count("/") + 1
    target = "../" * depth + f"{version}/{page}"
    escaped = html.escape(target)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Redirecting</title>\n'
        f'<meta http-equiv="refresh" content="0; url={escaped}">\n'
        f"<script>location.replace({json.dumps(target)} + location.search + location.hash)</script>\n"
        f'</head>\n<body>\n<p>Redirecting to <a href="{escaped}">{html.escape(version)}</a>.</p>\n</body>\n'
        "</html>\n"
    ).encode()


def _content_type(key: str) -> str:
    guessed, _ = mimetypes.guess_type(key)
    return guessed or "application/octet-stream"


def _precondition_failed(error: OSError) -> bool:
    """Whether S3 refused a write because its ``If-Match``/``If-None-Match`` condition failed."""
    cause = error.__cause__
    response = getattr(cause, "response", None)
    if isinstance(response, dict):
        return response.get("Error", {}).get("Code") in ("PreconditionFailed", "412")
    return isinstance(error, FileExistsError)
