"""Catalog extraction of the amazon provider against the floor of any import-based tool.

The baseline is what Airflow's provider registry does and what autosummary pays on every build:
walk the provider with ``pkgutil.walk_packages``, import every module and pick the Airflow classes.
Ours is ``collect_catalog``: the same imports, plus the source of every module, every class's
parameters, examples and conventions findings. Both run in a fresh process, so both pay for
importing Airflow. Target: extraction well under 10 s (``research/baseline-sphinx-cost.md``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PACKAGE = "airflow.providers.amazon"
TARGET_SECONDS = 10.0

BASELINE = """
import importlib, json, pkgutil, resource, sys, time, warnings
start = time.perf_counter()
from airflow.sdk import BaseHook, BaseNotifier, BaseOperator
from airflow.triggers.base import BaseTrigger
package = importlib.import_module(sys.argv[1])
found = 0
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".", onerror=lambda name: None):
        try:
            module = importlib.import_module(info.name)
        except Exception:
            continue
        for obj in vars(module).values():
            if isinstance(obj, type) and obj.__module__ == info.name and issubclass(
                obj, (BaseOperator, BaseHook, BaseTrigger, BaseNotifier)
            ):
                found += 1
elapsed = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "classes": found, "rss_mb": rss}))
"""

OURS = """
import json, resource, sys, time
from pathlib import Path
start = time.perf_counter()
from airflow_catalog.collect.catalog import collect_catalog
catalog = collect_catalog([sys.argv[1]], cache=Path(sys.argv[2]) if len(sys.argv) > 2 else None)
text = catalog.dumps()
elapsed = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({
    "seconds": elapsed, "classes": len(catalog.entries), "rss_mb": rss,
    "from_source": sum(not e.imported for e in catalog.entries),
    "parameters": sum(len(e.parameters) for e in catalog.entries),
    "findings": len(catalog.findings), "airflow": "airflow" in sys.modules,
}))
"""

#: One module whose file "changed": its record's stamps are made stale, as an edit would make them.
EDITED = "airflow.providers.amazon.aws.operators.sqs"


def run(code: str, *args: str) -> dict[str, float]:
    """Run one measurement in a fresh interpreter; return its JSON line plus the process's wall time."""
    start = time.perf_counter()
    command = [sys.executable, "-c", code, PACKAGE, *args]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if proc.returncode:
        raise RuntimeError(f"benchmark process failed:\n{proc.stderr}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall"] = wall
    return result


def stale(cache: Path, module: str) -> None:
    """Make one module's record look edited (its files' stamps no longer match), leaving the files alone."""
    data = json.loads(cache.read_text())
    record = data["modules"][module]
    record["files"] = {path: [0, 0] for path in record["files"]}
    cache.write_text(json.dumps(data))


def main() -> int:
    """Print the table; 1 when extraction misses its target."""
    baseline = run(BASELINE)
    ours = run(OURS)
    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder) / "catalog-cache.json"
        run(OURS, str(cache))
        unchanged = run(OURS, str(cache))
        stale(cache, EDITED)
        edited = run(OURS, str(cache))
    print(f"Cataloguing `{PACKAGE}`, each in a fresh process (Airflow's import included).\n")
    print("| approach | in-process time | process wall | peak RSS | classes | notes |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(
        f"| baseline: walk_packages + import every module + issubclass | {baseline['seconds']:.2f} s "
        f"| {baseline['wall']:.2f} s | {baseline['rss_mb']:.0f} MB | {baseline['classes']:.0f} "
        "| classes of modules that fail to import are lost |"
    )
    print(
        f"| collect_catalog (discover, extract, examples, conventions, JSON) | {ours['seconds']:.2f} s "
        f"| {ours['wall']:.2f} s | {ours['rss_mb']:.0f} MB | {ours['classes']:.0f} "
        f"| {ours['from_source']:.0f} read from source; {ours['parameters']:.0f} parameters; "
        f"{ours['findings']:.0f} findings |"
    )
    for label, result in (
        ("collect_catalog with a filled cache, nothing changed", unchanged),
        (f"collect_catalog with a filled cache, `{EDITED.rsplit('.', 1)[1]}` changed", edited),
    ):
        print(
            f"| {label} | {result['seconds']:.2f} s | {result['wall']:.2f} s | {result['rss_mb']:.0f} MB "
            f"| {result['classes']:.0f} | Airflow imported: {'yes' if result['airflow'] else 'no'} |"
        )
    ratio = ours["seconds"] / baseline["seconds"]
    print(f"\nRatio ours / baseline: {ratio:.2f}. Target: collect_catalog under {TARGET_SECONDS:.0f} s.")
    return 0 if ours["seconds"] < TARGET_SECONDS else 1
