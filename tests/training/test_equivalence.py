"""Same seed, same data: loop="fit", loop="custom" and plain model.fit agree."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import tfstarter as tfs


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
