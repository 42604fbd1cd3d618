"""Mixed precision trains in both loops, with loss scaling, on float32 variables."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfstarter as tfs


class NormRecorder(tfs.training.Callback):
    def __init__(self):
        super().__init__()
        self.norms = []

    def on_gradient_norm(self, batch, norm):
        self.norms.append(norm)


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"], indirect=True)
@pytest.mark.parametrize("loop", ["custom", "fit"])
def test_mixed_precision_trains_with_float32_variables(
    policy, loop, model_factory, data
):
    x, y = data
    model = model_factory(optimizer=keras.optimizers.Adam(0.01))
    assert model.layers[0].compute_dtype == policy.removeprefix("mixed_")
    history = tfs.Trainer(model, loop).fit((x, y), epochs=5, verbose=0, shuffle=False)
    losses = history.history["loss"]
    assert losses[-1] < losses[0]
    assert all(v.dtype == "float32" for v in model.trainable_variables)
    uses_loss_scaling = isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert uses_loss_scaling == (policy == "mixed_float16")


@pytest.mark.parametrize("policy", ["mixed_float16"], indirect=True)
def test_custom_loop_scales_the_loss_and_unscales_the_gradients(
    policy, model_factory, data
):
    x, y = data
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    model = model_factory()
    assert model.optimizer.initial_scale > 1  # the step multiplies the loss by it
    recorder = NormRecorder()
    tfs.Trainer(model, "custom").fit(ds.take(1), verbose=0, callbacks=[recorder])
    keras.config.set_dtype_policy("float32")
    reference = model_factory()
    reference_recorder = NormRecorder()
    tfs.Trainer(reference, "custom").fit(
        ds.take(1), verbose=0, callbacks=[reference_recorder]
    )
    # The gradients the optimizer sees are the float32 ones, not `scale` times them.
    assert recorder.norms[0] == pytest.approx(reference_recorder.norms[0], rel=2e-2)


@pytest.mark.parametrize("policy", ["mixed_float16"], indirect=True)
def test_both_loops_agree_under_mixed_float16(policy, model_factory, dataset):
    weights = {}
    for loop in ("fit", "custom"):
        model = model_factory()
        tfs.Trainer(model, loop).fit(dataset, epochs=2, verbose=0)
        weights[loop] = model.get_weights()
    for a, b in zip(weights["fit"], weights["custom"], strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
