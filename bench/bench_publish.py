"""Publishing one version into a gh-pages branch that already holds 1, 10 and 50 versions.

Target (issue 5): the publish into 50 versions costs no more than 1.2 times the publish into 1, because
a publish fetches one commit without its trees, writes the new version's objects and one root tree,
and pushes. The baseline is the publish into the one-version tree, measured in the same run; for
contrast, the table also times what a checkout-based publisher pays first: cloning the branch.

Every version is a synthetic site of the same size whose pages all carry their version string (as
Sphinx output does), so git cannot share objects between versions.
"""

from __future__ import annotations

import contextlib
import io
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from airflow_catalog.publish.merge import publish_site

SIZES = (1, 10, 50)
PAGES = 300
REPEATS = 5
TARGET = 1.2


def make_site(root: Path, version: str) -> Path:
    """Write a site of ``PAGES`` pages (about 6 kB each) built "as" ``version``."""
    site = root / f"site-{version}"
    (site / "_static").mkdir(parents=True)
    body = "".join(f"<p>Paragraph {n} of a catalog page of version {version}.</p>\n" for n in range(90))
    for page in range(PAGES):
        (site / f"page-{page}.html").write_text(f"<html><title>{version} {page}</title>{body}</html>\n")
    (site / "index.html").write_text(f"<html>{version}</html>\n")
    (site / "_static" / "theme.css").write_text("body { margin: 0 }\n" * 200)
    (site / "build-info.json").write_text(f'{{"version": "{version}"}}\n')
    return site


def publish_quietly(site: Path, version: str, remote: Path) -> float:
    """Publish and return the seconds it took."""
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        publish_site(site, version, str(remote), backoff=0)
    return time.perf_counter() - start


def seeded_remote(root: Path, size: int, sites: dict[str, Path]) -> Path:
    """A bare repository whose gh-pages holds ``size`` versions, published one by one."""
    remote = root / f"remote-{size}.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    for n in range(size):
        version = f"1.{n}.0"
        if version not in sites:
            sites[version] = make_site(root, version)
        publish_quietly(sites[version], version, remote)
    return remote


def clone_seconds(remote: Path, scratch: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        ["git", "clone", "-q", "--depth=1", "--branch", "gh-pages", remote.as_uri(), str(scratch)], check=True
    )
    return time.perf_counter() - start


def main() -> int:
    """Print the table; return 1 when the 50-version publish misses the target."""
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as scratch:
        root = Path(scratch)
        sites: dict[str, Path] = {}
        remotes = {size: seeded_remote(root, size, sites) for size in SIZES}
        new_sites = [make_site(root, f"9.{n}.0") for n in range(REPEATS)]
        times: dict[int, list[float]] = {size: [] for size in SIZES}
        # Round-robin, so that a burst of load on this shared machine hits every size alike.
        for n, site in enumerate(new_sites):
            for size in SIZES:
                times[size].append(publish_quietly(site, f"9.{n}.0", remotes[size]))
        clones = {size: clone_seconds(remotes[size], root / f"clone-{size}") for size in SIZES}
    medians = {size: statistics.median(times[size]) for size in SIZES}
    baseline = medians[SIZES[0]]
    header = ["versions already published", f"publish (median of {REPEATS})", "min", "max", "vs. baseline"]
    print("| " + " | ".join([*header, "full clone of gh-pages"]) + " |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for size in SIZES:
        cells = [str(size), *(f"{t:.3f} s" for t in (medians[size], min(times[size]), max(times[size])))]
        cells += [f"{medians[size] / baseline:.2f}", f"{clones[size]:.3f} s"]
        print("| " + " | ".join(cells) + " |")
    ratio = medians[SIZES[-1]] / baseline
    verdict = "met" if ratio <= TARGET else "MISSED"
    print(f"\nBaseline: the publish into {SIZES[0]} version, same run.")
    print(f"Target at {SIZES[-1]} versions: at most {TARGET} times the baseline; {verdict} ({ratio:.2f}).")
    print(f"Each version: {PAGES + 3} files. The clone column is what a checkout-based publisher pays first.")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
