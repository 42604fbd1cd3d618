"""Accumulating N batches of size b updates like one batch of size N*b."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfstarter as tfs
from tfstarter.errors import ConfigError


@pytest.mark.parametrize("loop", ["fit", "custom"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_accumulation_equals_one_big_batch(loop, optimizer, model_factory, data):
    x, y = data  # 96 samples: 12 batches of 8 = 3 batches of 32

    def make_optimizer():
        if optimizer == "sgd":
            return keras.optimizers.SGD(0.5)
        return keras.optimizers.Adam(0.05)

    big = model_factory(optimizer=make_optimizer())
    tfs.Trainer(big, loop).fit(
        tf.data.Dataset.from_tensor_slices((x, y)).batch(32), epochs=2, verbose=0
    )
    small = model_factory(optimizer=make_optimizer())
    history = tfs.Trainer(small, loop, gradient_accumulation_steps=4).fit(
        tf.data.Dataset.from_tensor_slices((x, y)).batch(8), epochs=2, verbose=0
    )
    for a, b in zip(big.get_weights(), small.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
    assert int(small.optimizer.iterations) == int(big.optimizer.iterations) == 6
    assert np.isfinite(history.history["loss"]).all()


def test_accumulation_conflicts_are_reported(model_factory):
    model = model_factory(
        optimizer=keras.optimizers.SGD(0.1, gradient_accumulation_steps=2)
    )
    with pytest.raises(ConfigError, match=r"conflicts with the optimizer's own"):
        tfs.Trainer(model, "custom", gradient_accumulation_steps=4)


def test_accumulation_needs_an_unused_optimizer(model_factory, dataset):
    model = model_factory()
    tfs.Trainer(model, "custom").fit(dataset, verbose=0)
    with pytest.raises(ConfigError, match=r"needs an optimizer that has not been used"):
        tfs.Trainer(model, "custom", gradient_accumulation_steps=2)
