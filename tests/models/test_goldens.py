"""The goldens registry: each entry builds what it declares; every builder is in it."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfstarter.models._goldens import GOLDENS, Golden


def test_names_are_unique() -> None:
    names = [golden.name for golden in GOLDENS]
    assert len(names) == len(set(names))


def test_covers_every_builder_head_and_option() -> None:
    names = " ".join(golden.name for golden in GOLDENS)
    for builder in ("linear", "logistic", "dense", "cnn"):
        assert builder in names
    assert {golden.head for golden in GOLDENS} == {"regression", "binary", "multiclass"}
    layers = {
        type(layer).__name__ for golden in GOLDENS for layer in golden.build().layers
    }
    assert {"Normalization", "Rescaling", "BatchNormalization", "Dropout"} <= layers
    assert any(golden.input_shape == (28, 28) for golden in GOLDENS)


@pytest.mark.parametrize("golden", GOLDENS, ids=lambda g: g.name)
def test_entry_builds_what_it_declares(golden: Golden) -> None:
    model = golden.build()
    assert isinstance(model, keras.Model)
    assert model.compiled
    assert model.input_shape == (None, *golden.input_shape)
    assert model.output_shape == (None, *golden.output_shape)
    activation = model.get_layer("output").activation.__name__
    assert activation == {"regression": "linear", "binary": "sigmoid"}.get(
        golden.head, "softmax"
    )


@pytest.mark.parametrize("golden", GOLDENS, ids=lambda g: g.name)
def test_samples_are_valid_and_seeded(golden: Golden) -> None:
    x, y = golden.sample_inputs(5), golden.sample_targets(5)
    assert x.shape == (5, *golden.input_shape)
    assert x.dtype == np.float32
    np.testing.assert_array_equal(x, golden.sample_inputs(5))
    assert not np.array_equal(x, golden.sample_inputs(5, seed=1))
    if golden.input_kind == "pixels":
        assert x.min() >= 0 and x.max() <= 255 and (x == np.round(x)).all()
    if golden.head == "regression":
        assert y.shape == (5, golden.units) and y.dtype == np.float32
    else:
        classes = 2 if golden.head == "binary" else golden.units
        assert y.shape == (5,) and y.dtype == np.int64
        assert y.min() >= 0 and y.max() < classes


@pytest.mark.parametrize("golden", GOLDENS, ids=lambda g: g.name)
def test_build_is_fresh_and_deterministic(golden: Golden) -> None:
    first, second = golden.build(), golden.build()
    assert first is not second
    for a, b in zip(first.get_weights(), second.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    keras.utils.set_random_seed(999)  # the weights do not depend on global seeds
    for a, b in zip(first.get_weights(), golden.build().get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def dropout_states(model: keras.Model) -> list[tf.Variable]:
    return [
        layer.seed_generator.state
        for layer in model.layers
        if isinstance(layer, keras.layers.Dropout)
    ]


@pytest.mark.parametrize("golden", GOLDENS, ids=lambda g: g.name)
def test_one_optimizer_step_lowers_the_loss(golden: Golden) -> None:
    # The training objective (training=True: batch statistics, dropout, weight
    # penalties) before and after one step of the compiled optimizer, with the
    # same dropout masks both times.
    model = golden.build()
    x = tf.constant(golden.sample_inputs(32))
    y = tf.constant(golden.sample_targets(32))
    states = dropout_states(model)
    saved = [state.numpy() for state in states]

    def loss() -> tf.Tensor:
        for state, value in zip(states, saved, strict=True):
            state.assign(value)
        return model.compute_loss(x=x, y=y, y_pred=model(x, training=True))

    with tf.GradientTape() as tape:
        before = loss()
    assert float(loss()) == float(before)  # the objective is reproducible
    gradients = tape.gradient(before, model.trainable_variables)
    model.optimizer.apply(gradients, model.trainable_variables)
    assert float(loss()) < float(before)
