"""Feeding a model with tf.data: shuffled batches from arrays and from files.

Mirrors workflow 6 of the "first model" tutorials:
``tf.data.Dataset.from_tensor_slices((x, y)).shuffle(...).batch(32)``.

What tfstarter does for you: `tfs.data.from_arrays` builds that pipeline
with the checks the tutorial leaves out (matching lengths, no NaN/Inf,
labels in ``[0, classes)``), a full uniform shuffle that is new every epoch
and reproducible from its ``seed``, and prefetching. `tfs.data.split`
holds out a stratified validation set first. `tfs.data.write_tfrecord` /
`tfs.data.from_tfrecord` store arrays as sharded TFRecord files and stream
them back (parallel reads, same order, same dtypes), for data that should
not live in memory; here the test set goes through files and scores exactly
as it does from arrays. The data is Fashion-MNIST.

Run (needs Fashion-MNIST; set TFSTARTER_DATA_DIR to a folder holding
``fashion-mnist/``):
    python examples/06_tf_data_feeding.py            # full run (~1 min)
    python examples/06_tf_data_feeding.py --quick    # smoke test
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

    (x_train, y_train), (x_test, y_test) = tfs.datasets.fashion_mnist()
    if args.quick:  # 2,000 training and 1,000 test images, one epoch
        x_train, y_train = x_train[:2000], y_train[:2000]
        x_test, y_test = x_test[:1000], y_test[:1000]
    train, val = tfs.data.split(
        x_train, y_train, fractions=(0.9, 0.1), stratify=True, seed=0
    )

    # from_tensor_slices(...).shuffle(...).batch(32), checked and seeded
    train_ds = tfs.data.from_arrays(
        *train, batch_size=32, shuffle=True, seed=0, classes=10
    )
    val_ds = tfs.data.from_arrays(*val, batch_size=256)
    images, labels = next(iter(train_ds))
    print(f"{len(train_ds)} batches of {tuple(images.shape)} {images.dtype.name}")
    print(f"epoch 1 starts with labels {labels.numpy()[:10]}")
    print(f"epoch 2 starts with labels {next(iter(train_ds))[1].numpy()[:10]}")
    same_seed = tfs.data.from_arrays(*train, batch_size=32, shuffle=True, seed=0)
    check(
        np.array_equal(next(iter(same_seed))[1], labels),
        "the same seed gave another order",
    )

    model = tfs.models.dense((28, 28), classes=10, rescale=1 / 255)
    trainer = tfs.Trainer(model, loop="custom")
    trainer.fit(
        train_ds, validation_data=val_ds, epochs=1 if args.quick else 5, verbose=2
    )

    # The test set as TFRecord shards, streamed back from disk.
    folder = args.output_dir / "fashion-mnist-test"
    shards = tfs.data.write_tfrecord(
        folder, x_test, y_test, num_shards=4, overwrite=True
    )
    print(f"wrote {len(shards)} shards to {folder}")
    from_files = trainer.evaluate(
        tfs.data.from_tfrecord(folder, batch_size=256), verbose=0
    )
    from_memory = trainer.evaluate(
        tfs.data.from_arrays(x_test, y_test, batch_size=256), verbose=0
    )
    print(
        f"test accuracy from arrays {from_memory['accuracy']:.2%}, "
        f"from TFRecord files {from_files['accuracy']:.2%}"
    )

    results = {"from_arrays": from_memory, "from_tfrecord": from_files}
    (args.output_dir / "results.json").write_text(json.dumps(results, indent=2))

    check(np.isfinite(from_memory["loss"]), "the test loss is not finite")
    check(
        abs(from_files["accuracy"] - from_memory["accuracy"]) < 1e-6,
        "the TFRecord copy of the test set scores differently",
    )
    if not args.quick:
        accuracy = from_memory["accuracy"]
        check(accuracy >= 0.85, f"test accuracy {accuracy:.2%} < 85%")


if __name__ == "__main__":
    main()
