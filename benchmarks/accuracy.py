"""Accuracy benchmark: the tutorials' recipes vs tfstarter's defaults.

Trains, side by side in one run, the plain-Keras models of workflows 4 (dense)
and 5 (CNN) and tfstarter's `dense` and `cnn` with default settings and their
recommended recipes (`CNN_RECIPE`, `DENSE_RECIPE`), on MNIST and
Fashion-MNIST, and reports test accuracy and the wall time of training.

    python benchmarks/accuracy.py          # full run, rewrites the docs page
    python benchmarks/accuracy.py --quick  # smoke test: tiny subset, 1 epoch

Data comes from ``$TFSTARTER_DATA_DIR`` (or the other places
`tfstarter.datasets.mnist` looks).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import machine, write_page

ROOT = Path(__file__).resolve().parent.parent
DOCS_PAGE = ROOT / "docs" / "benchmarks" / "accuracy.md"
QUICK_PAGE = ROOT / "build" / "benchmarks" / "accuracy-quick.md"
DATASETS = ("mnist", "fashion_mnist")
QUICK_TRAIN, QUICK_TEST = 2000, 1000


def table(results: Sequence[Any]) -> str:
    """Render results as a markdown table."""
    lines = [
        "| dataset | model | recipe | epochs | batch | params | test accuracy "
        "| training time |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        r = dataclasses.asdict(result)
        lines.append(
            f"| {r['dataset']} | {r['run']} | {r['source']} | {r['epochs']} "
            f"| {r['batch_size']} | {r['params']:,} | {100 * r['test_accuracy']:.2f}% "
            f"| {r['fit_seconds']:.0f} s |"
        )
    return "\n".join(lines)


def find(results: Sequence[Any], dataset: str, run: str, source: str) -> Any:
    """Return the result of one run, or ``None`` if it was not run."""
    for result in results:
        if (result.dataset, result.run) == (dataset, run) and result.source.startswith(
            source
        ):
            return result
    return None


def verdicts(results: Sequence[Any]) -> list[str]:
    """Check the targets against ``results``: one line per target that was run."""
    lines = []
    dense = find(results, "mnist", "dense", "tfstarter")
    if dense is not None:
        ok = dense.test_accuracy >= 0.98
        lines.append(
            f"- MNIST `dense` at least 98.0%: {100 * dense.test_accuracy:.2f}% "
            f"({'met' if ok else 'NOT met'})"
        )
    cnn = find(results, "mnist", "cnn", "tfstarter")
    tutorial = find(results, "mnist", "cnn", "tutorial")
    if cnn is not None:
        ok = cnn.test_accuracy >= 0.993
        line = (
            f"- MNIST `cnn` at least 99.3%: {100 * cnn.test_accuracy:.2f}% "
            f"({'met' if ok else 'NOT met'})"
        )
        if tutorial is not None:
            ratio = cnn.fit_seconds / tutorial.fit_seconds
            line += (
                f"; in at most half the tutorial CNN's training time: "
                f"{cnn.fit_seconds:.0f} s vs {tutorial.fit_seconds:.0f} s, "
                f"{100 * ratio:.0f}% ({'met' if ratio <= 0.5 else 'NOT met'})"
            )
        lines.append(line)
    fashion = find(results, "fashion_mnist", "cnn", "tfstarter")
    if fashion is not None:
        ok = fashion.test_accuracy >= 0.92
        lines.append(
            f"- Fashion-MNIST `cnn` at least 92.0%: "
            f"{100 * fashion.test_accuracy:.2f}% ({'met' if ok else 'NOT met'})"
        )
    return lines


def page(results: Sequence[Any], *, quick: bool) -> str:
    """Return the markdown page for ``results``."""
    intro = (
        "The tutorials' own recipes in plain Keras (workflows 4 and 5 of the "
        "workflow list) and tfstarter's builders with default settings and "
        "their recommended recipes (`CNN_RECIPE`, `DENSE_RECIPE`), trained "
        "side by side in one run of `python benchmarks/accuracy.py` on the "
        "same data (pixels / 255, the full training split with the recipe's "
        "validation hold-out, scored on the 10,000 test images). Training time "
        "is the wall time of `model.fit` (validation included), on CPU; it "
        "depends on what else the machine runs, so compare times within one run."
    )
    warning = (
        '\n\n!!! warning "Quick run"\n    A `--quick` smoke run on a tiny subset '
        "for one epoch; the numbers say nothing about accuracy.\n"
        if quick
        else ""
    )
    checks = "\n".join(verdicts(results)) or "- (no target was run)"
    return (
        f"# Model accuracy\n{warning}\n{intro}\n\n{table(results)}\n\n"
        f"Targets:\n\n{checks}\n\nMachine: {machine()}.\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke test: {QUICK_TRAIN} training and {QUICK_TEST} test images, "
        f"1 epoch; results are printed and written to {QUICK_PAGE.relative_to(ROOT)}, "
        f"never to the docs",
    )
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=DATASETS)
    parser.add_argument(
        "--only",
        nargs="+",
        choices=("tutorial", "tfstarter"),
        default=("tutorial", "tfstarter"),
        help="run only the tutorial recipes or only tfstarter's defaults",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help=f"where to write the page (default: {DOCS_PAGE.relative_to(ROOT)}, "
        f"or {QUICK_PAGE.relative_to(ROOT)} with --quick)",
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import tfstarter as tfs
    from _accuracy_runs import RUNS, train_and_test

    output = args.output or (QUICK_PAGE if args.quick else DOCS_PAGE)
    if args.quick and output.resolve() == DOCS_PAGE.resolve():
        parser.error("--quick results never overwrite the docs page")
    loaders = {"mnist": tfs.datasets.mnist, "fashion_mnist": tfs.datasets.fashion_mnist}
    results = []
    for dataset in args.datasets:
        (x_train, y_train), (x_test, y_test) = loaders[dataset]()
        if args.quick:
            x_train, y_train = x_train[:QUICK_TRAIN], y_train[:QUICK_TRAIN]
            x_test, y_test = x_test[:QUICK_TEST], y_test[:QUICK_TEST]
        for run in RUNS:
            if not any(run.source.startswith(kind) for kind in args.only):
                continue
            recipe = (
                dataclasses.replace(run.recipe, epochs=1) if args.quick else run.recipe
            )
            result = train_and_test(
                run,
                dataset,
                (x_train, y_train),
                (x_test, y_test),
                recipe=recipe,
                seed=args.seed,
            )
            results.append(result)
            print(
                f"{dataset:>13} {run.name:>5} {run.source:<22} "
                f"accuracy {100 * result.test_accuracy:6.2f}%  "
                f"fit {result.fit_seconds:7.1f} s",
                flush=True,
            )
    text = page(results, quick=args.quick)
    write_page(output, text)
    print(f"\n{table(results)}\n\nwritten to {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
