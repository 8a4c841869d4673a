"""The command line, ``airflow-catalog VERB`` or ``python -m airflow_catalog VERB``: it only parses.

Each verb is a function of :mod:`airflow_catalog.commands`; :func:`main` runs it and turns any
error into one line on stderr (``--debug`` shows the traceback instead).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from airflow_catalog import commands

DEFAULT_SITE = "_build/html"


def make_parser() -> argparse.ArgumentParser:
    """Describe every verb and its arguments."""
    parser = argparse.ArgumentParser(
        prog="airflow-catalog",
        description="Build, check and publish an operator catalog of Airflow packages.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks instead of one-line errors")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = verbs.add_parser(
        "init",
        help="start a catalog project in DIR: conf.py, pages, requirements.txt and a GitHub workflow",
        description=(
            "Write a catalog project into DIR (created when missing): conf.py, index.md, the catalog's "
            "landing pages, a conventions page, requirements.txt, .gitignore, and the GitHub workflow "
            ".github/workflows/docs.yml (at the root of the git repository holding DIR, else in DIR) that "
            "builds on pull requests and publishes each release to gh-pages. A file that exists is left "
            "untouched and named; the missing ones are still written. Exit status: 0 when every file was "
            "written, 1 when any existed already, 2 on a bad argument."
        ),
    )
    p.add_argument("folder", metavar="DIR", help="the project's folder (the Sphinx source folder)")
    p.add_argument(
        "--package",
        action="append",
        default=[],
        dest="packages",
        metavar="PACKAGE",
        help="import name to catalogue, e.g. airflow.providers.http; repeat it for several "
        "(default: every installed Airflow provider)",
    )
    p.set_defaults(run=commands.init)

    p = verbs.add_parser("build", help="build the site with warnings as errors (the same as `make docs`)")
    p.add_argument("--source", default=".", help="the Sphinx source folder (holds conf.py)")
    p.add_argument("--output", default=DEFAULT_SITE, help="where the HTML goes")
    p.add_argument("--jobs", "-j", default="auto", help="parallel processes, or `auto`")
    p.add_argument("--quiet", "-q", action="store_true", help="print only warnings and errors")
    p.set_defaults(run=commands.build, exit_fast=True)

    p = verbs.add_parser("serve", help="serve the built site on 127.0.0.1")
    p.add_argument("--site", default=DEFAULT_SITE, help="the built site")
    p.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    p.add_argument("--watch", action="store_true", help="build first, then rebuild on every change")
    p.add_argument("--source", default=".", help="with --watch: the Sphinx source folder (holds conf.py)")
    p.add_argument("--jobs", "-j", default="auto", help="with --watch: parallel processes, or `auto`")
    p.set_defaults(run=commands.serve, exit_fast=True)

    for name, run, help_text in (
        ("json", commands.catalog_json, "write the catalog model of PACKAGE... as JSON"),
        ("check", commands.check, "check PACKAGE... against the conventions; exit 1 on errors"),
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
            p.add_argument(
                "--format",
                choices=("text", "json", "github"),
                default="text",
                help="how findings are printed",
            )

    p = verbs.add_parser("diff", help="what changed between two catalog.json files")
    p.add_argument("old", help="the older catalog.json")
    p.add_argument("new", help="the newer catalog.json")
    p.add_argument("--format", choices=("text", "json", "markdown"), default="text", help="output format")
    p.set_defaults(run=commands.diff)

    p = verbs.add_parser("publish", help="merge a built site into the published tree as VERSION")
    p.add_argument("--site", default=DEFAULT_SITE, help="the built site")
    p.add_argument("--version", required=True, help="a PEP 440 version, or `dev`")
    p.add_argument(
        "--target",
        required=True,
        help="a git repository (path or URL), a plain folder, or an fsspec URL (s3://...)",
    )
    p.add_argument("--branch", default="gh-pages", help="the branch of a git target")
    p.add_argument("--title", default=None, help="the name shown in the switcher (default: the version)")
    p.set_defaults(run=commands.publish)

    p = verbs.add_parser("unpublish", help="remove VERSION from the published tree")
    p.add_argument("version", help="the version to remove")
    p.add_argument("--target", required=True, help="the published tree, as for publish")
    p.add_argument("--branch", default="gh-pages", help="the branch of a git target")
    p.set_defaults(run=commands.unpublish)

    p = verbs.add_parser(
        "previous", help="write the catalog.json published before VERSION and print that version"
    )
    p.add_argument("--version", required=True, help="the version about to be published")
    p.add_argument("--target", required=True, help="the published tree, as for publish")
    p.add_argument("--output", required=True, help="where to write the previous catalog.json")
    p.add_argument("--branch", default="gh-pages", help="the branch of a git target")
    p.set_defaults(run=commands.previous)
    return parser


def run(argv: Sequence[str] | None = None) -> tuple[int, argparse.Namespace]:
    """Parse ``argv`` and run its verb.

    :returns: the exit status, and the parsed arguments.
    """
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args)), args
    except Exception as error:
        if args.debug:
            raise
        print(f"error: {error}", file=sys.stderr)
        return 1, args


def main(argv: Sequence[str] | None = None) -> int:
    """Run one verb and return its exit status (for tests and callers that go on afterwards)."""
    return run(argv)[0]


def entry_point() -> NoReturn:
    """Run one verb and leave with its status: the console script and ``python -m airflow_catalog``.

    After ``build`` and ``serve`` the process leaves without the interpreter's teardown: after a large
    build it costs seconds (measured: 2-14 s) and does nothing useful. Every other verb exits normally,
    so that nothing buffered by a library (a git push, an upload) is cut short.
    """
    status, args = run()
    if getattr(args, "exit_fast", False):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)
