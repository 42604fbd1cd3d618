"""How much ``import tfstarter`` costs on top of ``import tensorflow``.

Each measurement runs in a fresh interpreter: TensorFlow (which also loads
Keras) is imported first, then the clock runs around ``import tfstarter`` and
then around the first access to every subpackage. The median of ``--repeats``
runs is reported and written to ``docs/benchmarks/import_time.md``.

Run: ``python benchmarks/import_time.py`` (or ``nox -s bench``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from _machine import machine_summary, write_markdown

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks" / "import_time.md"

PROBE = r"""
import json, os, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow
timings = {}
start = time.perf_counter()
import tfstarter
timings["tfstarter"] = time.perf_counter() - start
for name in ("datasets", "data", "models", "training", "export"):
    start = time.perf_counter()
    getattr(tfstarter, name)
    timings["tfstarter." + name] = time.perf_counter() - start
print("RESULT", json.dumps(timings))
"""


def measure(repeats: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {}
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-c", PROBE],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        line = next(row for row in out.splitlines() if row.startswith("RESULT "))
        for key, value in json.loads(line.removeprefix("RESULT ")).items():
            samples.setdefault(key, []).append(value)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="3 runs, no docs update")
    args = parser.parse_args()
    repeats = 3 if args.quick else args.repeats
    samples = measure(repeats)
    rows = ["| import | median (ms) | max (ms) |", "| --- | ---: | ---: |"]
    total = 0.0
    for key, values in samples.items():
        median = statistics.median(values) * 1000
        total += median
        rows.append(f"| `{key}` | {median:.1f} | {max(values) * 1000:.1f} |")
    rows.append(f"| **everything** | **{total:.1f}** | |")
    table = "\n".join(rows)
    print(table)
    if not args.quick:
        write_markdown(
            DOCS,
            "Import time",
            f"Cost of importing tfstarter after `import tensorflow` (which loads "
            f"Keras), median of {repeats} fresh interpreters. Subpackages load "
            f"lazily, on first attribute access.\n\n"
            f"Command: `python benchmarks/import_time.py`",
            table,
            machine_summary(),
        )


if __name__ == "__main__":
    main()
