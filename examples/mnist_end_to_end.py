"""Train, evaluate and export an MNIST digit classifier: tfstarter's main job.

The whole "first model" workflow in one script: load MNIST, train the
default CNN with its recommended recipe (which holds out a validation set)
in the compiled custom loop, score it on the untouched test set, and export it to
every deployment format — H5, ``.keras``, a SavedModel for TensorFlow
Serving, and TFLite in float32 and full-integer int8 — each one loaded back
in its own runtime and checked against the Keras model before it is
published.

What tfstarter does for you: `tfs.datasets.mnist` finds the data offline
first; `tfs.models.cnn` takes raw uint8 images (scaled inside the model, so
every exported file takes images as they come) and picks the loss, metrics
and softmax head; ``tfs.models.CNN_RECIPE.fit`` trains it as its defaults
were tuned: epochs fixed in advance, batch size, one-cycle learning-rate
schedule, random one-pixel shifts, the last 10% of the training images held
out for validation (no early stopping: the schedule ends where the model is
best, and the test set is never looked at); `tfs.export.bundle` writes
and verifies all formats into one folder with a ``manifest.json``
(sizes, SHA-256, signatures, verification reports, library versions).
The script adds each artifact's accuracy on the full test set and writes
its summary to ``summary.json``.

Run from the repository root (writes to ``artifacts/mnist_end_to_end/``)::

    TFSTARTER_DATA_DIR=../shared/data .venv/bin/python examples/mnist_end_to_end.py
    .venv/bin/python examples/mnist_end_to_end.py --quick   # smoke test, ~30 s
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

TARGET_ACCURACY = 0.99


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="a smoke test: tiny data, seconds"
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=Path("artifacts") / Path(__file__).stem,
        help="where the models and summary.json go (default: %(default)s)",
    )
    return parser.parse_args()


def check(ok: bool, message: str) -> None:
    """Exit with status 1 and ``message`` unless ``ok``."""
    if not ok:
        sys.exit(f"FAILED: {message}")


def main() -> None:
    args = parse_args()
    keras.utils.set_random_seed(0)
    start = time.perf_counter()

    # Data: 60,000 training images (the recipe holds out the last 6,000 for
    # validation) and 10,000 test images.
    (x_train, y_train), (x_test, y_test) = tfs.datasets.mnist()
    recipe = tfs.models.CNN_RECIPE
    if args.quick:  # 3,000 training and 1,000 test images, one epoch
        x_train, y_train = x_train[:3000], y_train[:3000]
        x_test, y_test = x_test[:1000], y_test[:1000]
        recipe = dataclasses.replace(recipe, epochs=1)

    # Model and training: the recipe's epochs, batches, shifts and schedule.
    model = tfs.models.cnn((28, 28), classes=10, rescale=1 / 255, seed=0)
    trainer = recipe.trainer(model)  # tfs.Trainer(model, loop="custom")
    fit_start = time.perf_counter()
    history = recipe.fit(trainer, x_train, y_train, verbose=2, seed=0)
    train_seconds = time.perf_counter() - fit_start
    test = trainer.evaluate(
        tfs.data.from_arrays(x_test, y_test, batch_size=1000), verbose=0
    )
    print(f"\ntest accuracy {test['accuracy']:.2%} (loss {test['loss']:.4f})")

    # Export: every format, each verified on 1,000 real test images.
    bundle = tfs.export.bundle(
        model,
        args.output_dir / "export",
        quantize=(None, "int8"),
        representative_data=x_train[:500],  # int8 calibration: training images
        sample=x_test[:1000],
        overwrite=True,
    )
    artifacts = []
    for report in bundle.reports:
        predictions = tfs.export.load(report.path).predict(x_test)
        accuracy = float((predictions.argmax(axis=1) == y_test).mean())
        artifacts.append(
            {"key": report.key, **report.to_dict(), "test_accuracy": accuracy}
        )

    summary = {
        "test_accuracy": test["accuracy"],
        "test_loss": test["loss"],
        "epochs_run": len(history.history["loss"]),
        "val_accuracy": history.history["val_accuracy"][-1],
        "train_seconds": round(train_seconds, 1),
        "total_seconds": round(time.perf_counter() - start, 1),
        "quick": args.quick,
        "bundle": str(bundle.path),
        "artifacts": artifacts,
    }
    (args.output_dir / "summary.json").write_text(json.dumps(summary, indent=2))

    print(f"\n{'format':<12} {'size':>10}  verified  max |diff|  test accuracy")
    for entry in artifacts:
        verdict = "passed" if entry["passed"] else "FAILED"
        print(
            f"{entry['key']:<12} {entry['size_bytes'] / 1024:>7.0f} KiB  {verdict:<8}  "
            f"{entry['max_abs_diff']:>10.2g}  {entry['test_accuracy']:.2%}"
        )
    print(f"\nexported to {bundle.path}/ ({bundle.manifest_path.name} lists them)")
    print(f"summary: {args.output_dir / 'summary.json'}")
    print(f"trained in {train_seconds:.0f} s, {summary['total_seconds']:.0f} s in all")

    check(all(entry["passed"] for entry in artifacts), "an export failed its check")
    check(np.isfinite(test["loss"]), "the test loss is not finite")
    if not args.quick:
        check(
            test["accuracy"] >= TARGET_ACCURACY,
            f"test accuracy {test['accuracy']:.2%} < {TARGET_ACCURACY:.0%}",
        )


if __name__ == "__main__":
    main()
