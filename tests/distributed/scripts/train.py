"""Train a tiny classifier with plain Keras under `auto_strategy()`; save the weights.

The same script is the single-process reference (no ``TF_CONFIG``: default
strategy) and every worker of a multi-worker run::

    python tests/distributed/scripts/train.py --loop fit custom --out OUT
    python -m tfstarter.launch --workers 2 -- \\
        tests/distributed/scripts/train.py --loop fit custom --out OUT

Each process writes ``OUT/<name>.json`` (``name`` is ``worker<i>`` under
``TF_CONFIG``, else ``single``) with, per loop, the final weights, the
per-epoch mean training loss and the batch size one replica's step was traced
with, so a test can check that the workers agree with each other and with one
process training on the same global batches, and that they split the work.
With ``--progress-dir DIR`` it also writes ``DIR/<name>.pid`` at the start and
``DIR/<name>.epoch`` (epochs done) after every epoch, for tests that stop a
worker mid-run.

Loops:

* ``fit``: ``model.fit`` / ``model.evaluate``, with the two Keras 3
  multi-worker workarounds of `patch_keras_fit` applied under a
  multi-worker strategy.
* ``custom``: a hand-written loop: ``strategy.experimental_distribute_dataset``,
  ``strategy.run`` of a ``tf.GradientTape`` step, the per-example loss summed
  and divided by the *global* batch size (``tf.nn.compute_average_loss``), the
  Keras optimizer all-reducing the gradients.

Data: ``--samples`` rows of 4 Gaussian features, 3 classes, unshuffled,
batched with the global batch size, auto-shard policy ``DATA``: each step's
global batch is split between the workers, so the two workers together see
exactly the batches the single process sees.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Collective ops are configured when MultiWorkerMirroredStrategy is made, so it
# must come before any other TensorFlow work.
from tfstarter.training._strategy import auto_strategy

STRATEGY = auto_strategy()

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

FEATURES = 4
CLASSES = 3
LEARNING_RATE = 0.1


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loop", nargs="+", choices=["fit", "custom"], required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--global-batch", type=int, default=16)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--progress-dir",
        type=Path,
        help="write <name>.pid at start and <name>.epoch after each epoch here",
    )
    return parser.parse_args(argv)


def task_name() -> str:
    config = os.environ.get("TF_CONFIG")
    if not config:
        return "single"
    task = json.loads(config)["task"]
    return f"{task['type']}{task['index']}"


def report_progress(folder: Path | None, suffix: str, value: object) -> None:
    """Write ``folder/<name>.<suffix>`` atomically (for tests that watch a run)."""
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{task_name()}.{suffix}"
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(str(value))
    temporary.replace(path)


def arrays(samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(samples, FEATURES)).astype("float32")
    y = (np.argmax(x[:, :CLASSES], axis=1)).astype("int64")
    return x, y


def dataset(x: np.ndarray, y: np.ndarray, global_batch: int) -> tf.data.Dataset:
    """Global batches; DATA sharding splits each one between the workers."""
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.DATA
    )
    return (
        tf.data.Dataset.from_tensor_slices((x, y))
        .batch(global_batch, drop_remainder=True)
        .with_options(options)
    )


def build_model(seed: int) -> keras.Model:
    """A two-layer MLP; call inside ``STRATEGY.scope()``."""
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input((FEATURES,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(CLASSES),
        ]
    )


def multi_worker(strategy: tf.distribute.Strategy) -> bool:
    return bool(
        isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
        and strategy.extended._in_multi_worker_mode()
    )


def patch_keras_fit(model: keras.Model) -> None:
    """Work around Keras 3's ``model.fit`` under multi-worker MWMS (Keras <= 3.15).

    1. ``fit``/``evaluate`` first build the model "symbolically" from one
       batch, which they average over workers with ``strategy.reduce`` on the
       whole ``(x, y)`` structure; with more than one worker TensorFlow's
       collective reduce accepts one tensor only: ``ValueError: Attempt to
       convert a value (PerReplica:...) with an unsupported type``. Keras
       skips that step for a model it believes was made outside any strategy,
       so forget the strategy (``_distribute_strategy = None``) and call
       ``fit`` inside ``strategy.scope()``, where Keras finds it again.
    2. Every step's logs (scalars) are averaged over workers with
       ``strategy.reduce("MEAN", value, axis=0)``: ``ValueError: Invalid
       reduction dimension 0 for input with 0 dimensions``
       (keras-team/keras #20585, tensorflow/tensorflow #72388). Returning the
       logs with shape ``[1]`` from ``train_step``/``test_step`` makes that
       reduction the mean over workers.

    ``steps_per_execution`` must stay 1: with more, Keras' step loop
    (``tf.while_loop`` over optional batches) fails under any strategy with
    ``You must feed a value for placeholder tensor ...``.
    """
    model._distribute_strategy = None
    for name in ("train_step", "test_step"):
        step = getattr(model, name)

        def rank_one_logs(data: Any, step: Any = step) -> dict[str, tf.Tensor]:
            return {key: tf.reshape(value, [1]) for key, value in step(data).items()}

        setattr(model, name, rank_one_logs)


def train_fit(args: argparse.Namespace, ds: tf.data.Dataset) -> dict[str, Any]:
    with STRATEGY.scope():
        model = build_model(args.seed)
        model.compile(
            optimizer=keras.optimizers.SGD(LEARNING_RATE),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
    replica_batches: list[int] = []
    train_step = model.train_step

    def record(size: np.ndarray) -> np.ndarray:
        replica_batches.append(int(size))
        return size

    def recording_train_step(data: Any) -> Any:
        # Keras traces fit's step with an unknown batch size: record it as it runs.
        tf.numpy_function(record, [tf.shape(data[0])[0]], tf.int32, stateful=True)
        return train_step(data)

    model.train_step = recording_train_step
    if multi_worker(STRATEGY):
        patch_keras_fit(model)
    progress = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: report_progress(
            args.progress_dir, "epoch", epoch + 1
        )
    )
    with STRATEGY.scope():
        history = model.fit(
            ds,
            epochs=args.epochs,
            validation_data=ds,
            verbose=2,
            shuffle=False,
            callbacks=[progress],
        )
        evaluation = model.evaluate(ds, verbose=0, return_dict=True)
    return {
        "replica_batch": sorted(set(replica_batches)),
        "weights": [w.tolist() for w in model.get_weights()],
        "loss": history.history["loss"],
        "val_loss": history.history["val_loss"],
        "evaluate": evaluation,
    }


def train_custom(args: argparse.Namespace, ds: tf.data.Dataset) -> dict[str, Any]:
    global_batch = args.global_batch
    with STRATEGY.scope():
        model = build_model(args.seed)
        optimizer = keras.optimizers.SGD(LEARNING_RATE)
        optimizer.build(model.trainable_variables)
        per_example_loss = keras.losses.SparseCategoricalCrossentropy(
            from_logits=True, reduction=None
        )

    replica_batches: list[int | None] = []

    def replica_step(x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        replica_batches.append(x.shape[0])  # runs when traced
        with tf.GradientTape() as tape:
            losses = per_example_loss(y, model(x, training=True))
            # Summed over this replica's examples, divided by the global batch:
            # the all-reduce (a SUM) of the gradients then gives the gradient of
            # the mean loss over the global batch.
            loss = tf.nn.compute_average_loss(losses, global_batch_size=global_batch)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(
            zip(gradients, model.trainable_variables, strict=True)
        )
        return loss

    @tf.function
    def train_step(batch: Any) -> tf.Tensor:
        per_replica = STRATEGY.run(replica_step, args=batch)
        return STRATEGY.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    distributed = STRATEGY.experimental_distribute_dataset(ds)
    epoch_losses = []
    for epoch in range(args.epochs):
        losses = [float(train_step(batch)) for batch in distributed]
        epoch_losses.append(sum(losses) / len(losses))
        report_progress(args.progress_dir, "epoch", epoch + 1)
    return {
        "replica_batch": sorted(set(replica_batches)),
        "weights": [w.tolist() for w in model.get_weights()],
        "loss": epoch_losses,
    }


def main(argv: list[str]) -> int:
    args = parse(argv)
    if args.global_batch % STRATEGY.num_replicas_in_sync:
        raise SystemExit(
            f"--global-batch {args.global_batch} must be a multiple of the "
            f"{STRATEGY.num_replicas_in_sync} replicas"
        )
    report_progress(args.progress_dir, "pid", os.getpid())
    x, y = arrays(args.samples, args.seed)
    ds = dataset(x, y, args.global_batch)
    result: dict[str, Any] = {
        "strategy": type(STRATEGY).__name__,
        "multi_worker": multi_worker(STRATEGY),
        "replicas": STRATEGY.num_replicas_in_sync,
        "loops": {},
    }
    for loop in args.loop:
        train = train_fit if loop == "fit" else train_custom
        began = time.perf_counter()
        result["loops"][loop] = train(args, ds)
        print(
            f"{loop}: loss per epoch {result['loops'][loop]['loss']} "
            f"({time.perf_counter() - began:.1f} s)",
            flush=True,
        )
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{task_name()}.json"
    path.write_text(json.dumps(result), encoding="utf-8")
    print(f"wrote {path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
