"""The command line: ``python -m airflow_catalog build|serve|json|check|diff|publish|unpublish``.

This module only parses arguments; each verb is a plain function in the module that does the work.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from pathlib import Path

DEFAULT_SITE = Path("_build/html")


def build_site(source: Path, output: Path, jobs: str = "auto", quiet: bool = False) -> int:
    """Build the site with warnings as errors, index it for search, and print where its index page is.

    :param source: the Sphinx source folder (holds ``conf.py``).
    :param output: where the HTML goes; the doctrees go beside it.
    :param jobs: parallel processes, or ``auto``.
    :param quiet: print only warnings and errors.
    :returns: the exit status.
    """
    from sphinx.cmd.build import build_main

    doctrees = output.parent / "doctrees"
    options = ["-b", "html", "-W", "--keep-going", "-j", str(jobs), "-d", str(doctrees)]
    if quiet:
        options.append("-q")
    status = build_main([*options, str(source), str(output)])
    if status == 0:
        from airflow_catalog.site.pagefind import index_after_build

        status = index_after_build(output)
    if status == 0:
        print(f"Site built: {(output / 'index.html').resolve().as_uri()}", flush=True)
    return status


def build(args: argparse.Namespace) -> int:
    """Build the site (see :func:`build_site`)."""
    return build_site(Path(args.source), Path(args.output), args.jobs, args.quiet)


def serve(args: argparse.Namespace) -> int:
    """Serve the built site on 127.0.0.1 until interrupted; ``--watch`` builds it and rebuilds on change."""
    import functools
    import http.server

    site = Path(args.site)
    if args.watch:
        from airflow_catalog.site.watch import serve_and_rebuild

        source = Path(args.source)
        return serve_and_rebuild(
            source, site, args.port, functools.partial(build_site, source, site, args.jobs, quiet=True)
        )
    if not (site / "index.html").exists():
        raise SystemExit(f"error: no built site in {site}: run `make docs` first")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    with http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler) as server:
        print(f"Serving {site} at http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    return 0


def catalog_json(args: argparse.Namespace) -> int:
    """Write the catalog model of the given packages as JSON."""
    from airflow_catalog.commands import write_json

    return write_json(args.packages, Path(args.output), exclude=args.exclude, strict=args.strict)


def check(args: argparse.Namespace) -> int:
    """Print the conventions findings of the given packages; 1 when any is an error."""
    from airflow_catalog.commands import check_conventions

    return check_conventions(
        args.packages, output_format=args.format, exclude=args.exclude, strict=args.strict
    )


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


def make_parser() -> argparse.ArgumentParser:
    """Describe every verb and its arguments."""
    parser = argparse.ArgumentParser(prog="python -m airflow_catalog", description=__doc__)
    parser.add_argument("--debug", action="store_true", help="show tracebacks instead of one-line errors")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = verbs.add_parser("build", help="build the site (the same as `make docs`)")
    p.add_argument("--source", default=".", help="the Sphinx source folder (holds conf.py)")
    p.add_argument("--output", default=str(DEFAULT_SITE), help="where the HTML goes")
    p.add_argument("--jobs", "-j", default="auto", help="parallel processes, or `auto`")
    p.add_argument("--quiet", "-q", action="store_true")
    p.set_defaults(run=build)

    p = verbs.add_parser("serve", help="serve the built site on 127.0.0.1")
    p.add_argument("--site", default=str(DEFAULT_SITE))
    p.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    p.add_argument("--watch", action="store_true", help="build first, then rebuild on every change")
    p.add_argument("--source", default=".", help="with --watch: the Sphinx source folder (holds conf.py)")
    p.add_argument("--jobs", "-j", default="auto", help="with --watch: parallel processes, or `auto`")
    p.set_defaults(run=serve)

    for name, run, help_text in (
        ("json", catalog_json, "write the catalog model of PACKAGE... as JSON"),
        ("check", check, "check PACKAGE... against the conventions; exit 1 on errors"),
    ):
        p = verbs.add_parser(name, help=help_text)
        p.add_argument(
            "packages", nargs="+", metavar="PACKAGE", help="import name, e.g. airflow.providers.http"
        )
        p.add_argument("--exclude", action="append", default=[], metavar="MODULE", help="module to leave out")
        p.add_argument("--strict", action="store_true", help="a module that fails to import is an error")
        p.set_defaults(run=run)
        if name == "json":
            p.add_argument("--output", "-o", required=True, help="the JSON file to write")
        else:
            p.add_argument("--format", choices=("text", "json", "github"), default="text")

    p = verbs.add_parser("diff", help="what changed between two catalog.json files")
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    p.set_defaults(run=diff)

    p = verbs.add_parser("publish", help="merge a built site into the published tree as VERSION")
    p.add_argument("--site", default=str(DEFAULT_SITE), help="the built site")
    p.add_argument("--version", required=True, help="a PEP 440 version, or `dev`")
    p.add_argument(
        "--target",
        required=True,
        help="a git repository (path or URL), a plain folder, or an fsspec URL (s3://...)",
    )
    p.add_argument("--branch", default="gh-pages")
    p.add_argument("--title", default=None, help="the name shown in the switcher (default: the version)")
    p.set_defaults(run=publish)

    p = verbs.add_parser("unpublish", help="remove VERSION from the published tree")
    p.add_argument("version")
    p.add_argument("--target", required=True)
    p.add_argument("--branch", default="gh-pages")
    p.set_defaults(run=unpublish)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one verb and return its exit status; errors become one line on stderr unless ``--debug``."""
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except Exception as error:
        if args.debug:
            raise
        print(f"error: {error}", file=sys.stderr)
        return 1
