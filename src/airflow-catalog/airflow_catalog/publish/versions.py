"""The published tree's model: version names, ``versions.json``, the aliases and the root pages.

Pure functions of their inputs: nothing here reads the disk or runs git. :mod:`airflow_catalog.publish.merge`
feeds it what it read from the tree and writes back what it returns.

``versions.json`` is a list, newest first, in the shape `mike <https://github.com/jimporter/mike>`_
made common (``version``, ``title``, ``aliases``), plus ``prerelease`` and ``date``::

    [{"version": "dev", "title": "dev", "prerelease": true, "date": "...", "aliases": []},
     {"version": "2.0.0rc1", "title": "2.0.0rc1", "prerelease": true, "date": "...", "aliases": ["latest"]},
     {"version": "1.2.0", "title": "1.2.0", "prerelease": false, "date": "...", "aliases": ["stable"]}]

An alias lives inside its version's entry, so it can never name a version that is not there.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from packaging.version import InvalidVersion, Version

#: The version name of the main branch's build.
DEV = "dev"
#: ``stable`` is the newest final release; ``latest`` the newest release, pre-releases included.
STABLE = "stable"
LATEST = "latest"
ALIASES = (STABLE, LATEST)
VERSIONS_JSON = "versions.json"
#: Files the publisher owns at the root of the tree; no version may take their names.
ROOT_FILES = (VERSIONS_JSON, "index.html", "404.html", ".nojekyll")

_FORBIDDEN = re.compile(r"[\x00-\x20\x7f/\\]")
#: The longest version name that is published. Every target stores the name as a path segment: a
#: file system allows 255 bytes per name (ext4, APFS; NTFS 255 UTF-16 units) and the folder swap
#: adds 40 characters (``.trash-<name>-<32 hex digits>``); Windows checks a ``gh-pages`` clone out
#: within 260 characters for the whole path, and S3 allows 1024 bytes per key, of which the pages
#: below the version (``catalog/_generated/<import path>.html``) need most. 100 leaves room for
#: both, and is over three times the longest real release name (``2.10.0rc1.post12.dev345``: 23).
MAX_LENGTH = 100
#: What a normalised public PEP 440 version is made of (digits, ``.``, ``a``/``b``/``rc``/``post``/
#: ``dev``, ``!`` of an epoch): characters a file name, a git tree, an S3 key and a URL path keep
#: as they are, lower case so that case-insensitive file systems cannot merge two versions.
_STORABLE = re.compile(r"[0-9][0-9a-z.!]*|dev")
_GOOD = "pass a PEP 440 version such as 1.2.0, or `dev`"


class VersionError(ValueError):
    """A version name that cannot be published, with the reason and an example of a good one."""


def normalise_version(name: str) -> str:
    r"""Check a version name about to be published and return the folder name it is published under.

    PEP 440 versions are normalised (``v1.2.0`` → ``1.2.0``, ``2.0.0-RC1`` → ``2.0.0rc1``) so that two
    spellings of one version share one folder. On top of :func:`read_version_name`, the name must be
    one every target can store: at most :data:`MAX_LENGTH` characters, of ``[0-9a-z.!]`` only.

    :param name: a PEP 440 version or ``dev``.
    :raises VersionError: when it is empty, too long, holds ``/``, ``\``, ``..``, white space or
        control characters, is ``.`` or ``..``, a local version (``+abc``), names an alias or a root
        file, or is not PEP 440.
    :returns: ``dev`` or the normalised version.
    """
    if len(name) > MAX_LENGTH:
        raise _too_long(name)
    folder = read_version_name(name)
    if len(folder) > MAX_LENGTH:
        raise _too_long(folder)
    if not _STORABLE.fullmatch(folder):
        raise VersionError(
            f"version {name!r} is published as {folder!r}, which holds characters a file system, git, "
            f"S3 or a URL would change: {_GOOD}"
        )
    return folder


def read_version_name(name: str) -> str:
    r"""Check a version name read from a published tree (or given to unpublish) and normalise it.

    Unlike :func:`normalise_version` it accepts names longer than :data:`MAX_LENGTH`, so that a
    version published before that limit existed can still be read and taken down; what could escape
    or break its folder is refused all the same.

    :param name: a PEP 440 version or ``dev``.
    :raises VersionError: as :func:`normalise_version`, but for the length.
    :returns: ``dev`` or the normalised version.
    """
    if not name:
        raise VersionError(f"the version is empty: {_GOOD}")
    if _FORBIDDEN.search(name) or ".." in name or name == ".":
        raise VersionError(
            f"version {name!r} holds a slash, '..', white space or a control character, or is '.', which "
            f"would escape or break its folder: {_GOOD}"
        )
    if name == DEV:
        return DEV
    if name in ALIASES:
        raise VersionError(
            f"{name!r} is an alias, not a version: it follows the versions on its own (stable is the "
            "newest final release, latest the newest release). To take a version down, unpublish it by "
            "its number (versions.json lists them)"
        )
    if name in ROOT_FILES:
        raise VersionError(f"{name!r} is a file the publisher writes at the root, not a version: {_GOOD}")
    try:
        version = Version(name)
    except InvalidVersion:
        raise VersionError(
            f"version {name!r} is not a PEP 440 version: use e.g. 1.2.0, 2.0.0rc1 or 1.2.0.post1, or `dev` "
            "for the main branch"
        ) from None
    if version.local:
        raise VersionError(f"version {name!r} is a local version (+{version.local}): use {version.public}")
    return str(version)


def _too_long(name: str) -> VersionError:
    return VersionError(
        f"version {name[:40]!r}… is {len(name)} characters long; a published version may have at most "
        f"{MAX_LENGTH} (it names a folder in every target, and longer names break checkouts of the "
        f"published branch): {_GOOD}"
    )


@dataclass(frozen=True)
class PublishedVersion:
    """One version in the tree.

    :param version: the folder name, as :func:`normalise_version` returns it.
    :param title: what the switcher shows.
    :param prerelease: ``True`` for ``dev`` and PEP 440 pre- and development releases.
    :param date: when it was published, ISO 8601 in UTC.
    :param aliases: the aliases (``stable``, ``latest``) that point at it.
    """

    version: str
    title: str
    prerelease: bool
    date: str
    aliases: tuple[str, ...] = ()

    @classmethod
    def new(cls, version: str, date: str, title: str | None = None) -> PublishedVersion:
        """Describe a version about to be published; its aliases are computed by :class:`Versions`."""
        name = normalise_version(version)
        prerelease = name == DEV or Version(name).is_prerelease
        return cls(version=name, title=title or name, prerelease=prerelease, date=date)

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form of the entry."""
        return {
            "version": self.version,
            "title": self.title,
            "prerelease": self.prerelease,
            "date": self.date,
            "aliases": list(self.aliases),
        }


