"""Incremental builds: nothing changed re-reads nothing; one docstring re-reads its page and its lists.

Each build runs ``sphinx-build`` in a fresh process, as ``make docs`` does, so an edited module is
imported anew. Which documents were read is taken from the pickled environment: ``all_docs`` holds
the time each document was last read.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from roots.catalog_site import Build, build_fresh_process, make_site, read_times, reread

FIRST = "catalog/_generated/own_pkg.operators.FirstOperator"
SECOND = "catalog/_generated/own_pkg.operators.SecondOperator"


def build(source: Path) -> Build:
    result = build_fresh_process(source, "-W", "--keep-going")
    assert result.status == 0 and result.warnings == [], result.warnings
    return result


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = make_site(tmp_path_factory.mktemp("incremental"))
    build(source)
    return source


def test_a_build_with_nothing_changed_reads_no_page(site: Path) -> None:
    before = read_times(site)
    build(site)
    assert reread(before, read_times(site)) == set()


def test_a_docstring_body_change_reads_only_that_class_page(site: Path) -> None:
    # Edited in place: a page shows its class's source line, so lines added above a neighbour
    # would rightly re-read the neighbour's page too.
    before = read_times(site)
    edit(
        site / "pkgs/own_pkg/operators.py",
        "nothing can fail.\n\n    :param size",
        "nothing can go wrong.\n\n    :param size",
    )
    build(site)
    # SecondOperator lives in the same module: autodoc alone would have re-read its page too.
    assert reread(before, read_times(site)) == {FIRST}
    first_page = site / "_build/html/catalog/_generated/own_pkg.operators.FirstOperator.html"
    assert "nothing can go wrong" in first_page.read_text(encoding="utf-8")


def test_a_summary_change_reads_the_page_and_the_pages_that_list_it(site: Path) -> None:
    before = read_times(site)
    edit(site / "pkgs/own_pkg/operators.py", '"""Do the second thing.', '"""Do the second thing twice.')
    build(site)
    again = reread(before, read_times(site))
    assert SECOND in again and FIRST not in again
    assert again <= {SECOND, "catalog/_generated/package-own_pkg", "catalog/index"}
    assert "twice" in (site / "_build/html/catalog/_generated/package-own_pkg.html").read_text(
        encoding="utf-8"
    )


def test_a_hook_method_docstring_change_reads_the_hook_page_only(site: Path) -> None:
    # A hook's page documents its methods, which its entry does not hold: it depends on its module.
    before = read_times(site)
    edit(site / "pkgs/vendor_pkg/operators.py", "Return a client, as", "Return a fresh client, as")
    build(site)
    assert reread(before, read_times(site)) == {"catalog/_generated/vendor_pkg.operators.BucketHook"}
    hook_page = site / "_build/html/catalog/_generated/vendor_pkg.operators.BucketHook.html"
    assert "Return a fresh client" in hook_page.read_text(encoding="utf-8")


def test_the_environment_version_follows_the_code_that_draws_pages(tmp_path: Path) -> None:
    # A directive that draws something new must not leave pages read by the old code: the
    # environment's version changes with the code of model/, pages/ and sphinxext/, and Sphinx then
    # reads every page again.
    import shutil

    import airflow_catalog
    from airflow_catalog.sphinxext.extension import environment_version

    copy = tmp_path / "airflow_catalog"
    shutil.copytree(Path(airflow_catalog.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = environment_version(copy)
    assert environment_version(copy) == before
    (copy / "site" / "watch.py").write_text((copy / "site" / "watch.py").read_text() + "\n# unrelated\n")
    assert environment_version(copy) == before
    directive = copy / "sphinxext" / "entry_directive.py"
    directive.write_text(directive.read_text() + "\n# draws something new\n")
    assert environment_version(copy) != before


EXAMPLE = '''"""An example DAG of own_pkg."""

from own_pkg.operators import FirstOperator

# [START first_operator]
first = FirstOperator(task_id="first", size=1)
# [END first_operator]
'''


def test_an_example_dag_edit_reaches_the_class_page(site: Path) -> None:
    # An entry's examples come from other files than its module: they must not stay as they were.
    page = site / "_build/html/catalog/_generated/own_pkg.operators.FirstOperator.html"
    dags = site / "pkgs/own_pkg/example_dags"
    dags.mkdir(exist_ok=True)
    (dags / "example_first.py").write_text(EXAMPLE, encoding="utf-8")
    build(site)
    assert 'FirstOperator(task_id="first", size=1)' in shown(page)
    edit(dags / "example_first.py", "size=1", "size=2")
    before = read_times(site)
    build(site)
    assert FIRST in reread(before, read_times(site))
    text = shown(page)
    assert 'FirstOperator(task_id="first", size=2)' in text and 'task_id="first", size=1' not in text


def shown(page: Path) -> str:
    """The text a reader sees on a page (code is split into highlighted spans in the HTML)."""
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))
