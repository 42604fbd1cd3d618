"""Train a tiny classifier with ``tfs.Trainer`` under `auto_strategy()`; save it.

The same script is the single-process reference (no ``TF_CONFIG``) and every
worker of a run through the launcher::

    python tests/distributed/scripts/trainer_run.py --loop custom --out OUT
    python -m tfstarter.launch --workers 2 -- \\
        tests/distributed/scripts/trainer_run.py --loop custom --out OUT

Each process writes ``OUT/<name>.json`` (``worker<i>`` or ``single``) with the
final weights and the History. ``--backup-dir DIR`` trains with backups in
``DIR``; ``--die-after-epoch N`` makes worker 0 SIGKILL itself once epoch N
ended (the launcher then stops the others), for the restart test.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tfstarter as tfs

# Collective ops are set up when the strategy is made: before any other TF work.
STRATEGY = tfs.training.auto_strategy()

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


def task_name() -> str:
    config = os.environ.get("TF_CONFIG")
    if not config:
        return "single"
    task = json.loads(config)["task"]
    return f"{task['type']}{task['index']}"


def dataset(
    samples: int, global_batch: int, nan_row: int | None = None
) -> tf.data.Dataset:
    """Global batches; DATA sharding splits each one between the workers."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(samples, 4)).astype("float32")
    if nan_row is not None:
        x[nan_row] = np.nan
    y = np.argmax(x[:, :3], axis=1).astype("int64")
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.DATA
    )
    return (
        tf.data.Dataset.from_tensor_slices((x, y))
        .batch(global_batch, drop_remainder=True)
        .with_options(options)
    )


class DieAfterEpoch(keras.callbacks.Callback):
    """Worker 0 kills itself (SIGKILL) at the end of one epoch."""

    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if epoch + 1 == self.epoch and task_name() == "worker0":
            os.kill(os.getpid(), signal.SIGKILL)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loop", choices=["fit", "custom"], required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=96)
    parser.add_argument("--global-batch", type=int, default=16)
    parser.add_argument("--backup-dir", type=Path)
    parser.add_argument("--die-after-epoch", type=int, default=0)
    parser.add_argument("--nan-row", type=int)
    args = parser.parse_args(argv)

    with STRATEGY.scope():
        keras.utils.set_random_seed(7)
        model = keras.Sequential(
            [
                keras.Input((4,)),
                keras.layers.Dense(8, activation="relu"),
                keras.layers.Dense(3),
            ]
        )
        model.compile(
            optimizer=keras.optimizers.SGD(0.1),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
    callbacks = [DieAfterEpoch(args.die_after_epoch)] if args.die_after_epoch else []
    data = dataset(args.samples, args.global_batch, args.nan_row)
    result: dict[str, Any] = {
        "strategy": type(STRATEGY).__name__,
        "replicas": STRATEGY.num_replicas_in_sync,
    }
    try:
        history = tfs.Trainer(model, args.loop).fit(
            data,
            epochs=args.epochs,
            verbose=2,
            callbacks=callbacks,
            backup_dir=args.backup_dir,
        )
        result["history"] = history.history
    except tfs.errors.TrainingError as error:
        if args.nan_row is None:
            raise
        result["error"] = str(error)
    result["iterations"] = int(np.asarray(model.optimizer.iterations.numpy()))
    result["weights"] = [w.tolist() for w in model.get_weights()]
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{task_name()}.json"
    path.write_text(json.dumps(result), encoding="utf-8")
    print(f"wrote {path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