@dataclass(frozen=True)
class Versions:
    """Every version in the tree, newest first, with the aliases computed from them."""

    entries: tuple[PublishedVersion, ...] = field(default=())

    @classmethod
    def loads(cls, text: str | bytes) -> Versions:
        """Read ``versions.json``.

        :raises VersionError: when it is not the list this module writes.
        """
        try:
            data = json.loads(text)
            if not isinstance(data, list):
                raise TypeError(f"a list was expected, not {type(data).__name__}")
            entries = [
                PublishedVersion(
                    # Leniently: a version published before the length limit must stay readable.
                    version=read_version_name(item["version"]),
                    title=str(item.get("title") or item["version"]),
                    prerelease=bool(item.get("prerelease", False)),
                    date=str(item.get("date", "")),
                )
                for item in data
            ]
        except (ValueError, TypeError, KeyError) as error:
            raise VersionError(
                f"{VERSIONS_JSON} is not a list of versions ({error}): fix or delete it in the published tree"
            ) from error
        return cls.of(entries)

    def dumps(self) -> str:
        """Write ``versions.json``."""
        return json.dumps([entry.to_json() for entry in self.entries], indent=1) + "\n"

    @classmethod
    def of(cls, entries: Iterable[PublishedVersion]) -> Versions:
        """Order the entries and compute the aliases; the last entry of a name wins."""
        by_name = {entry.version: replace(entry, aliases=()) for entry in entries}
        releases = sorted((name for name in by_name if name != DEV), key=Version, reverse=True)
        names = [DEV, *releases] if DEV in by_name else releases
        finals = [name for name in releases if not by_name[name].prerelease]
        aliases: dict[str, list[str]] = {}
        if finals:
            aliases.setdefault(finals[0], []).append(STABLE)
        if releases:
            aliases.setdefault(releases[0], []).append(LATEST)
        return cls(tuple(replace(by_name[name], aliases=tuple(aliases.get(name, ()))) for name in names))

    def with_version(self, entry: PublishedVersion) -> Versions:
        """Add a version, or replace the one of the same name."""
        return Versions.of([*self.entries, entry])

    def without(self, version: str) -> Versions:
        """Remove a version.

        :raises VersionError: when it is not published.
        """
        name = read_version_name(version)
        if name not in self.names():
            published = ", ".join(self.names()) or "none"
            raise VersionError(f"version {name} is not published (published: {published})")
        return Versions.of(entry for entry in self.entries if entry.version != name)

    def keeping(self, folders: Iterable[str]) -> Versions:
        """Drop the entries whose folder is missing from the tree, so no alias can point at nothing."""
        present = set(folders)
        return Versions.of(entry for entry in self.entries if entry.version in present)

    def names(self) -> list[str]:
        """Return the version names, newest first."""
        return [entry.version for entry in self.entries]

    def alias_targets(self) -> dict[str, str]:
        """Map each alias to the version it points at."""
        return {alias: entry.version for entry in self.entries for alias in entry.aliases}

    def home(self) -> str | None:
        """Return the folder the root redirects to: ``stable``, else ``latest``, else ``dev``, or ``None``."""
        targets = self.alias_targets()
        for alias in ALIASES:
            if alias in targets:
                return alias
        return DEV if DEV in self.names() else None

    def previous(self, version: str) -> str | None:
        """Return the newest published release older than ``version`` (for ``dev``: the newest release).

        This is the version whose ``catalog.json`` the "what changed" page compares against.
        """
        name = read_version_name(version)
        releases = [entry.version for entry in self.entries if entry.version != DEV]
        if name == DEV:
            return releases[0] if releases else None
        older = [other for other in releases if Version(other) < Version(name)]
        return older[0] if older else None


