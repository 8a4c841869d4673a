"""``airflow-catalog init DIR``: start a catalog project for a team's own providers.

It writes the Sphinx project that ``airflow-catalog build --source DIR`` builds with zero warnings
(``conf.py``, the index page, the catalog's landing pages, a conventions page whose labels the
catalog's links point at, and a favicon, without which every browser asks for a missing
``/favicon.ico``), a ``requirements.txt`` and a ``.gitignore``, and a GitHub workflow that builds on
pull requests and publishes every release to ``gh-pages`` as this project's own release workflow
does.

The templates are files of the package (``project_template/``), not string constants: each reads as
the page it becomes, the workflow can be linted as it stands, and a reviewer sees a Markdown or YAML
diff. Their placeholders are ``@@NAME@@`` words, replaced verbatim: ``string.Template``'s ``$`` would
collide with the workflow's ``${{ … }}`` and the shell's ``$VARIABLE``.

A file that exists is never written over, whatever its content: it may be the team's own edit.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from importlib import metadata
from importlib.metadata import version
from pathlib import Path

TEMPLATES = Path(__file__).parent / "project_template"
#: The group through which every Airflow provider registers itself (``airflow providers list``).
PROVIDER_ENTRY_POINTS = "apache_airflow_provider"
#: Each file of the project, relative to the project's folder, and its template.
PAGES: dict[str, str] = {
    "conf.py": "conf.py.tmpl",
    "index.md": "index.md",
    "catalog/index.md": "catalog/index.md",
    "catalog/conformance.md": "catalog/conformance.md",
    "catalog/changes.md": "catalog/changes.md",
    "docs/conventions.md": "docs/conventions.md",
    "_static/favicon.svg": "_static/favicon.svg",
    "requirements.txt": "requirements.txt.tmpl",
    ".gitignore": "gitignore",
}
WORKFLOW = Path(".github/workflows/docs.yml")
WORKFLOW_TEMPLATE = "github/workflows/docs.yml"

#: The ``suppress_warnings`` of ``conf.py``, without and with ``--package``. Every installed provider
#: includes optional parts whose dependencies nobody installs (``common.sql``'s DataFusion engine,
#: ``common.compat``'s OpenLineage helpers): their classes are still catalogued from the source, and
#: one warning each would fail the ``-W`` build of a project nobody has edited yet. Packages named
#: with ``--package`` were chosen, so a module of theirs that fails to import is worth the warning.
SUPPRESS_IMPORT_WARNINGS = {
    False: (
        "# A module that fails to import is one warning; to accept them (its classes' pages say so), or\n"
        "# leave such modules out with catalog_exclude:\n"
        '# suppress_warnings = ["catalog.import"]'
    ),
    True: (
        "# Optional parts of the installed providers whose dependencies are not installed are\n"
        "# catalogued from their source; their classes' pages say so. Delete this line to see each as a\n"
        "# warning (`airflow-catalog check PACKAGE` lists them too), then install what they need or\n"
        "# leave them out with catalog_exclude.\n"
        'suppress_warnings = ["catalog.import"]'
    ),
}

_IMPORT_NAME = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


def installed_providers() -> dict[str, str]:
    """Find every installed Airflow provider through its ``apache_airflow_provider`` entry point.

    A provider's entry point names its ``get_provider_info`` module, which lives at the top of the
    provider's package (``airflow.providers.http.get_provider_info``): that module's package is
    the import name to catalogue. Nothing is imported.

    :returns: each provider's import name and the distribution that installs it, sorted by name.
    """
    found: dict[str, str] = {}
    for entry_point in metadata.entry_points(group=PROVIDER_ENTRY_POINTS):
        package = entry_point.module.rpartition(".")[0]
        if package and entry_point.dist is not None:
            found[package] = entry_point.dist.name
    return dict(sorted(found.items()))


def distribution_of(package: str, providers: Mapping[str, str]) -> str | None:
    """Name the distribution that installs ``package``, when one clearly does.

    :param package: an import name, e.g. ``airflow.providers.http`` or ``my_team.operators``.
    :param providers: :func:`installed_providers`.
    :returns: the provider's distribution when ``package`` is a provider or inside one, else the only
        distribution holding its top-level package; ``None`` when none or several do (``airflow``).
    """
    for provider, distribution in providers.items():
        if package == provider or package.startswith(provider + "."):
            return distribution
    holders = metadata.packages_distributions().get(package.partition(".")[0], [])
    return holders[0] if len(set(holders)) == 1 else None


def repository_root(folder: Path) -> Path | None:
    """Return the git work tree holding ``folder`` (GitHub reads workflows only at its root), if any."""
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def project_paths(folder: Path) -> list[Path]:
    """Every file :func:`init_project` writes for ``folder``, in the order it writes them."""
    root = repository_root(folder.resolve())
    workflow = (root if root is not None else folder) / WORKFLOW
    return [folder / name for name in PAGES] + [workflow]


def project_files(folder: Path, packages: Sequence[str]) -> dict[Path, str]:
    """Render the project for ``folder``: each file's path and its text.

    :param folder: the project's folder (the Sphinx source folder).
    :param packages: import names to catalogue; none: every installed provider.
    :returns: every file of :func:`project_paths`, with its content.
    :raises ValueError: when a name is not an import name, or no package is given and no provider is
        installed.
    """
    providers = installed_providers()
    for name in packages:
        if not _IMPORT_NAME.match(name):
            raise ValueError(
                f"{name!r} is not an import name (dotted identifiers, e.g. airflow.providers.http)"
            )
    chosen = list(dict.fromkeys(packages)) or list(providers)
    if not chosen:
        raise ValueError("no Airflow provider is installed: install one, or name packages with --package")
    origin = "given to `airflow-catalog init --package`" if packages else "every provider installed at `init`"
    root = repository_root(folder.resolve())
    source = os.path.relpath(folder.resolve(), root) if root is not None else "."
    requirements = "requirements.txt" if source == "." else f"{source}/requirements.txt"
    distributions = []
    for name in chosen:
        distribution = distribution_of(name, providers)
        distributions.append(distribution or f"# the distribution that installs {name}")
    values = {
        "SUPPRESS": SUPPRESS_IMPORT_WARNINGS[not packages],
        "PROJECT": (folder.resolve().name or "Operator catalog"),
        "PACKAGES": _python_list(chosen),
        "PACKAGES_ORIGIN": origin,
        "PACKAGE_NAMES": ", ".join(f"`{name}`" for name in chosen),
        "SOURCE": source,
        "REQUIREMENTS": requirements,
        # The installed distribution's version, read without importing the package root (and Sphinx).
        "VERSION": version("airflow-catalog"),
        "DISTRIBUTIONS": "\n".join(dict.fromkeys(distributions)),
    }
    templates = [*PAGES.values(), WORKFLOW_TEMPLATE]
    return {
        path: _render((TEMPLATES / template).read_text(encoding="utf-8"), values)
        for path, template in zip(project_paths(folder), templates, strict=True)
    }


def init_project(folder: Path, packages: Sequence[str]) -> list[Path]:
    """Write the catalog project into ``folder``, leaving every file that exists as it is.

    :param folder: the project's folder; created when missing.
    :param packages: import names to catalogue; none: every installed provider
        (:func:`installed_providers`).
    :returns: the files written; those of :func:`project_paths` missing from it existed already.
    :raises ValueError: as :func:`project_files` does.
    """
    written = []
    for path, text in project_files(folder, packages).items():
        if _create(path, text):
            written.append(path)
    return written


def _create(path: Path, text: str) -> bool:
    """Create ``path`` with ``text`` unless something is there; return whether it was written.

    The text goes to a temporary file first, which is then hard-linked to ``path``: the link fails
    when ``path`` exists, even one created a moment ago by someone else, so nothing is ever written
    over, and a reader never sees half a file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() or path.is_symlink():
        return False
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes files private; these are the team's source files.
        mask = os.umask(0)
        os.umask(mask)
        os.fchmod(handle, 0o666 & ~mask)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.link(temporary, path)
    except FileExistsError:
        return False
    finally:
        Path(temporary).unlink(missing_ok=True)
    return True


def _python_list(names: Sequence[str]) -> str:
    """Write ``names`` as a Python list literal, one name a line."""
    return "[\n" + "".join(f"    {json.dumps(name)},\n" for name in names) + "]"


def _render(template: str, values: Mapping[str, str]) -> str:
    """Replace each ``@@NAME@@`` of ``template``; a placeholder left over is a bug in the templates."""
    for name, value in values.items():
        template = template.replace(f"@@{name}@@", value)
    left = re.findall(r"@@[A-Z_]+@@", template)
    if left:
        raise RuntimeError(f"project template placeholders without a value: {sorted(set(left))}")
    return template
