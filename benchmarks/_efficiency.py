"""How much of the machine the default CNN's training uses, and what changes it.

* `matmul_peak`: the machine's dense float32 matrix-multiply rate (the
  denominator of every "share of peak"), best of a few timed calls.
* `probe`: samples/s of training the default `tfs.models.cnn` on its
  recipe's pipeline, in a process whose environment (oneDNN on or off, thread
  counts) and Trainer settings the caller chooses. `run_probes` starts one
  process per setting, since TensorFlow reads these settings once per process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).resolve().parent / "time_to_accuracy.py"


def matmul_peak(size: int = 2048, calls: int = 5, rounds: int = 5) -> float:
    """The best float32 FLOP/s of ``size x size`` matrix products (2 n^3 each)."""
    import tensorflow as tf

    a = tf.random.stateless_normal((size, size), seed=(1, 2))
    b = tf.random.stateless_normal((size, size), seed=(3, 4))

    @tf.function
    def products() -> Any:
        total = tf.zeros((), tf.float32)
        for _ in range(calls):
            total += tf.reduce_sum(tf.linalg.matmul(a, b)[:1, :1])
        return total

    products().numpy()
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        products().numpy()
        best = max(best, calls * 2 * size**3 / (time.perf_counter() - start))
    return best


UNSET = "unset"
"""A probe's environment value that removes the variable."""


@dataclass(frozen=True)
class Probe:
    """One setting to time: environment, runner and Trainer options.

    ``env`` changes the main table's environment (`UNSET` removes a variable).
    """

    label: str
    env: dict[str, str] = field(default_factory=dict)
    runner: str = "trainer"  # "trainer" (recipe.fit's Trainer) or "fit" (model.fit)
    jit_compile: bool | str | None = None  # None: the Trainer's default
    inter_op: int | None = None
    intra_op: int | None = None
    batch_size: int | None = None  # None: the recipe's
    schedule: bool = True  # the recipe's schedule callbacks
    filters: tuple[int, ...] | None = None  # None: the builder's default


def probe(spec: Probe, *, samples: int, rounds: int, epochs: int) -> dict[str, Any]:
    """Time training the default CNN under ``spec``; runs in the current process."""
    import tensorflow as tf

    if spec.inter_op is not None:
        tf.config.threading.set_inter_op_parallelism_threads(spec.inter_op)
    if spec.intra_op is not None:
        tf.config.threading.set_intra_op_parallelism_threads(spec.intra_op)
    import dataclasses

    import keras
    import numpy as np

    import tfstarter as tfs
    from _accuracy_runs import forward_flops

    recipe = tfs.models.CNN_RECIPE
    recipe = dataclasses.replace(
        recipe,
        validation_split=0.0,
        batch_size=spec.batch_size or recipe.batch_size,
        schedule=recipe.schedule if spec.schedule else "constant",
    )
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(samples, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, size=samples)
    keras.utils.set_random_seed(0)
    shape = {} if spec.filters is None else {"filters": tuple(spec.filters)}
    model = tfs.models.cnn((28, 28), classes=10, rescale=1 / 255, seed=0, **shape)
    data, _ = recipe.datasets(x, y, seed=0)
    if spec.runner == "trainer":
        options = {} if spec.jit_compile is None else {"jit_compile": spec.jit_compile}
        trainer = tfs.Trainer(model, recipe.loop, **options)

        def fit(n: int) -> None:
            trainer.fit(data, epochs=n, verbose=0, callbacks=recipe.callbacks())

    else:

        def fit(n: int) -> None:
            model.fit(
                data, epochs=n, verbose=0, shuffle=False, callbacks=recipe.callbacks()
            )

    fit(1)  # traces everything
    rates = []
    for _ in range(rounds):
        start = time.perf_counter()
        fit(epochs)
        rates.append(epochs * samples / (time.perf_counter() - start))
    flops = 3 * forward_flops(model)
    return {
        "label": spec.label,
        "samples_per_s": max(rates),
        "median_samples_per_s": float(np.median(rates)),
        "train_flops": flops,
        "peak": matmul_peak(),
        "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "unset"),
        "load": os.getloadavg()[0],
    }


def run_probes(
    probes: list[Probe], *, samples: int, rounds: int, epochs: int, repeats: int
) -> list[dict[str, Any]]:
    """Run every probe in its own process, ``repeats`` times in alternating order.

    Returns one result per probe: the best samples/s over its repeats.
    """
    best: dict[str, dict[str, Any]] = {}
    for repeat in range(repeats):
        order = probes if repeat % 2 == 0 else probes[::-1]
        for spec in order:
            env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
            for key, value in spec.env.items():
                if value == UNSET:
                    env.pop(key, None)
                else:
                    env[key] = value
            argument = json.dumps(
                {
                    "probe": asdict(spec),
                    "samples": samples,
                    "rounds": rounds,
                    "epochs": epochs,
                }
            )
            done = subprocess.run(
                [sys.executable, str(SCRIPT), "--probe", argument],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
            if done.returncode != 0 or not lines:
                raise RuntimeError(
                    f"probe {spec.label!r} failed:\n{done.stdout}\n{done.stderr}"
                )
            result = json.loads(lines[-1])
            print(
                f"  probe {spec.label:<58} {result['samples_per_s']:8.0f} samples/s "
                f"(load {result['load']:.1f})",
                flush=True,
            )
            kept = best.get(spec.label)
            if kept is None or result["samples_per_s"] > kept["samples_per_s"]:
                best[spec.label] = result
    return [best[spec.label] for spec in probes]


ONEDNN_DEFAULT = {"TF_ENABLE_ONEDNN_OPTS": UNSET}
"""TensorFlow's own choice for the CPU (on only with AVX-512 VNNI/BF16 or AMX)."""

PROBES: list[Probe] = [
    Probe("Trainer defaults (as run above)"),
    Probe("plain model.fit", runner="fit"),
    Probe("Trainer, oneDNN as TensorFlow chooses for this CPU", ONEDNN_DEFAULT),
    Probe(
        "plain model.fit, oneDNN as TensorFlow chooses for this CPU",
        ONEDNN_DEFAULT,
        runner="fit",
    ),
    Probe(
        "Trainer, oneDNN off (TF_ENABLE_ONEDNN_OPTS=0)", {"TF_ENABLE_ONEDNN_OPTS": "0"}
    ),
    Probe(
        "Trainer, oneDNN on (TF_ENABLE_ONEDNN_OPTS=1)", {"TF_ENABLE_ONEDNN_OPTS": "1"}
    ),
    Probe("Trainer, whole-step XLA (jit_compile=True)", jit_compile=True),
    Probe("Trainer, no XLA (jit_compile=False)", jit_compile=False),
    Probe("Trainer, inter_op threads 1", inter_op=1),
    Probe("Trainer, no per-batch schedule callback", schedule=False),
    Probe("Trainer, batch 256", batch_size=256),
    Probe("Trainer, filters=(32, 64) (the default before)", filters=(32, 64)),
]
