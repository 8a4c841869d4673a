"""Run every benchmark module (``python -m bench [NAME...]``), each printing its own table."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main(names: list[str]) -> int:
    """Run the ``main()`` of each ``bench_*`` module, or of those named on the command line."""
    here = Path(__file__).parent
    modules = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    chosen = [m for m in modules if not names or m in names or m.removeprefix("bench_") in names]
    status = 0
    for name in chosen:
        print(f"\n## {name}\n", flush=True)
        status |= int(importlib.import_module(f"bench.{name}").main() or 0)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