def root_files(versions: Versions) -> dict[str, bytes]:
    """Render the files the publisher owns at the root of the tree, ``versions.json`` included."""
    return {
        ".nojekyll": b"",
        "index.html": render_root_index(versions.home()).encode(),
        "404.html": render_not_found(versions).encode(),
        VERSIONS_JSON: versions.dumps().encode(),
    }


def render_root_index(home: str | None) -> str:
    """Render the root ``index.html``, a redirect to the home folder that keeps the ``#hash``."""
    if home is None:
        return _page("Documentation", "<p>No version is published yet.</p>")
    target = html.escape(f"{home}/")
    head = (
        f'<meta http-equiv="refresh" content="0; url={target}">\n'
        f'<link rel="canonical" href="{target}">\n'
        f"<script>location.replace({json.dumps(home + '/')} + location.hash)</script>"
    )
    return _page("Redirecting", f'<p>Redirecting to <a href="{target}">{target}</a>.</p>', head)


def render_not_found(versions: Versions) -> str:
    """Render a self-contained ``404.html``: inline style and script, no relative links, works at any depth.

    GitHub Pages serves it for every missing path, so it cannot load assets relative to itself; it
    finds the first path segment that names a version or an alias and offers that version's index.
    """
    known = versions.names() + list(versions.alias_targets())
    script = (
        "(function () {\n"
        f"  var known = {json.dumps(known)}, home = {json.dumps(versions.home() or '')};\n"
        '  var parts = location.pathname.split("/");\n'
        "  var at = parts.findIndex(function (p) { return known.indexOf(p) >= 0; });\n"
        "  var base, version;\n"
        "  if (at >= 0) { base = parts.slice(0, at).join('/') + '/'; version = parts[at]; }\n"
        "  else {\n"
        "    // A project site on GitHub Pages lives under /<repository>/.\n"
        '    base = location.hostname.endsWith(".github.io") && parts.length > 2\n'
        '      ? "/" + parts[1] + "/" : "/";\n'
        "    version = home;\n"
        "  }\n"
        '  var link = document.getElementById("home");\n'
        "  link.href = base + (version ? version + '/' : '');\n"
        "  link.textContent = version ? 'the ' + version + ' documentation' : 'the documentation';\n"
        "})();"
    )
    body = (
        "<h1>Page not found</h1>\n"
        "<p>This page does not exist in this version. "
        'Go to <a id="home" href="/">the documentation</a>.</p>\n'
        f"<script>{script}</script>"
    )
    return _page("Page not found", body)


def _page(title: str, body: str, head: str = "") -> str:
    style = (
        "body{font-family:system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em;color:#404040}"
        "a{color:#2980b9}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{style}</style>\n{head}\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )
