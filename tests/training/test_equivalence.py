"""Same seed, same data: loop="fit", loop="custom" and plain model.fit agree."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import tfstarter as tfs
from tfstarter.errors import ConfigError


def _train(kind, model_factory, dataset, *, epochs=1, validation=None, **model_kwargs):
    model = model_factory(**model_kwargs)
    if kind == "plain":
        history = model.fit(
            dataset, epochs=epochs, validation_data=validation, verbose=0, shuffle=False
        )
    else:
        history = tfs.Trainer(model, kind).fit(
            dataset, epochs=epochs, validation_data=validation, verbose=0
        )
    return model.get_weights(), history.history


def _assert_same(a, b, *, atol):
    weights_a, history_a = a
    weights_b, history_b = b
    for wa, wb in zip(weights_a, weights_b, strict=True):
        np.testing.assert_allclose(wa, wb, atol=atol, rtol=0)
    assert history_a.keys() == history_b.keys()
    for key in history_a:
        np.testing.assert_allclose(history_a[key], history_b[key], atol=atol, rtol=0)


@pytest.mark.parametrize("kind", ["fit", "custom"])
def test_sgd_one_epoch_matches_plain_fit(kind, model_factory, dataset):
    plain = _train("plain", model_factory, dataset)
    ours = _train(kind, model_factory, dataset)
    _assert_same(plain, ours, atol=1e-5)


def test_sgd_fit_and_custom_agree_with_validation(model_factory, dataset):
    val = dataset.take(2)
    fit = _train("fit", model_factory, dataset, epochs=2, validation=val)
    custom = _train("custom", model_factory, dataset, epochs=2, validation=val)
    _assert_same(fit, custom, atol=1e-5)
    assert set(custom[1]) == {"loss", "accuracy", "val_loss", "val_accuracy"}


def test_adam_with_dropout_agrees(model_factory, dataset):
    def factory(**kwargs):
        return model_factory(
            optimizer=keras.optimizers.Adam(1e-2), dropout=0.3, **kwargs
        )

    plain = _train("plain", factory, dataset, epochs=2)
    fit = _train("fit", factory, dataset, epochs=2)
    custom = _train("custom", factory, dataset, epochs=2)
    _assert_same(plain, fit, atol=1e-5)
    _assert_same(fit, custom, atol=1e-5)


def test_regularisation_losses_are_part_of_the_step(dataset):
    def factory(**_):
        keras.utils.set_random_seed(3)
        model = keras.Sequential(
            [
                keras.Input((6,)),
                keras.layers.Dense(
                    4, kernel_regularizer=keras.regularizers.L2(0.1), activation="relu"
                ),
                keras.layers.Dense(3),
            ]
        )
        model.compile(
            optimizer=keras.optimizers.SGD(0.1),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        return model

    plain = _train("plain", factory, dataset)
    custom = _train("custom", factory, dataset)
    _assert_same(plain, custom, atol=1e-5)


@pytest.mark.parametrize("steps_per_execution", [1, 4, 5])
def test_steps_per_execution_does_not_change_the_result(
    model_factory, dataset, steps_per_execution
):
    reference = _train("custom", model_factory, dataset, epochs=2)
    model = model_factory()
    history = tfs.Trainer(model, "custom", steps_per_execution=steps_per_execution).fit(
        dataset, epochs=2, verbose=0
    )
    _assert_same(reference, (model.get_weights(), history.history), atol=1e-6)


def test_evaluate_and_predict_agree(model_factory, dataset):
    results = {}
    for kind in ("plain", "fit", "custom"):
        model = model_factory()
        if kind == "plain":
            model.fit(dataset, verbose=0, shuffle=False)
            results[kind] = (
                model.evaluate(dataset, verbose=0, return_dict=True),
                model.predict(dataset, verbose=0),
            )
        else:
            trainer = tfs.Trainer(model, kind)
            trainer.fit(dataset, verbose=0)
            results[kind] = (
                trainer.evaluate(dataset, verbose=0),
                trainer.predict(dataset, verbose=0),
            )
    for kind in ("fit", "custom"):
        assert results[kind][0] == pytest.approx(results["plain"][0], abs=1e-6)
        assert list(results[kind][0]) == list(results["plain"][0])
        np.testing.assert_allclose(results[kind][1], results["plain"][1], atol=1e-6)


JIT_SCRIPT = """
import json, os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np, tensorflow as tf, keras
import tfstarter as tfs
rng = np.random.default_rng(0)
x = rng.normal(size=(96, 6)).astype("float32")
y = (x[:, 0] > 0).astype("int64")
ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
out = {}
for name, loop, jit in (("plain", "custom", False), ("fit", "fit", True),
                        ("custom", "custom", True)):
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((6,)),
                              keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = tfs.Trainer(model, loop, jit_compile=jit).fit(ds, epochs=2, verbose=0)
    out[name] = [w.tolist() for w in model.get_weights()] + [history.history["loss"]]
print(json.dumps(out))
"""


@pytest.mark.slow
def test_jit_compile_gives_the_same_result():
    # Keras turns XLA off under op determinism (on in this test-suite), so the
    # XLA runs happen in a fresh interpreter.
    import json
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", JIT_SCRIPT],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    for name in ("fit", "custom"):
        for a, b in zip(out["plain"], out[name], strict=True):
            np.testing.assert_allclose(a, b, atol=1e-5)


def test_jit_compile_is_refused_where_keras_would_ignore_it(model_factory):
    with pytest.raises(
        ConfigError, match=r"`jit_compile=True` cannot be honoured: .*determinism"
    ):
        tfs.Trainer(model_factory(), "custom", jit_compile=True)
