"""tfstarter's Callback sees the gradients and their norm, in both loops."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfstarter as tfs


class Recorder(tfs.training.Callback):
    def __init__(self, *, values=False):
        super().__init__()
        self.calls = []
        self.norms = []
        self.gradients = []
        self._values = values

    def on_train_batch_end(self, batch, logs=None):
        self.calls.append(("batch_end", batch))

    def on_gradient_norm(self, batch, norm):
        self.calls.append(("norm", batch))
        self.norms.append(norm)


class ValueRecorder(Recorder):
    def on_gradients(self, batch, gradients):
        self.gradients.append(gradients)


def _expected_gradients(model, x, y):
    with tf.GradientTape() as tape:
        loss = model.compute_loss(x, y, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    return {
        v.path: g.numpy() for v, g in zip(model.trainable_variables, grads, strict=True)
    }


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_gradients_and_norm_are_those_of_the_batch(loop, model_factory, dataset):
    model = model_factory()
    x, y = next(iter(dataset))
    expected = _expected_gradients(model, x, y)
    recorder = ValueRecorder()
    tfs.Trainer(model, loop).fit(dataset.take(1), verbose=0, callbacks=[recorder])
    (gradients,) = recorder.gradients
    assert gradients.keys() == expected.keys()
    for path, value in expected.items():
        np.testing.assert_allclose(gradients[path], value, rtol=1e-5, atol=1e-6)
    norm = np.sqrt(sum((g.astype("float64") ** 2).sum() for g in expected.values()))
    assert recorder.norms == [pytest.approx(norm, rel=1e-5)]


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_hooks_come_after_on_train_batch_end_every_batch(loop, model_factory, dataset):
    recorder = Recorder()
    tfs.Trainer(model_factory(), loop).fit(
        dataset, epochs=2, verbose=0, callbacks=[recorder]
    )
    expected = [
        (kind, b) for _ in range(2) for b in range(6) for kind in ("batch_end", "norm")
    ]
    assert recorder.calls == expected
    assert all(np.isfinite(recorder.norms)) and min(recorder.norms) > 0


def test_norm_is_reported_before_clipping(model_factory, dataset):
    recorder = Recorder()
    tfs.Trainer(
        model_factory(),
        "custom",
        clipping=tfs.training.GradientClipping("global_norm", 1e-3),
    ).fit(dataset.take(2), verbose=0, callbacks=[recorder])
    assert min(recorder.norms) > 1e-3


def test_plain_keras_callbacks_do_not_turn_the_probe_on(model_factory, dataset):
    trainer = tfs.Trainer(model_factory(), "custom")
    trainer.fit(dataset, verbose=0, callbacks=[keras.callbacks.History()])
    assert (
        trainer._engine.run([keras.callbacks.History()], training=True).step.probe
        is None
    )
    assert trainer.trace_counts["train"] == 1
