"""Set up everything ``make docs`` and ``make test`` need on a fresh machine.

Standard library only: it runs before the project's virtualenv exists. It installs uv
(with pip) when it is absent, the Debian packages the chosen target needs when their
programs are missing, and then the virtualenv from the committed ``uv.lock``.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys
from collections.abc import Callable

#: What each target needs from the operating system: a Debian package and a check
#: that tells whether its program is already here.
SYSTEM_PACKAGES: dict[str, tuple[str, Callable[[], bool]]] = {
    "graphviz": ("graphviz", lambda: shutil.which("dot") is not None),
    "chromium": ("chromium", lambda: os.path.exists("/usr/bin/chromium")),
    "postgresql": ("postgresql", lambda: bool(glob.glob("/usr/lib/postgresql/*/bin/initdb"))),
}
NEEDS: dict[str, tuple[str, ...]] = {
    "docs": ("graphviz",),
    "test": ("graphviz", "chromium", "postgresql"),
    "bench": ("graphviz", "chromium", "postgresql"),
    "lint": (),
}


def log(message: str) -> None:
    """Print one progress line, marked as ours."""
    print(f"[bootstrap] {message}", flush=True)


def ensure_uv() -> None:
    """Install uv into this interpreter with pip unless ``python -m uv`` already works."""
    if subprocess.run([sys.executable, "-m", "uv", "--version"], capture_output=True).returncode == 0:
        return
    log("installing uv with pip")
    base = [sys.executable, "-m", "pip", "install", "--quiet", "uv"]
    if subprocess.run(base).returncode != 0:
        # A distribution's own Python refuses plain installs (PEP 668); a user install is fine there.
        subprocess.run([*base, "--user", "--break-system-packages"], check=True)


def ensure_system_packages(target: str) -> None:
    """Install the Debian packages ``target`` needs whose programs are missing."""
    missing = [SYSTEM_PACKAGES[name][0] for name in NEEDS[target] if not SYSTEM_PACKAGES[name][1]()]
    if not missing:
        return
    if shutil.which("apt-get") is None:
        sys.exit(f"[bootstrap] missing system packages {missing}: install them with your package manager")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    log(f"installing {' '.join(missing)} with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", *missing], check=True, env=env)


def sync_virtualenv() -> None:
    """Create or update ``.venv`` from ``uv.lock``, compiled to bytecode once.

    Compiling matters here: without ``.pyc`` files every process pays several seconds
    to import Airflow (this machine sets ``PYTHONDONTWRITEBYTECODE``).
    """
    env = {**os.environ, "UV_COMPILE_BYTECODE": "1"}
    subprocess.run([sys.executable, "-m", "uv", "sync", "--locked", "--quiet"], check=True, env=env)


def main() -> None:
    """Parse the target name and set up what it needs."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("target", choices=sorted(NEEDS))
    target = parser.parse_args().target
    ensure_uv()
    ensure_system_packages(target)
    sync_virtualenv()


if __name__ == "__main__":
    main()
