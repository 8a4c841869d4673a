"""The two distributions built from this repository once per session, and fresh virtualenvs for them.

A test module loads this as a plugin (``pytest_plugins = ["distributions_fixtures"]``) rather than
importing the fixtures: an imported session fixture is defined once per importing module, and would
build the wheels once per module.

The virtualenvs hold what ``pip install WHEEL`` would give a user and nothing of this repository:
they are created by uv outside the repository, and their interpreter is started with ``-I`` (isolated
mode: neither the working folder nor ``PYTHONPATH`` is on ``sys.path``). Their versions are held to
``uv.lock`` (as constraints), so an upstream release cannot break CI outside a pull request that
updates the lock, and every package comes from uv's warm cache.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from email.parser import Parser
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
#: The two members of the workspace, by distribution name.
MEMBERS = ("etl-platform", "airflow-catalog")


def uv() -> list[str]:
    """The uv command: the binary on ``PATH``, else ``python3 -m uv`` (``tools/bootstrap.py`` installs it)."""
    found = shutil.which("uv")
    return [found] if found else ["python3", "-m", "uv"]


@dataclass(frozen=True)
class Distributions:
    """The sdists and wheels of :data:`MEMBERS`, built by ``uv build`` into ``folder``."""

    folder: Path
    wheels: dict[str, Path]
    sdists: dict[str, Path]

    def metadata(self, name: str) -> Message:
        """The ``METADATA`` of ``name``'s wheel, parsed as the email-style headers it is."""
        with zipfile.ZipFile(self.wheels[name]) as wheel:
            (path,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
            return Parser().parsestr(wheel.read(path).decode("utf-8"))


def _file_name(name: str) -> str:
    return name.replace("-", "_")


@pytest.fixture(scope="session")
def distributions(tmp_path_factory: pytest.TempPathFactory) -> Distributions:
    """Both members' sdists and wheels, built once from the working tree as a release builds them."""
    folder = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [*uv(), "build", "--all-packages", "--out-dir", str(folder), "--quiet"],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    wheels, sdists = {}, {}
    for name in MEMBERS:
        (wheels[name],) = folder.glob(f"{_file_name(name)}-*.whl")
        (sdists[name],) = folder.glob(f"{_file_name(name)}-*.tar.gz")
    return Distributions(folder, wheels, sdists)


@pytest.fixture(scope="session")
def locked_versions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A constraints file of every version ``uv.lock`` pins, workspace members left out."""
    constraints = tmp_path_factory.mktemp("constraints") / "constraints.txt"
    exported = subprocess.run(
        [
            *uv(),
            "export",
            "--frozen",
            "--all-packages",
            "--all-groups",
            "--no-emit-workspace",
            "--no-hashes",
            "--no-annotate",
            "--no-header",
            "--quiet",
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    constraints.write_text(exported.stdout)
    return constraints


@dataclass(frozen=True)
class Virtualenv:
    """A virtualenv made by :func:`fresh_virtualenv`: its folder and a runner for its programs."""

    folder: Path
    home: Path

    def run(self, program: str, *arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        """Run one of the virtualenv's programs (``python`` runs isolated, ``-I``), never raising.

        The environment is the test's minus what could point back into the repository
        (``VIRTUAL_ENV``, ``PYTHONPATH``), with this virtualenv's ``bin`` first on ``PATH`` and a
        throwaway ``AIRFLOW_HOME``.
        """
        bin_folder = self.folder / "bin"
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
        env["PATH"] = f"{bin_folder}{os.pathsep}{env.get('PATH', '')}"
        env["AIRFLOW_HOME"] = str(self.home)
        command = [str(bin_folder / program), *arguments]
        if program == "python":
            command.insert(1, "-I")
        return subprocess.run(command, capture_output=True, text=True, cwd=cwd or self.home, env=env)

    def distributions(self) -> set[str]:
        """The names of every distribution installed here, normalised."""
        listed = self.run(
            "python", "-c", "import importlib.metadata as m; print(*{d.name for d in m.distributions()})"
        )
        assert listed.returncode == 0, listed.stderr
        return {name.lower().replace("_", "-") for name in listed.stdout.split()}


@pytest.fixture(scope="session")
def fresh_virtualenv(
    tmp_path_factory: pytest.TempPathFactory, locked_versions: Path
) -> Callable[..., Virtualenv]:
    """Make a virtualenv outside the repository holding only ``requirements`` and their dependencies.

    ``fresh_virtualenv("name", wheel, "apache-airflow-providers-http")`` installs with uv (from its
    cache, versions held to ``uv.lock``) and returns the :class:`Virtualenv`.
    """

    def make(name: str, *requirements: str | Path) -> Virtualenv:
        folder = tmp_path_factory.mktemp(name)
        venv = folder / "venv"
        subprocess.run([*uv(), "venv", "--quiet", str(venv)], check=True, capture_output=True)
        installed = subprocess.run(
            [
                *uv(),
                "pip",
                "install",
                "--quiet",
                "--python",
                str(venv / "bin" / "python"),
                "--constraints",
                str(locked_versions),
                *map(str, requirements),
            ],
            capture_output=True,
            text=True,
        )
        assert installed.returncode == 0, installed.stderr
        home = folder / "airflow-home"
        home.mkdir()
        return Virtualenv(venv, home)

    return make


@pytest.fixture(scope="session")
def catalog_virtualenv(
    distributions: Distributions, fresh_virtualenv: Callable[..., Virtualenv]
) -> Virtualenv:
    """The ``airflow-catalog`` wheel and one upstream provider from the registry, nothing else."""
    return fresh_virtualenv(
        "catalog", distributions.wheels["airflow-catalog"], "apache-airflow-providers-http"
    )


@pytest.fixture(scope="session")
def provider_virtualenv(
    distributions: Distributions, fresh_virtualenv: Callable[..., Virtualenv]
) -> Virtualenv:
    """The ``etl-platform`` wheel and its dependencies, nothing else."""
    return fresh_virtualenv("provider", distributions.wheels["etl-platform"])
