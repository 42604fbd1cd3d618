"""A model that overrides train_step keeps it, in both loops."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import tfstarter as tfs
from tfstarter.errors import ConfigError


class CountingModel(keras.Sequential):
    """Runs Keras' step, and counts the steps in a metric of its own."""

    def __init__(self, layers):
        super().__init__(layers)
        self.steps_seen = keras.metrics.Sum(name="steps_seen")

    def train_step(self, data):
        logs = dict(super().train_step(data))
        self.steps_seen.update_state(1.0)
        logs["steps_seen"] = self.steps_seen.result()
        return logs


def _model():
    keras.utils.set_random_seed(5)
    model = CountingModel(
        [
            keras.Input((6,)),
            keras.layers.Dense(4, activation="relu"),
            keras.layers.Dense(3),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(0.1),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def test_both_loops_run_the_models_own_train_step(dataset):
    results = {}
    for loop in ("fit", "custom"):
        model = _model()
        trainer = tfs.Trainer(model, loop)
        history = trainer.fit(dataset, epochs=2, verbose=0)
        results[loop] = (history.history, model.get_weights())
        assert history.history["steps_seen"] == [6.0, 6.0]
        assert trainer.trace_counts["train"] == 1
    for key, values in results["fit"][0].items():
        assert results["custom"][0][key] == pytest.approx(values), key
    for a, b in zip(results["fit"][1], results["custom"][1], strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_gradient_hooks_need_the_shared_step(dataset):
    class Norms(tfs.training.Callback):
        def on_gradient_norm(self, batch, norm):
            pass

    trainer = tfs.Trainer(_model(), "custom")
    with pytest.raises(ConfigError, match=r"computes them in its own train_step"):
        trainer.fit(dataset, verbose=0, callbacks=[Norms()])
