"""A small dense network: hidden layers learn a boundary a straight line cannot.

Mirrors workflow 3 of the "first model" tutorials: Dense(32) -> Dense(16,
relu) -> Dense(1, sigmoid), Adam, binary cross-entropy.

What tfstarter does for you: ``tfs.models.dense(2, classes=2, hidden=(32,
16))`` builds that network — every hidden layer with its activation (the
tutorial's first layer has none, which makes it a linear map that adds
nothing), dropout for a classifier, the sigmoid head, binary cross-entropy
and the ``accuracy`` / ``auc`` metrics. `tfs.data.split` holds out
validation and test data, and the script prints the train / validation gap
to watch for overfitting. The data is a disc of positives inside a square:
a logistic model (no hidden layer) cannot beat the majority class on it,
the dense network can.

Run:
    python examples/03_small_dense_network.py            # full run (~30 s)
    python examples/03_small_dense_network.py --quick    # smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np

import tfstarter as tfs


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="a smoke test: tiny data, seconds"
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=Path("artifacts") / Path(__file__).stem,
        help="where results are written (default: %(default)s)",
    )
    return parser.parse_args()


def check(ok: bool, message: str) -> None:
    """Exit with status 1 and ``message`` unless ``ok``."""
    if not ok:
        sys.exit(f"FAILED: {message}")


def main() -> None:
    args = parse_args()
    keras.utils.set_random_seed(0)

    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(1000 if args.quick else 10_000, 2)).astype("float32")
    y = ((x**2).sum(axis=1) < 0.5).astype("int64")  # 1 inside the disc
    train, val, test = tfs.data.split(x, y, fractions=(0.8, 0.1, 0.1), seed=0)
    epochs = 1 if args.quick else 30

    results = {}
    for name, model in (
        ("logistic", tfs.models.logistic(2)),
        ("dense", tfs.models.dense(2, classes=2, hidden=(32, 16))),
    ):
        trainer = tfs.Trainer(model, loop="custom")
        history = trainer.fit(
            train, validation_data=val, epochs=epochs, batch_size=32, verbose=0, seed=0
        )
        scores = trainer.evaluate(test, verbose=0)
        gap = history.history["accuracy"][-1] - history.history["val_accuracy"][-1]
        print(
            f"{name:8}: test accuracy {scores['accuracy']:.2%}, AUC "
            f"{scores['auc']:.3f}, train - validation accuracy {gap:+.2%}"
        )
        results[name] = {**scores, "train_minus_val_accuracy": gap}
    print(f"majority class: {max(test[1].mean(), 1 - test[1].mean()):.2%}")

    args.output_dir.mkdir(parents=True, exist_ok=True)
    (args.output_dir / "results.json").write_text(json.dumps(results, indent=2))

    check(np.isfinite(results["dense"]["loss"]), "the dense model's loss is not finite")
    if not args.quick:
        accuracy = results["dense"]["accuracy"]
        check(accuracy >= 0.95, f"dense test accuracy {accuracy:.2%} < 95%")


if __name__ == "__main__":
    main()
