"""Both loops call every callback hook in the same order with the same logs keys."""

from __future__ import annotations

import contextlib

import keras
import numpy as np
import pytest

import tfstarter as tfs


def _records(loop, model_factory, dataset, spy_factory, **fit_kwargs):
    spy = spy_factory()
    model = model_factory()
    trainer = tfs.Trainer(model, loop)
    trainer.fit(dataset, callbacks=[spy], verbose=0, **fit_kwargs)
    trainer.evaluate(dataset, callbacks=[spy], verbose=0)
    trainer.predict(dataset.map(lambda x, y: x), callbacks=[spy], verbose=0)
    return spy


@pytest.mark.parametrize(
    ("fit_kwargs", "warns"),
    [
        ({"epochs": 2, "validation_freq": 1}, None),
        ({"epochs": 3, "validation_freq": 2, "initial_epoch": 1}, None),
        # 6 batches, one iterator carried over: epoch 2 finds 2 left and ends
        # there, with Keras' warning (model.fit gives it, so both loops do).
        ({"epochs": 2, "steps_per_epoch": 4}, "Your input ran out of data"),
    ],
    ids=["validation", "freq-initial-epoch", "steps-per-epoch"],
)
def test_same_hooks_same_order_same_logs_keys(
    model_factory, dataset, spy_factory, fit_kwargs, warns
):
    val = dataset.take(2)
    runs = []
    for loop in ("fit", "custom"):
        with (
            pytest.warns(UserWarning, match=warns)
            if warns
            else contextlib.nullcontext()
        ):
            runs.append(
                _records(
                    loop,
                    model_factory,
                    dataset,
                    spy_factory,
                    validation_data=val,
                    **fit_kwargs,
                )
            )
    fit, custom = runs
    assert fit.records == custom.records
    hooks = {hook for hook, _, _ in custom.records}
    assert {"on_train_batch_end", "on_test_batch_end", "on_predict_batch_end"} <= hooks


def test_logs_values_agree(model_factory, dataset, spy_factory):
    fit = _records("fit", model_factory, dataset, spy_factory, epochs=2)
    custom = _records("custom", model_factory, dataset, spy_factory, epochs=2)
    for logs_fit, logs_custom, record in zip(
        fit.logs, custom.logs, custom.records, strict=True
    ):
        if record[0] == "on_predict_batch_end":
            np.testing.assert_allclose(
                logs_fit["outputs"], logs_custom["outputs"], rtol=1e-6
            )
            continue
        assert logs_fit == pytest.approx(logs_custom, rel=1e-6), record


def test_expected_sequence_for_one_epoch_with_validation(
    model_factory, dataset, spy_factory
):
    spy = spy_factory()
    trainer = tfs.Trainer(model_factory(), "custom")
    trainer.fit(
        dataset.take(2), validation_data=dataset.take(1), callbacks=[spy], verbose=0
    )
    metrics = ("accuracy", "loss")
    assert spy.records == [
        ("on_train_begin", None, ()),
        ("on_epoch_begin", 0, ()),
        ("on_train_batch_begin", 0, ()),
        ("on_train_batch_end", 0, metrics),
        ("on_train_batch_begin", 1, ()),
        ("on_train_batch_end", 1, metrics),
        ("on_test_begin", None, ()),
        ("on_test_batch_begin", 0, ()),
        ("on_test_batch_end", 0, metrics),
        ("on_test_end", None, metrics),
        ("on_epoch_end", 0, ("accuracy", "loss", "val_accuracy", "val_loss")),
        ("on_train_end", None, ("accuracy", "loss", "val_accuracy", "val_loss")),
    ]


def test_params_match_fit(model_factory, dataset, spy_factory):
    params = {}
    for loop in ("fit", "custom"):
        spy = spy_factory()
        tfs.Trainer(model_factory(), loop).fit(
            dataset, epochs=2, callbacks=[spy], verbose=0
        )
        params[loop] = spy.params
    assert params["fit"] == params["custom"] == {"verbose": 0, "epochs": 2, "steps": 6}


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_stop_training_is_honoured_mid_epoch(loop, model_factory, dataset, spy_factory):
    class StopAfterThree(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                self.model.stop_training = True

    spy = spy_factory()
    tfs.Trainer(model_factory(), loop).fit(
        dataset, epochs=3, callbacks=[StopAfterThree(), spy], verbose=0
    )
    batches = [i for hook, i, _ in spy.records if hook == "on_train_batch_end"]
    epochs = [i for hook, i, _ in spy.records if hook == "on_epoch_end"]
    assert batches == [0, 1, 2]
    assert epochs == [0]


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_history_is_model_history(loop, model_factory, dataset):
    model = model_factory()
    history = tfs.Trainer(model, loop).fit(dataset, epochs=2, verbose=0)
    assert isinstance(history, keras.callbacks.History)
    assert history is model.history
    assert history.epoch == [0, 1]


def test_fit_loop_leaves_the_model_as_it_was(model_factory, dataset):
    model = model_factory()
    model.fit(dataset.take(1), verbose=0, shuffle=False)
    own_function = model.train_function
    trainer = tfs.Trainer(model, "fit", steps_per_execution=3)
    trainer.fit(dataset, verbose=0, validation_data=dataset)
    trainer.evaluate(dataset, verbose=0)
    trainer.predict(dataset, verbose=0)
    assert not {"train_step", "test_step", "predict_step"} & set(vars(model))
    assert model.train_function is own_function
    assert model.steps_per_execution == 1
    assert model.train_step.__func__ is keras.Model.train_step
