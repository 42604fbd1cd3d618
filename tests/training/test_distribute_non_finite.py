"""The NaN guard under tf.distribute.MirroredStrategy (two logical CPUs).

Each replica keeps its own record of the first bad batch, and a batch is split
between the replicas: the bad row may land on either. Wherever it lands, both
loops must stop at that batch with the weights of the last finite step; before
the flag was counted over the replicas, a bad row on the second replica let
training go on with every later update of the epoch silently skipped.

Logical devices must be configured before TensorFlow initialises, so the
training runs in a fresh interpreter (the `on_two_cpus` fixture) and reports
back as JSON.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

SCRIPT = textwrap.dedent(
    """
    from tfstarter.errors import TrainingError

    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 4)).astype("float32")
    y = x.sum(axis=1, keepdims=True).astype("float32")

    def data(bad_row=None):
        labels = y.copy()
        if bad_row is not None:
            labels[bad_row] = np.nan
        return tf.data.Dataset.from_tensor_slices((x, labels)).batch(16)

    def build():
        keras.utils.set_random_seed(0)
        with strategy.scope():
            model = keras.Sequential([
                keras.Input((4,)),
                keras.layers.Dense(8, activation="relu"),
                keras.layers.Dense(1),
            ])
            model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
        return model

    out = {}
    for loop in ("fit", "custom"):
        clean = build()
        tfs.Trainer(clean, loop).fit(data().take(3), epochs=1, verbose=0)
        out[loop + "/clean"] = [w.tolist() for w in clean.get_weights()]
        # Batch 3 holds rows 48-63: rows 48-55 go to the first replica,
        # rows 56-63 to the second.
        for replica, row in (("first", 50), ("second", 60)):
            model = build()
            try:
                tfs.Trainer(model, loop).fit(data(row), epochs=2, verbose=0)
                error = None
            except TrainingError as err:
                error = str(err)
            out[f"{loop}/{replica}"] = {
                "error": error,
                "iterations": int(np.asarray(model.optimizer.iterations.numpy())),
                "weights": [w.tolist() for w in model.get_weights()],
            }
    print(json.dumps(out))
    """
)


@pytest.fixture(scope="module")
def runs(on_two_cpus):
    return on_two_cpus(SCRIPT)


pytestmark = pytest.mark.slow


@pytest.mark.parametrize("replica", ["first", "second"])
@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_a_bad_row_on_either_replica_stops_at_its_batch(runs, loop, replica):
    run = runs[f"{loop}/{replica}"]
    assert run["error"] is not None, "training went on past a NaN loss"
    assert "at epoch 1, batch 3 " in run["error"]
    assert "the loss became nan" in run["error"]
    assert run["iterations"] == 3
    for got, want in zip(run["weights"], runs[f"{loop}/clean"], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
