"""The catalog site of the amazon provider against a plain autosummary build of the same modules.

Baseline (``research/baseline-sphinx-cost.md``): ``sphinx.ext.autosummary`` with ``:recursive:``,
autodoc members and sphinx-autodoc-typehints, one page per module, the stock configuration that
prints about a thousand warnings. Ours: the catalog extension, one page per class plus the index
pages, zero warnings. Both build in a fresh process with the same ``-j``, the sphinx-rtd theme and
``os._exit`` after Sphinx returns (as ``python -m airflow_catalog build`` does). Then one docstring
of the catalogued provider is edited and the catalog rebuilt in a fresh process (``make docs``
again), and the edit undone and rebuilt from a warm process (``make serve``, which rebuilds on
every change: :mod:`airflow_catalog.site.watch`).

The edit goes to a copy: the provider's folder is copied and put first on the package's
``__path__`` by the catalog project's ``conf.py``, so the installed files (hard links into uv's
cache) are never written. Targets: the catalog build faster than autosummary, every class on its
own page, no warning, the rebuild after one docstring edit under 10 % of the full build.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PACKAGE = "airflow.providers.amazon"
REPO = Path(__file__).resolve().parent.parent
JOBS = os.environ.get("BENCH_JOBS", "auto")
#: The class whose docstring the rebuild measurement edits, and the text it adds.
EDITED_CLASS = "S3CreateBucketOperator"
EDIT = (
    "This operator creates an S3 bucket.",
    "This operator creates an S3 bucket (edited by the benchmark).",
)

#: One build in a fresh interpreter; prints wall time inside the process and peak memory, then
#: leaves without the interpreter's teardown (seconds after a large build, doing nothing useful).
RUNNER = """
import json, os, resource, sys, time
start = time.perf_counter()
from sphinx.cmd.build import build_main
status = build_main(sys.argv[1:])
own = resource.getrusage(resource.RUSAGE_SELF)
workers = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime
print(json.dumps({"status": status, "seconds": time.perf_counter() - start, "cpu": cpu,
                  "rss_mb": max(own.ru_maxrss, workers.ru_maxrss) / 1024}), flush=True)
sys.stderr.flush()
os._exit(0)
"""

#: The same build from a warm process, as ``make serve`` rebuilds (:mod:`airflow_catalog.site.watch`):
#: warm up, say so, wait for the edit, then time one rebuild in a forked child.
WARM_RUNNER = """
import json, os, resource, sys, time
from pathlib import Path
from airflow_catalog.site.watch import rebuild
from airflow_catalog.sphinxext.warm import warm_up
from sphinx.cmd.build import build_main
warm_up(Path.cwd())
print("ready", flush=True)
sys.stdin.readline()
start = time.perf_counter()
status = rebuild(lambda: build_main(sys.argv[1:]))
seconds = time.perf_counter() - start
workers = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"status": status, "seconds": seconds, "cpu": workers.ru_utime + workers.ru_stime,
                  "rss_mb": workers.ru_maxrss / 1024}), flush=True)
os._exit(0)
"""

CATALOG_CONF = """
import sys
import airflow.providers.amazon as amazon

# A copy of the provider, first on its package path: the benchmark edits the copy.
amazon.__path__.insert(0, {shadow!r})

project = "amazon catalog"
extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx_autodoc_typehints", "sphinx_copybutton",
              "airflow_catalog"]
nitpicky = True
html_theme = "sphinx_rtd_theme"
html_theme_options = {{"includehidden": False, "collapse_navigation": True, "navigation_depth": 2}}
exclude_patterns = ["_build"]
autodoc_typehints = "description"
graphviz_output_format = "svg"
catalog_packages = ["{package}"]
catalog_own_packages = []
# Modules whose optional dependencies are not installed are still catalogued from their source;
# the one warning each of them gets is counted in the table instead of printed.
suppress_warnings = ["catalog.import"]
"""

AUTOSUMMARY_CONF = """
project = "amazon autosummary"
extensions = ["sphinx.ext.autodoc", "sphinx.ext.autosummary", "sphinx_autodoc_typehints"]
autosummary_generate = True
autodoc_default_options = {"members": True, "show-inheritance": True}
html_theme = "sphinx_rtd_theme"
exclude_patterns = ["_build"]
"""

AUTOSUMMARY_INDEX = f"""Amazon provider
===============

.. autosummary::
   :toctree: _autosummary
   :recursive:

   {PACKAGE}
"""

CONVENTIONS = "# Conventions\n\n" + "".join(f"(CAT{n:03})=\n## CAT{n:03}\n\n" for n in range(1, 12))


def catalog_project(folder: Path, shadow: Path) -> Path:
    """Write the catalog project: the repository's catalog pages plus a conventions stub."""
    source = folder / "catalog-site"
    (source / "catalog").mkdir(parents=True)
    (source / "docs").mkdir()
    (source / "conf.py").write_text(CATALOG_CONF.format(shadow=str(shadow), package=PACKAGE))
    (source / "index.md").write_text(
        "# Amazon catalog\n\n```{toctree}\ndocs/conventions\ncatalog/index\n```\n"
    )
    (source / "docs" / "conventions.md").write_text(CONVENTIONS)
    for page in ("index.md", "conformance.md"):
        shutil.copy(REPO / "catalog" / page, source / "catalog" / page)
    return source


