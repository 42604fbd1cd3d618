"""MNIST with a convolutional network.

Mirrors workflow 5 of the "first model" tutorials: Conv2D with 4, 8 and 12
filters of 3x3 -> Flatten -> Dense(256) -> softmax, Adam, batch 1000, 25
epochs, 20% validation: 98.78% test accuracy (1.5 million parameters).

What tfstarter does for you: ``tfs.models.cnn((28, 28), classes=10,
rescale=1 / 255)`` takes the uint8 images as loaded (it adds the channel
axis and scales the pixels inside the model) and builds small conv blocks
(Conv2D -> max pooling -> batch normalization -> ReLU), a dense head with
dropout and a softmax output, compiled with sparse categorical
cross-entropy, Adam and ``accuracy``. ``tfs.models.CNN_RECIPE.fit(model, x,
y)`` trains it the way its defaults were tuned: a few epochs of batch 128
with a one-cycle learning-rate schedule, 10% held out for validation, in the
Trainer's compiled loop. ``--long`` uses `tfs.models.CNN_LONG_RECIPE`
instead: more epochs, with images shifted by up to 2 pixels at random, for
the last tenths of a percent. docs/benchmarks/accuracy.md has the
measured accuracy and time of both.

Run (needs MNIST; set TFSTARTER_DATA_DIR to a folder holding ``mnist/``):
    python examples/05_mnist_cnn.py            # full run (about a minute on 2 cores)
    python examples/05_mnist_cnn.py --long     # the longer recipe (a few minutes)
    python examples/05_mnist_cnn.py --quick    # smoke test on 2,000 images
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np

import tfstarter as tfs

TUTORIAL_ACCURACY = 0.9878


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="a smoke test: tiny data, seconds"
    )
    parser.add_argument(
        "--long", action="store_true", help="train with CNN_LONG_RECIPE"
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
    recipe = tfs.models.CNN_LONG_RECIPE if args.long else tfs.models.CNN_RECIPE
    if args.quick:  # 2,000 training and 1,000 test images, one epoch
        x_train, y_train = x_train[:2000], y_train[:2000]
        x_test, y_test = x_test[:1000], y_test[:1000]
        recipe = dataclasses.replace(recipe, epochs=1)

    model = tfs.models.cnn((28, 28), classes=10, rescale=1 / 255, seed=0)
    print(f"{model.count_params():,} parameters (the tutorial's CNN: 1,490,886)")
    trainer = recipe.trainer(model)  # tfs.Trainer(model, loop="custom")
    start = time.perf_counter()
    # the recipe's epochs, batches, shifts, one-cycle schedule and 10% hold-out
    history = recipe.fit(trainer, x_train, y_train, verbose=2, seed=0)
    seconds = time.perf_counter() - start
    scores = trainer.evaluate(x_test, y_test, batch_size=1000, verbose=0)

    val_accuracy = history.history["val_accuracy"][-1]
    print(f"trained in {seconds:.0f} s; validation accuracy {val_accuracy:.2%}")
    print(f"test accuracy {scores['accuracy']:.2%} (the tutorial: 98.78%)")

    args.output_dir.mkdir(parents=True, exist_ok=True)
    results = {**scores, "val_accuracy": val_accuracy, "train_seconds": seconds}
    (args.output_dir / "results.json").write_text(json.dumps(results, indent=2))

    check(np.isfinite(scores["loss"]), "the test loss is not finite")
    if not args.quick:
        check(
            scores["accuracy"] >= TUTORIAL_ACCURACY,
            f"test accuracy {scores['accuracy']:.2%} < the tutorial's 98.78%",
        )


if __name__ == "__main__":
    main()
