"""Distributed training: the same model on several replicas with MirroredStrategy.

Mirrors workflow 11 of the "first model" tutorials: build and compile the
model inside ``tf.distribute.MirroredStrategy().scope()``, then train as
usual; each replica gets a slice of every batch and the gradients are
summed across replicas.

What tfstarter does for you: a tfstarter builder called inside
``strategy.scope()`` creates its variables there, and
``tfs.Trainer(model, loop="custom", strategy=strategy)`` runs its compiled
step with ``strategy.run`` on a distributed dataset (several steps per call,
per-replica logs averaged); ``loop="fit"`` works too. With GPUs there is
one replica per GPU; on a machine without, this script splits the CPU into
two logical devices so that two replicas really run. The model is the
MNIST dense network of ``04_mnist_dense.py``.

Run (needs MNIST; set TFSTARTER_DATA_DIR to a folder holding ``mnist/``):
    python examples/11_distributed_training.py            # full run (~1.5 min)
    python examples/11_distributed_training.py --quick    # smoke test
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
import tensorflow as tf

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


def mirrored_strategy() -> tf.distribute.MirroredStrategy:
    """One replica per GPU; without GPUs, two replicas on two logical CPUs.

    Logical devices must be set up before TensorFlow first uses a device.
    """
    if tf.config.list_physical_devices("GPU"):
        return tf.distribute.MirroredStrategy()  # every visible GPU
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )
    return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])


def main() -> None:
    args = parse_args()
    strategy = mirrored_strategy()
    replicas = strategy.num_replicas_in_sync
    print(f"{replicas} replicas: {', '.join(strategy.extended.worker_devices)}")
    keras.utils.set_random_seed(0)

    (x_train, y_train), (x_test, y_test) = tfs.datasets.mnist()
    if args.quick:  # 2,000 training and 1,000 test images, one epoch
        x_train, y_train = x_train[:2000], y_train[:2000]
        x_test, y_test = x_test[:1000], y_test[:1000]
    train, val = tfs.data.split(
        x_train, y_train, fractions=(0.9, 0.1), stratify=True, seed=0
    )

    with strategy.scope():  # variables are mirrored on every replica
        model = tfs.models.dense((28, 28), classes=10, rescale=1 / 255)
    trainer = tfs.Trainer(model, loop="custom", strategy=strategy)
    batch_size = 64 * replicas  # the global batch; each replica gets 64
    trainer.fit(
        tfs.data.from_arrays(*train, batch_size=batch_size, shuffle=True, seed=0),
        validation_data=tfs.data.from_arrays(*val, batch_size=1000),
        epochs=1 if args.quick else 5,
        verbose=2,
    )
    scores = trainer.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    print(f"test accuracy {scores['accuracy']:.2%} with {replicas} replicas")

    args.output_dir.mkdir(parents=True, exist_ok=True)
    results = {**scores, "replicas": replicas, "global_batch_size": batch_size}
    (args.output_dir / "results.json").write_text(json.dumps(results, indent=2))

    check(trainer.strategy is strategy, "the Trainer did not run under the strategy")
    check(np.isfinite(scores["loss"]), "the test loss is not finite")
    if not args.quick:
        check(scores["accuracy"] >= 0.97, f"test accuracy {scores['accuracy']:.2%}")


if __name__ == "__main__":
    main()
