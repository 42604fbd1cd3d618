"""Both loops train under tf.distribute.MirroredStrategy (two logical CPUs).

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
    from tfstarter.errors import ConfigError

    class Norms(tfs.training.Callback):
        def __init__(self):
            super().__init__()
            self.norms = []

        def on_gradient_norm(self, batch, norm):
            self.norms.append(norm)

    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 6)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)

    def build():
        keras.utils.set_random_seed(1)
        model = keras.Sequential([
            keras.Input((6,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(2),
        ])
        model.compile(
            optimizer=keras.optimizers.SGD(0.1),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        return model

    out = {}
    for name, loop, distributed in (
        ("single", "custom", False),
        ("fit", "fit", True),
        ("custom", "custom", True),
    ):
        if distributed:
            with strategy.scope():
                model = build()
        else:
            model = build()
        trainer = tfs.Trainer(model, loop)
        norms = Norms()
        history = trainer.fit(
            ds, epochs=3, validation_data=ds, verbose=0, callbacks=[norms]
        )
        out[name] = {
            "strategy": type(trainer.strategy).__name__,
            "history": history.history,
            "weights": [w.tolist() for w in model.get_weights()],
            "evaluate": trainer.evaluate(ds, verbose=0),
            "predict": trainer.predict(x, verbose=0).tolist(),
            "norms": norms.norms,
            "traces": trainer.trace_counts,
        }
    with strategy.scope():
        model = build()
    try:
        tfs.Trainer(model, "fit", steps_per_execution=4, strategy=strategy)
    except ConfigError as err:
        out["fit_spe_error"] = str(err)
    print(json.dumps(out))
    """
)


@pytest.fixture(scope="module")
def runs(on_two_cpus):
    return on_two_cpus(SCRIPT)


pytestmark = pytest.mark.slow


def _close(a, b, atol):
    for left, right in zip(a, b, strict=True):
        np.testing.assert_allclose(np.array(left), np.array(right), atol=atol)


def test_both_loops_run_under_the_models_strategy(runs):
    assert runs["fit"]["strategy"] == runs["custom"]["strategy"] == "MirroredStrategy"
    assert runs["single"]["strategy"] == "NoneType"


def test_loops_agree_with_each_other_and_with_one_device(runs):
    _close(runs["fit"]["weights"], runs["custom"]["weights"], atol=1e-6)
    _close(runs["single"]["weights"], runs["custom"]["weights"], atol=1e-5)
    for key, values in runs["custom"]["history"].items():
        np.testing.assert_allclose(values, runs["fit"]["history"][key], atol=1e-6)
        np.testing.assert_allclose(values, runs["single"]["history"][key], atol=1e-5)
    assert runs["custom"]["history"]["loss"][-1] < runs["custom"]["history"]["loss"][0]


def test_evaluate_predict_and_gradient_hooks_under_the_strategy(runs):
    assert runs["custom"]["evaluate"] == pytest.approx(
        runs["single"]["evaluate"], abs=1e-5
    )
    np.testing.assert_allclose(
        runs["custom"]["predict"], runs["single"]["predict"], atol=1e-5
    )
    assert len(runs["custom"]["norms"]) == len(runs["fit"]["norms"]) == 18
    assert all(n > 0 for n in runs["custom"]["norms"])
    # MirroredStrategy traces the step once per replica (here 2), and only then.
    assert runs["custom"]["traces"]["train"] == 2
    assert runs["single"]["traces"]["train"] == 1


def test_fit_loop_refuses_several_steps_per_call_under_a_strategy(runs):
    assert "Use loop='custom'" in runs["fit_spe_error"]
