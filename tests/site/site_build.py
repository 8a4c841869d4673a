"""Build a copy of the repository's site the way ``make docs`` does, and check that it built cleanly."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class SiteBuild:
    """A repository copy, its built HTML, and what the build printed."""

    source: Path
    html: Path
    output: str


def copy_repository(destination: Path) -> None:
    """Copy what git would see in a clone, plus new files not yet committed and not ignored.

    :param destination: an empty folder.
    """
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for relative in filter(None, listed.split("\0")):
        source = REPO_ROOT / relative
        if not source.is_file():  # deleted in the work tree but still in the index
            continue
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)


def build_site(source: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m airflow_catalog build`` on a copy, importing the copy's own packages.

    :param source: the repository copy.
    :returns: the finished process, with its output as text.
    """
    members = (source / "src" / "etl-platform", source / "src" / "airflow-catalog")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, members))}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "airflow_catalog",
            "build",
            "--source",
            str(source),
            "--output",
            str(source / "_build" / "html"),
        ],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
    )


def assert_built_cleanly(process: subprocess.CompletedProcess[str]) -> None:
    """Fail with Sphinx's warnings (or the end of its output) when the build failed or warned."""
    output = process.stdout + process.stderr
    warnings = [line for line in output.splitlines() if "WARNING" in line or "ERROR" in line]
    assert process.returncode == 0, (
        f"the site build failed with status {process.returncode}:\n"
        + "\n".join(warnings)
        + f"\n--- end of its output ---\n{process.stdout[-2000:]}"
        + f"\n--- end of its errors ---\n{process.stderr[-3000:]}"
    )
    assert not warnings, "the build printed warnings:\n" + "\n".join(warnings)
