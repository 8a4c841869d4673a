"""A catalogued docstring cannot copy a file of the build machine into the site (issue 13).

Docstrings of upstream and third-party packages are untrusted input, and CI build machines hold
secrets: ``include``, ``literalinclude``, ``image``, ``figure``, ``graphviz``, a ``csv-table`` with
``:file:`` or ``:url:``, and the ``download`` role are left out with a note on generated pages, for
our own package and upstream ones alike; a hand-written page keeps them.
"""

from __future__ import annotations

import re
import textwrap
from html import unescape
from pathlib import Path

import pytest
from roots.catalog_site import Build, build_fresh_process, make_site


def visible_text(html: str) -> str:
    """The text a reader sees: tags removed, entities decoded."""
    return unescape(re.sub(r"<[^>]+>", "", html))


SECRET = "SECRET-TOKEN-1f0c2e"

LEAKY_MODULE = '''
"""A module whose docstrings try to read files outside the project."""

from airflow.sdk import BaseOperator


class LeakyOperator(BaseOperator):
    """Copy a thing.

    .. include:: {secret}

    .. literalinclude:: {secret}

    .. image:: {secret}

    .. csv-table:: Secrets
       :file: {secret}

    .. csv-table:: Inline rows are harmless
       :header: "Name", "Value"

       "colour", "blue"

    See :download:`the secret <{secret}>`.

    Failure behaviour: none.

    :param thing: what to copy.
    """

    def __init__(self, *, thing: str = "a", **kwargs) -> None:
        super().__init__(**kwargs)
        self.thing = thing

    def execute(self, context):
        return self.thing
'''


@pytest.fixture(scope="module")
def leaky_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Build, Path]:
    folder = tmp_path_factory.mktemp("leaky")
    secret = folder / "secret.txt"  # outside the site's source folder
    secret.write_text(f"{SECRET}\n")
    source = make_site(folder)
    for package in ("own_pkg", "vendor_pkg"):
        (source / "pkgs" / package / "leaky.py").write_text(LEAKY_MODULE.format(secret=secret))
    # A hand-written page keeps what a docstring may not: it includes a file of the project.
    (source / "snippet.txt").write_text("HAND-WRITTEN-INCLUDE\n")
    (source / "handwritten.md").write_text(
        textwrap.dedent(
            """\
            # Hand-written

            ```{literalinclude} snippet.txt
            ```
            """
        )
    )
    index = source / "index.md"
    index.write_text(index.read_text().replace("```{toctree}\n", "```{toctree}\nhandwritten\n", 1))
    return build_fresh_process(source), secret


def test_no_catalogued_docstring_reads_a_file_and_the_build_is_clean(leaky_site: tuple[Build, Path]) -> None:
    build, _ = leaky_site
    assert build.status == 0 and build.warnings == [], build.warnings
    leaked = [
        path for path in build.html.rglob("*") if path.is_file() and SECRET.encode() in path.read_bytes()
    ]
    assert leaked == []
    copied = [path.name for path in build.html.rglob("secret*")]
    assert copied == []


@pytest.mark.parametrize("package", ["own_pkg", "vendor_pkg"])
def test_each_refused_directive_leaves_a_note_and_inline_tables_stay(
    leaky_site: tuple[Build, Path], package: str
) -> None:
    build, secret = leaky_site
    page = visible_text(build.page(f"catalog/_generated/{package}.leaky.LeakyOperator"))
    for directive in ("include", "literalinclude", "image", "csv-table"):
        assert f".. {directive}:: " in page, directive
    assert page.count("a catalogued docstring may not read files") == 4
    assert "colour" in page and "blue" in page  # the inline csv-table is drawn
    assert "See the secret." in page and str(secret) not in page.split("(.. ")[-1]
    assert not (build.html / "_downloads").exists()


def test_a_hand_written_page_keeps_its_includes(leaky_site: tuple[Build, Path]) -> None:
    build, _ = leaky_site
    assert "HAND-WRITTEN-INCLUDE" in visible_text(build.page("handwritten"))
