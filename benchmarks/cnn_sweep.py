"""The sweep behind the default `cnn`: one change at a time, `CNN_RECIPE`'s epochs.

Trains the default CNN as the defaults were before (``filters=(16, 64)``,
``dropout=0.3``, a one-cycle peak of 5e-3) and with one change at a time,
through ``recipe.fit`` (a `tfs.Trainer` with its defaults) on MNIST, seeds
0, 1 and 2, and prints a Markdown table of the median test accuracy and the
median wall time of training. The models guide ("Why the default CNN is
shaped as it is") shows its result. About 25 minutes on 2 cores.

    python benchmarks/cnn_sweep.py            # every variant
    python benchmarks/cnn_sweep.py --seeds 1  # one seed each, quicker

Runs with oneDNN on, as the ``tfstarter`` command does on x86 CPUs (unless
``TF_ENABLE_ONEDNN_OPTS`` is set). Data comes from ``$TFSTARTER_DATA_DIR``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import cpu_model
from tfstarter.cli._onednn import prefer_onednn

prefer_onednn()

BEFORE_MODEL: dict[str, Any] = {"filters": (16, 64), "dropout": 0.3}
BEFORE_RECIPE: dict[str, Any] = {"learning_rate": 5e-3}

VARIANTS: tuple[tuple[str, dict[str, Any], dict[str, Any]], ...] = (
    # name, model changes, recipe changes (from the defaults before)
    ("none (the defaults before)", {}, {}),
    ("4 epochs", {}, {"epochs": 4}),
    ("batch 64", {}, {"batch_size": 64}),
    ("peak 1e-2", {}, {"learning_rate": 1e-2}),
    ("dropout 0.1", {"dropout": 0.1}, {}),
    ("peak 1e-2, dropout 0.1", {"dropout": 0.1}, {"learning_rate": 1e-2}),
    (
        "peak 1e-2, dropout 0.1, `hidden=(256,)`",
        {"dropout": 0.1, "hidden": (256,)},
        {"learning_rate": 1e-2},
    ),
    ("`filters=(16, 96)`", {"filters": (16, 96)}, {}),
    ("`filters=(16, 96)`, peak 1e-2", {"filters": (16, 96)}, {"learning_rate": 1e-2}),
    (
        "`filters=(16, 96)`, peak 1e-2, dropout 0.1",
        {"filters": (16, 96), "dropout": 0.1},
        {"learning_rate": 1e-2},
    ),
)


def run(
    model_changes: dict[str, Any], recipe_changes: dict[str, Any], seed: int, data: Any
) -> tuple[float, float]:
    """Train one variant from ``seed``; return its test accuracy and seconds."""
    import keras

    import tfstarter as tfs

    (x_train, y_train), (x_test, y_test) = data
    keras.utils.set_random_seed(seed)
    model = tfs.models.cnn(
        (28, 28),
        classes=10,
        rescale=1 / 255,
        seed=seed,
        **{**BEFORE_MODEL, **model_changes},
    )
    recipe = dataclasses.replace(
        tfs.models.CNN_RECIPE, **{**BEFORE_RECIPE, **recipe_changes}
    )
    start = time.perf_counter()
    trainer = recipe.trainer(model)
    recipe.fit(trainer, x_train, y_train, seed=seed, verbose=0)
    seconds = time.perf_counter() - start
    accuracy = trainer.evaluate(x_test, y_test, batch_size=1000, verbose=0)["accuracy"]
    keras.backend.clear_session()
    return float(accuracy), seconds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds per variant")
    args = parser.parse_args(argv)
    import tfstarter as tfs

    data = tfs.datasets.mnist()
    print(
        f"CPU: {cpu_model()}; TF_ENABLE_ONEDNN_OPTS="
        f"{os.environ.get('TF_ENABLE_ONEDNN_OPTS', 'unset')}\n"
    )
    print("| change | test accuracy | per seed | time |\n|---|---:|---|---:|")
    for name, model_changes, recipe_changes in VARIANTS:
        runs = [
            run(model_changes, recipe_changes, seed, data) for seed in range(args.seeds)
        ]
        accuracies = [accuracy for accuracy, _ in runs]
        shown = ", ".join(f"{100 * accuracy:.2f}" for accuracy in accuracies)
        print(
            f"| {name} | {100 * statistics.median(accuracies):.2f}% | {shown} | "
            f"{statistics.median(seconds for _, seconds in runs):.0f} s |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
