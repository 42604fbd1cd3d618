"""`dense`: hidden layers, heads picked from the arguments, and its errors."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfstarter as tfs
from tfstarter.errors import ArgumentTypeError, ConfigError


def layer_types(model: keras.Model) -> list[str]:
    return [type(layer).__name__ for layer in model.layers]


@pytest.mark.parametrize(
    ("kwargs", "units", "activation", "loss"),
    [
        ({}, 1, "linear", "MeanSquaredError"),
        ({"outputs": 3}, 3, "linear", "MeanSquaredError"),
        ({"classes": 2}, 1, "sigmoid", "BinaryCrossentropy"),
        ({"classes": 5}, 5, "softmax", "SparseCategoricalCrossentropy"),
    ],
)
def test_head_follows_from_classes_or_outputs(
    kwargs: dict[str, int], units: int, activation: str, loss: str
) -> None:
    model = tfs.models.dense(4, hidden=(8,), **kwargs)  # type: ignore[arg-type]
    output = model.get_layer("output")
    assert model.output_shape == (None, units)
    assert output.activation.__name__ == activation
    assert type(model.loss).__name__ == loss


def test_hidden_layers_in_order() -> None:
    model = tfs.models.dense(6, classes=3, hidden=(16, 8, 4), dropout=0.0)
    widths = [
        layer.units for layer in model.layers if isinstance(layer, keras.layers.Dense)
    ]
    assert widths == [16, 8, 4, 3]
    assert "Dropout" not in layer_types(model)


def test_no_hidden_layers_is_a_linear_model() -> None:
    model = tfs.models.dense(3, hidden=())
    assert layer_types(model) == ["InputLayer", "Dense"]


def test_int_hidden_means_one_layer() -> None:
    model = tfs.models.dense(3, hidden=7)
    assert model.get_layer("hidden_1").units == 7


def test_dropout_default_depends_on_the_head() -> None:
    classifier = tfs.models.dense(4, classes=3, hidden=(8,))
    regressor = tfs.models.dense(4, hidden=(8,))
    assert classifier.get_layer("hidden_1_dropout").rate == pytest.approx(0.2)
    assert "Dropout" not in layer_types(regressor)
    chosen = tfs.models.dense(4, hidden=(8,), dropout=0.5)
    assert chosen.get_layer("hidden_1_dropout").rate == pytest.approx(0.5)


def test_batch_norm_replaces_the_dense_bias() -> None:
    model = tfs.models.dense(4, classes=2, hidden=(8, 8), batch_norm=True)
    assert layer_types(model).count("BatchNormalization") == 2
    assert model.get_layer("hidden_1").use_bias is False
    assert tfs.models.dense(4, hidden=(8,)).get_layer("hidden_1").use_bias is True


def test_dropout_is_active_only_in_training() -> None:
    model = tfs.models.dense(16, outputs=4, hidden=(64,), dropout=0.5, seed=0)
    x = np.ones((2, 16), "float32")
    np.testing.assert_array_equal(model(x, training=False), model(x, training=False))
    assert not np.allclose(model(x, training=True), model(x, training=False))


def test_activation_is_used() -> None:
    model = tfs.models.dense(3, hidden=(4,), activation="tanh")
    assert model.get_layer("hidden_1_tanh").activation.__name__ == "tanh"


def test_l2_applies_to_every_kernel() -> None:
    model = tfs.models.dense(3, hidden=(4, 4), l2=1e-2)
    model(np.zeros((1, 3), "float32"))
    assert len(model.losses) == 3


def test_images_are_flattened() -> None:
    model = tfs.models.dense((28, 28), classes=10, rescale=1 / 255)
    assert model.input_shape == (None, 28, 28)
    assert model.get_layer("hidden_1").kernel.shape == (784, 256)


def test_learns_a_nonlinear_rule() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (512, 2)).astype("float32")
    y = ((x[:, 0] * x[:, 1]) > 0).astype("int64")  # XOR-like: no linear model can
    model = tfs.models.dense(2, classes=2, hidden=(32, 32), learning_rate=1e-2, seed=0)
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(64).repeat()
    model.fit(data, steps_per_epoch=300, epochs=1, shuffle=False, verbose=0)
    assert model.evaluate(x, y, verbose=0, return_dict=True)["accuracy"] > 0.9


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"classes": 3, "outputs": 2}, ConfigError, r"either `classes`.*not both"),
        ({"classes": 1}, ConfigError, r"`classes` must be at least 2, got 1"),
        ({"outputs": -1}, ConfigError, r"`outputs` must be a positive integer, got -1"),
        (
            {"hidden": (8, 0)},
            ConfigError,
            r"`hidden` sizes must be positive.*hidden\[1\]=0",
        ),
        (
            {"hidden": (8, 2.5)},
            ArgumentTypeError,
            r"`hidden\[1\]` must be a positive int",
        ),
        (
            {"hidden": "64"},
            ArgumentTypeError,
            r"`hidden` must be a list of layer sizes",
        ),
        ({"hidden": -3}, ConfigError, r"`hidden` must be a positive integer, got -3"),
        ({"dropout": 1.0}, ConfigError, r"`dropout` must be in \[0.0, 1.0\), got 1.0"),
        (
            {"dropout": -0.1},
            ConfigError,
            r"`dropout` must be in \[0.0, 1.0\), got -0.1",
        ),
        ({"dropout": "0.2"}, ArgumentTypeError, r"`dropout` must be a number"),
        ({"activation": "rellu"}, ConfigError, r"`activation`='rellu' is not a Keras"),
        ({"activation": None}, ArgumentTypeError, r"`activation` must be the name"),
        ({"l2": -1e-3}, ConfigError, r"`l2` must be in \[0.0, inf\), got -0.001"),
    ],
)
def test_bad_arguments(
    kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        tfs.models.dense(4, **kwargs)  # type: ignore[arg-type]
