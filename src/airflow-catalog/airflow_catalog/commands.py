"""Every verb of the command line, each a plain function of the parsed arguments returning an exit status.

:mod:`airflow_catalog.cli` only parses; the work is here or in the stage a verb calls (mike's layering).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import sys
from pathlib import Path

from airflow_catalog.files import write_atomically
from airflow_catalog.reports import print_github, print_json, print_text, report_problems


def build_site(source: Path, output: Path, jobs: str = "auto", quiet: bool = False) -> int:
    """Build the site with warnings as errors, index it for search, and print where its index page is.

    :param source: the Sphinx source folder (holds ``conf.py``).
    :param output: where the HTML goes; the doctrees go beside it.
    :param jobs: parallel processes, or ``auto``.
    :param quiet: print only warnings and errors.
    :returns: the exit status.
    """
    from sphinx.cmd.build import build_main

    from airflow_catalog.site.pagefind import index_after_build

    doctrees = output.parent / "doctrees"
    options = ["-b", "html", "-W", "--keep-going", "-j", str(jobs), "-d", str(doctrees)]
    if quiet:
        options.append("-q")
    status = build_main([*options, str(source), str(output)])
    if status == 0:
        status = index_after_build(output)
    if status == 0:
        print(f"Site built: {(output / 'index.html').resolve().as_uri()}", flush=True)
    return status


def build(args: argparse.Namespace) -> int:
    """Build the site (see :func:`build_site`)."""
    return build_site(Path(args.source), Path(args.output), args.jobs, args.quiet)


def serve(args: argparse.Namespace) -> int:
    """Serve the built site on 127.0.0.1 until interrupted; ``--watch`` builds it and rebuilds on change."""
    site = Path(args.site)
    if args.watch:
        from airflow_catalog.site.watch import serve_and_rebuild
        from airflow_catalog.sphinxext.warm import catalogued_packages, warm_up

        source = Path(args.source)
        rebuild = functools.partial(build_site, source, site, args.jobs, quiet=True)
        return serve_and_rebuild(source, site, args.port, rebuild, warm_up, catalogued_packages)
    if not (site / "index.html").exists():
        raise SystemExit(f"error: no built site in {site}: run `make docs` first")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    with http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler) as server:
        print(f"Serving {site} at http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    return 0


def catalog_json(args: argparse.Namespace) -> int:
    """Write the catalog of the given packages to ``--output`` as ``catalog.json``.

    The file is written to a temporary name and renamed over the output, so a reader never sees half
    a file and a failed run leaves the old file as it was. With ``--strict`` a module that fails to
    import fails the command, and nothing is written.

    :returns: 0 on success, 1 when ``--strict`` and a module failed to import.
    :raises ValueError: when the output is a folder.
    """
    from airflow_catalog.collect.catalog import collect_catalog

    output = Path(args.output)
    if output.is_dir():
        raise ValueError(f"{output} is a folder: give the file to write, e.g. {output / 'catalog.json'}")
    catalog = collect_catalog(args.packages, args.exclude)
    report_problems(catalog.import_problems, args.strict, sys.stderr)
    if args.strict and catalog.import_problems:
        print(
            f"error: {len(catalog.import_problems)} module(s) failed to import; {output} not written",
            file=sys.stderr,
        )
        return 1
    write_atomically(output, catalog.dumps())
    print(f"Wrote {len(catalog.entries)} classes from {len(catalog.packages)} package(s) to {output}")
    return 0


def check(args: argparse.Namespace) -> int:
    """Print the conventions findings of the given packages, as text, JSON or GitHub workflow commands.

    :returns: 1 when any finding is an error, or with ``--strict`` when a module failed to import.
    """
    from airflow_catalog.collect.catalog import collect_catalog
    from airflow_catalog.model.catalog import Severity

    catalog = collect_catalog(args.packages, args.exclude)
    if args.format == "json":
        print_json(catalog, sys.stdout)
    elif args.format == "github":
        print_github(catalog, args.strict, sys.stdout)
    else:
        report_problems(catalog.import_problems, args.strict, sys.stderr)
        print_text(catalog, sys.stdout)
    failed = any(f.severity is Severity.ERROR for f in catalog.findings) or (
        args.strict and catalog.import_problems
    )
    return 1 if failed else 0


def diff(args: argparse.Namespace) -> int:
    """Print what changed between two ``catalog.json`` files."""
    from airflow_catalog.changes.diff import print_changes

    return print_changes(Path(args.old), Path(args.new), output_format=args.format)


def publish(args: argparse.Namespace) -> int:
    """Merge one built version of the site into the published tree."""
    from airflow_catalog.publish.merge import publish_site

    return publish_site(
        site=Path(args.site), version=args.version, target=args.target, branch=args.branch, title=args.title
    )


def unpublish(args: argparse.Namespace) -> int:
    """Remove one version from the published tree."""
    from airflow_catalog.publish.merge import unpublish_version

    return unpublish_version(version=args.version, target=args.target, branch=args.branch)


def previous(args: argparse.Namespace) -> int:
    """Write the ``catalog.json`` of the version published before ``--version`` and print its name.

    The release workflow runs this before building, so that the page of changes can compare with the
    version published before this one. It prints nothing when there is none.
    """
    from airflow_catalog.publish.merge import previous_catalog

    found = previous_catalog(args.target, args.version, Path(args.output), branch=args.branch)
    print(found or "")
    return 0


def init(args: argparse.Namespace) -> int:
    """Write a catalog project into ``DIR``, naming each file written and each one left as it was.

    :returns: 0 when every file was written, 1 when any existed and was left untouched, 2 when a
        ``--package`` is not an import name or, without one, no provider is installed (nothing written).
    """
    from airflow_catalog.init_project import init_project, project_paths

    folder = Path(args.folder)
    try:
        written = init_project(folder, args.packages)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    skipped = [path for path in project_paths(folder) if path not in written]
    for path in written:
        print(f"wrote {path}")
    for path in skipped:
        print(f"skipped {path}: it exists, left untouched", file=sys.stderr)
    print(f"Next: airflow-catalog build --source {args.folder}")
    return 1 if skipped else 0
