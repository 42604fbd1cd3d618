"""A custom training loop: a compiled GradientTape step, and its gradients.

Mirrors workflow 7 of the "first model" tutorials, which write the training
step by hand::

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))

(the older versions with ``tf.Session`` and ``tf.train.AdamOptimizer`` no
longer run on TensorFlow 2).

What tfstarter does for you: ``tfs.Trainer(model, loop="custom")`` runs that
step — plus the metrics, regularization losses, mixed-precision loss scaling
and NaN checks the hand-written version forgets — compiled once with
``tf.function``, with batches read inside the graph and any Keras callback.
To watch the mechanics, a `tfs.training.Callback` can look at the gradients
of every step: here ``on_gradient_norm`` records their global norm (before
clipping), and the gradients are clipped to a global norm of 5.

Run (needs MNIST; set TFSTARTER_DATA_DIR to a folder holding ``mnist/``):
    python examples/07_custom_training_step.py            # full run (~1 min)
    python examples/07_custom_training_step.py --quick    # smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np

import tfstarter as tfs


class GradientNorms(tfs.training.Callback):
    """Record the global gradient norm of every training step."""

    def __init__(self) -> None:
        super().__init__()
        self.norms: list[float] = []
        self.epoch_start = 0

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Remember where this epoch's norms start."""
        self.epoch_start = len(self.norms)

    def on_gradient_norm(self, batch: int, norm: float) -> None:
        """Called by the Trainer after each step (tfstarter's own hook)."""
        self.norms.append(norm)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Summarize the epoch's gradient norms."""
        norms = np.array(self.norms[self.epoch_start :])
        print(
            f"epoch {epoch + 1}: |gradient| first {norms[0]:.3f}, median "
            f"{np.median(norms):.3f}, max {norms.max():.3f} over {len(norms)} steps"
        )


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
    if args.quick:  # 2,000 training and 1,000 test images, one epoch
        x_train, y_train = x_train[:2000], y_train[:2000]
        x_test, y_test = x_test[:1000], y_test[:1000]
    train, val = tfs.data.split(
        x_train, y_train, fractions=(0.9, 0.1), stratify=True, seed=0
    )

    model = tfs.models.dense((28, 28), classes=10, rescale=1 / 255)
    trainer = tfs.Trainer(
        model,
        loop="custom",
        clipping=tfs.training.GradientClipping("global_norm", 5.0),
    )
    norms = GradientNorms()
    trainer.fit(
        tfs.data.from_arrays(*train, batch_size=128, shuffle=True, seed=0),
        validation_data=tfs.data.from_arrays(*val, batch_size=1000),
        epochs=1 if args.quick else 3,
        callbacks=[norms],
        verbose=0,
    )
    scores = trainer.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    print(f"test accuracy {scores['accuracy']:.2%}")
    traces = trainer.trace_counts["train"]  # once, however many steps and epochs
    print(f"the training step was traced {traces} time(s) for {len(norms.norms)} steps")

    args.output_dir.mkdir(parents=True, exist_ok=True)
    results = {**scores, "trace_counts": trainer.trace_counts, "norms": norms.norms}
    (args.output_dir / "results.json").write_text(json.dumps(results, indent=2))

    check(len(norms.norms) > 0, "no gradient norm was recorded")
    check(bool(np.isfinite(norms.norms).all()), "a gradient norm is not finite")
    check(traces == 1, f"the training step was traced {traces} times")
    if not args.quick:
        accuracy = scores["accuracy"]
        check(accuracy >= 0.97, f"test accuracy {accuracy:.2%} < 97%")


if __name__ == "__main__":
    main()
