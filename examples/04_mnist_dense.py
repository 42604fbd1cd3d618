"""MNIST with a dense network (multilayer perceptron).

Mirrors workflow 4 of the "first model" tutorials: pixels / 255, Flatten ->
Dense(128, relu) -> Dropout(0.2) -> Dense(10), Adam, sparse categorical
cross-entropy, 5 epochs, 10% validation split: 97-98% test accuracy.

What tfstarter does for you: ``tfs.models.dense((28, 28), classes=10,
rescale=1 / 255)`` flattens the images, scales the raw uint8 pixels *inside*
the model (the saved model takes images as they come), and picks the softmax
head, the loss and the ``accuracy`` metric. ``tfs.models.DENSE_RECIPE.fit(
model, x, y)`` trains it the way its defaults (hidden layers 256 and 128,
dropout 0.2) were tuned: its epochs and batch size, its learning-rate
schedule and 10% of the training data held out for validation, in the
Trainer's compiled loop. (The tutorial's own network is
``tfs.models.dense((28, 28), classes=10, hidden=(128,), rescale=1 / 255)``.)

Run (needs MNIST; set TFSTARTER_DATA_DIR to a folder holding ``mnist/``):
    python examples/04_mnist_dense.py            # full run (~1 min on 2 cores)
    python examples/04_mnist_dense.py --quick    # smoke test on 2,000 images
"""

from __future__ import annotations

import argparse
import dataclasses
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

    (x_train, y_train), (x_test, y_test) = tfs.datasets.mnist()
    recipe = tfs.models.DENSE_RECIPE
    if args.quick:  # 2,000 training and 1,000 test images, one epoch
        x_train, y_train = x_train[:2000], y_train[:2000]
        x_test, y_test = x_test[:1000], y_test[:1000]
        recipe = dataclasses.replace(recipe, epochs=1)

    model = tfs.models.dense((28, 28), classes=10, rescale=1 / 255, seed=0)
    trainer = recipe.trainer(model)  # tfs.Trainer(model, loop="custom")
    # the recipe's epochs, batch size, schedule and 10% validation hold-out
    history = recipe.fit(trainer, x_train, y_train, verbose=2, seed=0)
    scores = trainer.evaluate(x_test, y_test, batch_size=1000, verbose=0)

    train_accuracy = history.history["accuracy"][-1]
    val_accuracy = history.history["val_accuracy"][-1]
    print(f"train accuracy {train_accuracy:.2%}, validation {val_accuracy:.2%}")
    print(f"test accuracy {scores['accuracy']:.2%} (the tutorial: 97-98%)")

    args.output_dir.mkdir(parents=True, exist_ok=True)
    results = {**scores, "train_accuracy": train_accuracy, "val_accuracy": val_accuracy}
    (args.output_dir / "results.json").write_text(json.dumps(results, indent=2))

    check(np.isfinite(scores["loss"]), "the test loss is not finite")
    if not args.quick:
        check(
            scores["accuracy"] >= 0.98, f"test accuracy {scores['accuracy']:.2%} < 98%"
        )


if __name__ == "__main__":
    main()
