"""Record how Keras' own ``model.fit`` fails under multi-worker MWMS.

Run as every worker of a cluster::

    python -m tfstarter.launch --workers 2 -- \\
        tests/distributed/scripts/keras_fit_probe.py --out OUT

Each worker tries ``model.fit`` on a fresh model, in this order, and writes
``OUT/worker<i>.json`` mapping each case to ``"ok"`` or the error's type and
message:

* ``plain``: a model made and compiled in ``strategy.scope()``, plain ``fit``.
* ``symbolic_build_skipped``: workaround 1 of ``train.patch_keras_fit`` only.
* ``steps_per_execution_2``: both workarounds, ``steps_per_execution=2``.

The last case runs last because its failure aborts collective operations.
The test beside this folder checks each case still fails as recorded, so a
Keras release that fixes one shows up as a failing test, telling us to drop
that workaround.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import train  # (makes the strategy first)

STRATEGY = train.STRATEGY

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402


def compiled(steps_per_execution: int = 1) -> keras.Model:
    with STRATEGY.scope():
        model = train.build_model(seed=1)
        model.compile(
            optimizer=keras.optimizers.SGD(train.LEARNING_RATE),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            steps_per_execution=steps_per_execution,
        )
    return model


def plain() -> keras.Model:
    return compiled()


def symbolic_build_skipped() -> keras.Model:
    model = compiled()
    model._distribute_strategy = None
    return model


def steps_per_execution_2() -> keras.Model:
    model = compiled(steps_per_execution=2)
    train.patch_keras_fit(model)
    return model


CASES: dict[str, Callable[[], keras.Model]] = {
    "plain": plain,
    "symbolic_build_skipped": symbolic_build_skipped,
    "steps_per_execution_2": steps_per_execution_2,
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if not train.multi_worker(STRATEGY):
        raise SystemExit("run this under TF_CONFIG with 2+ workers (tfstarter.launch)")
    x, y = train.arrays(32, seed=3)
    ds = train.dataset(x, y, global_batch=8)
    outcomes: dict[str, str] = {}
    for name, make in CASES.items():
        model = make()
        try:
            with STRATEGY.scope():
                model.fit(ds, epochs=1, verbose=0, shuffle=False)
        except (ValueError, tf.errors.OpError) as err:
            outcomes[name] = f"{type(err).__name__}: {err}"[:4000]
        else:
            outcomes[name] = "ok"
        print(f"{name}: {outcomes[name].splitlines()[0]}", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{train.task_name()}.json").write_text(
        json.dumps(outcomes), encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
