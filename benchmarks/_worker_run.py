r"""One training process of the multi-worker benchmark (``benchmarks/backups.py``).

The same script is the single-process contender (no ``TF_CONFIG``) and every
worker of a run through the launcher::

    python benchmarks/_worker_run.py --model MLP --out OUT
    python -m tfstarter.launch --workers 2 -- \
        benchmarks/_worker_run.py --model MLP --out OUT

It trains ``Trainer(loop="custom")`` with its defaults under
`tfstarter.training.auto_strategy` on MNIST-shaped data in global batches (the
workers split each one), times ``--rounds`` ``fit`` calls of ``--epochs``
epochs after an untimed warm-up epoch, then (under a multi-worker strategy)
times the all-reduce of one set of gradients, and writes ``OUT/<task>.json``
(``single`` or ``worker<i>``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tfstarter as tfs

# Collective ops are set up when the strategy is made: before any other TF work.
STRATEGY = tfs.training.auto_strategy()

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _trainer_contenders import compiled  # noqa: E402

ALL_REDUCE_REPEATS = 30


def task_name() -> str:
    config = os.environ.get("TF_CONFIG")
    if not config:
        return "single"
    task = json.loads(config)["task"]
    return f"{task['type']}{task['index']}"


def build(name: str) -> keras.Model:
    """``MLP``: the trainer benchmark's MLP; ``CNN``: ``tfs.models.cnn`` for MNIST."""
    if name == "MLP":
        return compiled("MLP")
    return tfs.models.cnn((28, 28), classes=10, seed=0)


def dataset(samples: int, global_batch: int) -> tf.data.Dataset:
    """MNIST-shaped global batches; DATA sharding splits each between the workers."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(samples, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, size=samples).astype("int64")
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.DATA
    )
    return (
        tf.data.Dataset.from_tensor_slices((x, y))
        .batch(global_batch, drop_remainder=True)
        .map(lambda x, y: (tf.cast(x, "float32") / 255.0, y))
        .prefetch(tf.data.AUTOTUNE)
        .with_options(options)
    )


def all_reduce_seconds(model: keras.Model) -> list[float]:
    """Times of one all-reduce (sum) of tensors shaped like the gradients."""
    tensors = [tf.ones(v.shape, v.dtype) for v in model.trainable_variables]

    def replica() -> Any:
        context = tf.distribute.get_replica_context()
        return context.all_reduce(tf.distribute.ReduceOp.SUM, tensors)

    @tf.function
    def reduce() -> Any:
        return STRATEGY.run(replica)

    def once() -> float:
        start = time.perf_counter()
        result = reduce()
        tf.nest.flatten(result)[0].numpy()
        return time.perf_counter() - start

    for _ in range(3):
        once()
    return [once() for _ in range(ALL_REDUCE_REPEATS)]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["MLP", "CNN"], required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--samples", type=int, default=25_600)
    parser.add_argument("--global-batch", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    with STRATEGY.scope():
        model = build(args.model)
    data = dataset(args.samples, args.global_batch)
    steps = int(data.cardinality())
    trainer = tfs.Trainer(model, "custom")
    start = time.perf_counter()
    trainer.fit(data, epochs=1, verbose=0)  # traces
    warm_up = time.perf_counter() - start
    rates = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        trainer.fit(data, epochs=args.epochs, verbose=0)
        seconds = time.perf_counter() - start
        rates.append(args.epochs * steps * args.global_batch / seconds)
    replicas = STRATEGY.num_replicas_in_sync
    reduce_times = all_reduce_seconds(model) if replicas > 1 else []
    result = {
        "task": task_name(),
        "strategy": type(STRATEGY).__name__,
        "replicas": replicas,
        "model": args.model,
        "global_batch": args.global_batch,
        "steps_per_epoch": steps,
        "parameters": int(sum(np.prod(v.shape) for v in model.trainable_variables)),
        "warm_up_seconds": warm_up,
        "rates": rates,
        "all_reduce_seconds": reduce_times,
        "all_reduce_median": statistics.median(reduce_times) if reduce_times else 0.0,
        "xla": trainer.xla.reason,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{task_name()}.json"
    path.write_text(json.dumps(result), encoding="utf-8")
    print(f"wrote {path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
