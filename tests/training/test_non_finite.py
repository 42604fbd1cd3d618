"""A NaN or Inf loss stops training with an error that says where."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfstarter as tfs
from tfstarter.errors import TrainingError


def _poisoned(dataset, row):
    x, y = next(iter(dataset.unbatch().batch(1000)))
    x = x.numpy()
    x[row] = np.inf
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(16)


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_nan_loss_raises_with_epoch_and_batch(loop, model_factory, dataset):
    bad = _poisoned(dataset, 50)  # batch 3 of each epoch
    with pytest.raises(
        TrainingError, match=r"the loss became (nan|inf) at epoch 1, batch 3 "
    ):
        tfs.Trainer(model_factory(), loop).fit(bad, epochs=2, verbose=0)


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_several_steps_per_call_still_name_the_exact_batch(
    loop, model_factory, dataset
):
    ds = dataset.concatenate(_poisoned(dataset, 50))  # epoch of 12 batches, bad: 9
    with pytest.raises(TrainingError, match=r"became (nan|inf) at epoch 2, batch 9 "):
        tfs.Trainer(model_factory(), loop, steps_per_execution=4).fit(
            ds, initial_epoch=1, epochs=2, verbose=0
        )


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_ignore_goes_on(loop, model_factory, dataset):
    bad = _poisoned(dataset, 50)
    history = tfs.Trainer(model_factory(), loop, on_non_finite="ignore").fit(
        bad, epochs=2, verbose=0
    )
    assert history.epoch == [0, 1]
    assert np.isnan(history.history["loss"]).all()


def test_the_guard_does_not_force_single_steps(model_factory, dataset, spy_factory):
    spy = spy_factory()
    trainer = tfs.Trainer(model_factory(), "fit")
    trainer.fit(dataset, verbose=0)  # guard installed, nobody else listens
    assert trainer.model.steps_per_execution == 1  # restored after the call
    del spy
    fit_loop = trainer._loop
    assert any(
        key[1] == tfs.training.AUTO_STEPS_PER_EXECUTION for key in fit_loop._functions
    )


def test_terminate_on_nan_takes_over(model_factory, dataset):
    bad = _poisoned(dataset, 50)
    model = model_factory()
    tfs.Trainer(model, "custom").fit(
        bad, epochs=2, verbose=0, callbacks=[keras.callbacks.TerminateOnNaN()]
    )
    assert model.stop_training
