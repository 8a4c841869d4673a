"""Where a class comes from: its source at the right line, its package's install line and Airflow range.

Everything is read from the installed distribution's metadata (``importlib.metadata``) and parsed with
``packaging``: the ``Project-URL`` that names the source, the ``Requires-Dist`` on ``apache-airflow``.
For our own package the source link points into the repository at the release's tag, through the
``catalog_source_url`` template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, distribution

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from airflow_catalog.model.catalog import CatalogEntry, PackageInfo
from airflow_catalog.pages.rst import rst_escape

#: ``Project-URL`` labels that name the source code, normalised as PEP 753 says (lower case, no
#: punctuation or spaces); the first one a distribution declares wins.
SOURCE_LABELS = ("sourcecode", "source", "repository", "code", "github")
AIRFLOW = "apache-airflow"
_PLACEHOLDERS = frozenset({"ref", "path", "line"})


class ProvenanceError(ValueError):
    """A ``catalog_source_url`` template that cannot make a link, with the fix."""


@dataclass(frozen=True)
class SourceSettings:
    """How our own packages' sources are linked.

    :param url: a template with ``{ref}``, ``{path}`` and ``{line}``, e.g.
        ``https://github.com/org/repo/blob/{ref}/src/{path}#L{line}``; empty to link the project's
        source URL from the package metadata instead.
    :param ref: the tag or commit the built version comes from.
    """

    url: str = ""
    ref: str = "main"

    def check(self) -> None:
        """Refuse a template with unknown or malformed placeholders.

        :raises ProvenanceError: naming the placeholder and the ones allowed.
        """
        if not self.url:
            return
        try:
            names = {name for name in re.findall(r"{([^{}]*)}", self.url)}
            self.url.format(ref="r", path="p", line=1)
        except (KeyError, IndexError, ValueError) as error:
            raise ProvenanceError(
                f"catalog_source_url {self.url!r} cannot be filled in ({error!r}): use only {{ref}}, "
                "{path} and {line}, e.g. 'https://github.com/org/repo/blob/{ref}/src/{path}#L{line}'"
            ) from error
        unknown = names - _PLACEHOLDERS
        if unknown:
            raise ProvenanceError(
                f"catalog_source_url names {', '.join(sorted(unknown))}: "
                "use only {ref}, {path} and {line}"
            )


@dataclass(frozen=True)
class PackageProvenance:
    """What a package page says about where the package comes from.

    :param install: the pip command that installs this very version.
    :param airflow: the Airflow versions it supports as a specifier (``>=2.11.0``), empty when it
        does not say; ``None`` when the distribution is not installed.
    :param source_url: the project's source URL, when its metadata names one.
    """

    install: str
    airflow: str | None
    source_url: str | None


@cache
def _metadata(distribution_name: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """Return the ``Project-URL`` and ``Requires-Dist`` lines of an installed distribution."""
    try:
        found = distribution(distribution_name)
    except PackageNotFoundError:
        return None
    urls = tuple(found.metadata.get_all("Project-URL") or ())
    return urls, tuple(found.requires or ())


def project_source_url(distribution_name: str) -> str | None:
    """Return the source URL a distribution's metadata names (``Project-URL: Source Code, …``)."""
    metadata = _metadata(distribution_name)
    if metadata is None:
        return None
    by_label: dict[str, str] = {}
    for line in metadata[0]:
        label, _, url = line.partition(",")
        by_label.setdefault(re.sub(r"[^a-z0-9]", "", label.lower()), url.strip())
    return next((by_label[label] for label in SOURCE_LABELS if by_label.get(label)), None)


def airflow_specifier(distribution_name: str) -> str | None:
    """Return the Airflow versions a distribution requires (``>=2.11.0``), ``""`` for any.

    Requirements that apply only with an extra (``apache-airflow[…]; extra == "x"``) are left out:
    a plain ``pip install`` does not bring them in.

    :returns: ``None`` when the distribution is not installed.
    """
    metadata = _metadata(distribution_name)
    if metadata is None:
        return None
    specifiers = []
    for line in metadata[1]:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if canonicalize_name(requirement.name) != AIRFLOW:
            continue
        if requirement.marker is not None and "extra" in str(requirement.marker):
            continue
        specifiers.append(str(requirement.specifier))
    return ",".join(s for s in specifiers if s)


def package_provenance(package: PackageInfo) -> PackageProvenance:
    """Return the install line, the Airflow range and the source URL of a catalogued package."""
    return PackageProvenance(
        install=f'pip install "{package.distribution}=={package.version}"',
        airflow=airflow_specifier(package.distribution),
        source_url=project_source_url(package.distribution),
    )


def source_link(entry: CatalogEntry, package: PackageInfo | None, settings: SourceSettings) -> str | None:
    """Return the URL of a class's source.

    Our own package: ``settings.url`` filled with the release's ref and the class's file and line.
    An upstream package, or ours without a template: the project's source URL from its metadata
    (the repository, not the file: its layout is the project's own). ``None`` when nothing is known.
    """
    if package is None:
        return None
    if package.is_own and settings.url and entry.source is not None and entry.source.path:
        return settings.url.format(ref=settings.ref, path=entry.source.path, line=entry.source.line or 1)
    return project_source_url(package.distribution)


def source_section(entry: CatalogEntry, package: PackageInfo | None, settings: SourceSettings) -> str:
    """Return the reStructuredText of a class page's "Source" section."""
    url = source_link(entry, package, settings)
    where = ""
    if entry.source is not None and entry.source.path:
        where = f"``{entry.source.path}``" + (f", line {entry.source.line}" if entry.source.line else "")
    lines = [
        ".. rubric:: Source",
        "   :class: catalog-section catalog-source",
        "",
    ]
    if url and package is not None and package.is_own and settings.url:
        lines.append(
            f"Defined in {where or 'its module'}: `view the source at {rst_escape(settings.ref)} <{url}>`__."
        )
    elif url:
        lines.append(f"Defined in {where or 'its module'} of `the project's source <{url}>`__.")
    elif where:
        lines.append(f"Defined in {where}; its package's metadata names no source repository.")
    else:
        return ""
    return "\n".join(lines) + "\n\n"


def package_section(package: PackageInfo) -> str:
    """Return the reStructuredText of a package page's install line and supported Airflow versions."""
    provenance = package_provenance(package)
    lines = [".. rubric:: Install\n   :class: catalog-section catalog-install\n"]
    if provenance.airflow is None:
        lines.append(
            f"The distribution ``{package.distribution}`` was not installed where this site was built: "
            "its install line and the Airflow versions it supports are unknown.\n"
        )
        return "\n".join(lines) + "\n"
    lines += [".. code-block:: shell\n", f"   {provenance.install}\n"]
    if provenance.airflow:
        lines.append(f"Supports Airflow ``{provenance.airflow}`` (its ``Requires-Dist`` on ``{AIRFLOW}``).\n")
    else:
        lines.append(f"Names no Airflow version: it does not require ``{AIRFLOW}`` itself.\n")
    if provenance.source_url:
        lines.append(f"Source: `{rst_escape(provenance.source_url)} <{provenance.source_url}>`__\n")
    return "\n".join(lines) + "\n"