def autosummary_project(folder: Path) -> Path:
    """Write the baseline project (the research note's ``autodoc_amazon``)."""
    source = folder / "autosummary-site"
    source.mkdir()
    (source / "conf.py").write_text(AUTOSUMMARY_CONF)
    (source / "index.rst").write_text(AUTOSUMMARY_INDEX)
    return source


def build(source: Path) -> dict[str, float]:
    """Build ``source`` in a fresh process; return wall time, peak memory and the warning count."""
    output = source / "_build"
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER, *build_args(source)], capture_output=True, text=True, cwd=source
    )
    wall = time.perf_counter() - start
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode or not lines:
        raise RuntimeError(f"build of {source} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, float] = json.loads(lines[-1])
    result["wall"] = wall
    result["warnings"] = len(re.findall(r"(WARNING|ERROR|CRITICAL):", proc.stderr))
    result["pages"] = len(list((output / "html").rglob("*.html")))
    return result


def build_args(source: Path) -> list[str]:
    """The ``sphinx-build`` arguments of every build of ``source``."""
    output = source / "_build"
    return ["-b", "html", "-j", JOBS, "-q", "-d", str(output / "doctrees"), str(source), str(output / "html")]


def warm_rebuild(source: Path, edit: Callable[[], object]) -> dict[str, float]:
    """Rebuild ``source`` after ``edit`` from a warm process, as ``make serve`` does; return its figures.

    The wall time is the rebuild's alone (the warm-up happens before the edit, as it does once
    per ``make serve``); CPU and peak memory are the forked child's.
    """
    process = subprocess.Popen(
        [sys.executable, "-c", WARM_RUNNER, *build_args(source)],
        cwd=source,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    if process.stdout.readline().strip() != "ready":
        raise RuntimeError(f"the warm process failed:\n{process.communicate()[1][-3000:]}")
    edit()
    output, errors = process.communicate("go\n")
    lines = [line for line in output.splitlines() if line.startswith("{")]
    if process.returncode or not lines or json.loads(lines[-1])["status"]:
        raise RuntimeError(f"the warm rebuild of {source} failed:\n{errors[-3000:]}")
    result: dict[str, float] = json.loads(lines[-1])
    result["wall"] = result["seconds"]
    result["warnings"] = len(re.findall(r"(WARNING|ERROR|CRITICAL):", errors))
    result["pages"] = len(list((source / "_build" / "html").rglob("*.html")))
    return result


def edit_docstring(shadow: Path, edit: tuple[str, str] = EDIT) -> Path:
    """Change one sentence of one class's docstring in the copy; return the edited file."""
    old, new = edit
    for path in sorted(shadow.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if f"class {EDITED_CLASS}(" in text and old in text:
            path.write_text(text.replace(old, new, 1), encoding="utf-8")
            return path
    raise RuntimeError(f"{EDITED_CLASS}'s docstring no longer says {old!r}: pick another sentence")


#: Rows in the filter measurement: the built index's records repeated, as in ``research/recipes.md``.
FINDER_ROWS = 2000
QUERY = "s3 bucket"
#: Time from one keystroke to the page laid out again (style and layout forced by reading a
#: height), for our filter and for the naive one: hide every row whose ``textContent`` lacks the
#: query, 55 ms a keystroke over 2,000 rows in ``research/recipes.md``.
KEYSTROKES = """(naive) => {
  const input = document.querySelector("input[data-query]");
  const rows = Array.from(document.querySelectorAll("table.catalog-table tbody tr"));
  const times = [];
  for (const query of [...Array(QUERY.length).keys()].map(i => QUERY.slice(0, i + 1))) {
    const start = performance.now();
    if (naive) {
      for (const row of rows) row.hidden = !row.textContent.toLowerCase().includes(query);
    } else {
      input.value = query;
      input.dispatchEvent(new Event("input"));
    }
    document.body.offsetHeight;
    times.push(performance.now() - start);
  }
  return {times, visible: rows.filter(row => !row.hidden).length, rows: rows.length};
}""".replace("QUERY", json.dumps(QUERY))


def finder_keystrokes(index: Path) -> dict[str, dict[str, Any]]:
    """Measure typing into the catalog's filter in Chromium, ours against the naive scan.

    The built index page is copied with its records repeated up to :data:`FINDER_ROWS`.
    """
    from playwright.sync_api import sync_playwright

    html = index.read_text(encoding="utf-8")
    head, rest = html.split('class="catalog-records">', 1)
    records_text, tail = rest.split("</script>", 1)
    records = json.loads(records_text)
    many = [
        dict(record, name=f"{record['name']}{n}")
        for n in range(FINDER_ROWS // len(records) + 1)
        for record in records
    ]
    data = json.dumps(many[:FINDER_ROWS]).replace("<", "\\u003c")
    copy = index.with_name("index-2000.html")
    copy.write_text(f'{head}class="catalog-records">{data}</script>{tail}', encoding="utf-8")
    results = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for name, naive in (("naive", True), ("ours", False)):
            page = browser.new_page()
            page.goto(copy.as_uri())
            page.wait_for_selector("table.catalog-table tbody tr", state="attached")
            results[name] = page.evaluate(KEYSTROKES, naive)
            page.close()
        browser.close()
    return results


def main() -> int:
    """Print the table; 1 when a target is missed."""
    import airflow.providers.amazon as amazon

    installed = Path(amazon.__path__[0])
    with tempfile.TemporaryDirectory(prefix="bench-catalog-") as temporary:
        folder = Path(temporary)
        shadow = folder / "amazon-copy"
        # A real copy (not hard links): the rebuild measurement writes into it.
        # With the bytecode: an installed provider has it (uv compiles it), and only the edited
        # module is compiled again, as on a developer's machine.
        shutil.copytree(installed, shadow)
        baseline = build(autosummary_project(folder))
        catalog_source = catalog_project(folder, shadow)
        full = build(catalog_source)
        data = json.loads((catalog_source / "_build" / "html" / "catalog.json").read_text(encoding="utf-8"))
        entries = data["entries"]
        class_pages = sum(
            (catalog_source / "_build/html/catalog/_generated" / f"{entry['import_path']}.html").is_file()
            for entry in entries
        )
        noop = build(catalog_source)
        edited = edit_docstring(shadow)
        incremental = build(catalog_source)
        page = next((catalog_source / "_build/html/catalog/_generated").glob(f"*.{EDITED_CLASS}.html"))
        shown = EDIT[1] in page.read_text(encoding="utf-8")
        # The edit undone (another docstring edit), rebuilt the way `make serve` rebuilds.
        warm = warm_rebuild(catalog_source, lambda: edit_docstring(shadow, (EDIT[1], EDIT[0])))
        shown = shown and EDIT[1] not in page.read_text(encoding="utf-8")
        typing = finder_keystrokes(catalog_source / "_build/html/catalog/index.html")

    print(
        f"Building `{PACKAGE}` with `-j {JOBS}`, each build in a fresh process (`os._exit` after Sphinx).\n"
    )
    print("| build | wall | CPU (all processes) | peak RSS (largest process) | HTML pages | warnings |")
    print("| --- | --- | --- | --- | --- | --- |")
    rows = [
        ("baseline: autosummary :recursive: (one page per module)", baseline),
        (f"catalog, full ({len(entries)} classes, {class_pages} class pages)", full),
        ("catalog, rebuild with nothing changed", noop),
        (f"catalog, rebuild after one docstring edit ({edited.name}), fresh process", incremental),
        ("catalog, rebuild after one docstring edit, warm (`make serve`)", warm),
    ]
    for label, result in rows:
        print(
            f"| {label} | {result['wall']:.1f} s | {result['cpu']:.1f} s | {result['rss_mb']:.0f} MB "
            f"| {result['pages']:.0f} | {result['warnings']:.0f} |"
        )
    speed = full["wall"] / baseline["wall"]
    cpu = full["cpu"] / baseline["cpu"]
    memory = full["rss_mb"] / baseline["rss_mb"]
    share = incremental["wall"] / full["wall"]
    warm_share = warm["wall"] / full["wall"]
    problems = len(data["import_problems"])
    from_source = sum(not entry["imported"] for entry in entries)
    print(
        f"\nCatalog / autosummary: wall {speed:.2f}, CPU {cpu:.2f}, peak memory {memory:.2f}. "
        f"Rebuild after one edit: {warm_share:.1%} of the full build warm (`make serve`), {share:.1%} in a "
        f"fresh process (`make docs`); both edits shown on the rebuilt page: {'yes' if shown else 'NO'}. "
        f"{problems} modules failed to import (optional dependencies absent); their {from_source} classes "
        "have pages read from the source."
    )
    print(
        f"\nTyping {QUERY!r} into the filter over {typing['ours']['rows']} rows, "
        "from keystroke to laid-out page:\n"
    )
    print("| filter | median | worst | rows left |")
    print("| --- | --- | --- | --- |")
    for name, label in (
        ("naive", "baseline: hide rows whose textContent lacks the query"),
        ("ours", "catalog.js"),
    ):
        times = sorted(typing[name]["times"])
        print(
            f"| {label} | {times[len(times) // 2]:.1f} ms | {times[-1]:.1f} ms | {typing[name]['visible']} |"
        )
    ours_median = sorted(typing["ours"]["times"])[len(typing["ours"]["times"]) // 2]
    targets = {
        "catalog faster than autosummary": speed < 1,
        "every class on its own page": class_pages == len(entries),
        "no warning": full["warnings"] == 0 and incremental["warnings"] == 0 and warm["warnings"] == 0,
        "rebuild after one edit under 10 % (warm, `make serve`)": warm_share < 0.10,
        "the edit is on the rebuilt page": shown,
        "filtering within one frame (16 ms)": ours_median < 16,
    }
    print("\n" + "; ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in targets.items()) + ".")
    return 0 if all(targets.values()) else 1
