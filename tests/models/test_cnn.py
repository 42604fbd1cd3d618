"""`cnn`: conv blocks, grayscale and colour inputs, inputs too small for the stack."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import tfstarter as tfs
from tfstarter.errors import ArgumentTypeError, ConfigError


def layer_types(model: keras.Model) -> list[str]:
    return [type(layer).__name__ for layer in model.layers]


def test_grayscale_inputs_get_a_channel_axis() -> None:
    model = tfs.models.cnn((28, 28), 10, filters=(4,), hidden=())
    assert model.input_shape == (None, 28, 28)
    assert model.get_layer("add_channel").output.shape == (None, 28, 28, 1)
    assert model(np.zeros((2, 28, 28), "float32")).shape == (2, 10)


def test_channel_inputs_are_used_as_given() -> None:
    model = tfs.models.cnn((16, 16, 3), 4, filters=(4,), hidden=())
    assert "Reshape" not in layer_types(model)
    assert model.get_layer("block_1_conv_1").kernel.shape == (3, 3, 3, 4)


def test_default_architecture() -> None:
    model = tfs.models.cnn(input_shape=(28, 28, 1), classes=10)
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [conv.filters for conv in convs] == [16, 96]
    assert layer_types(model).count("BatchNormalization") == 3
    assert layer_types(model).count("MaxPooling2D") == 2
    assert model.get_layer("flatten").output.shape == (None, 7 * 7 * 96)
    assert model.get_layer("hidden_1").units == 128
    dropouts = [
        layer for layer in model.layers if isinstance(layer, keras.layers.Dropout)
    ]
    assert [layer.rate for layer in dropouts] == [0.1]
    assert model.output_shape == (None, 10)


def test_last_conv_of_a_block_is_pooled_before_normalization() -> None:
    model = tfs.models.cnn((8, 8), 3, filters=(4,), convs_per_block=2, hidden=())
    names = [layer.name for layer in model.layers]
    order = [
        "block_1_conv_1",
        "block_1_conv_1_bn",
        "block_1_conv_1_relu",
        "block_1_conv_2",
        "block_1_pool",
        "block_1_conv_2_bn",
        "block_1_conv_2_relu",
        "flatten",
    ]
    assert [name for name in names if name in order] == order


def test_blocks_convs_and_pooling() -> None:
    model = tfs.models.cnn(
        (20, 20, 2),
        3,
        filters=(4, 6),
        convs_per_block=2,
        kernel_size=5,
        pool="average",
        pool_size=2,
        batch_norm=False,
        conv_dropout=0.1,
        hidden=(8,),
    )
    names = [layer.name for layer in model.layers]
    for name in ("block_1_conv_2", "block_2_conv_2", "block_2_pool", "block_2_dropout"):
        assert name in names
    assert "BatchNormalization" not in layer_types(model)
    assert isinstance(model.get_layer("block_1_pool"), keras.layers.AveragePooling2D)
    assert model.get_layer("block_1_conv_1").kernel.shape == (5, 5, 2, 4)
    assert model.get_layer("flatten").output.shape == (None, 5 * 5 * 6)


def test_valid_padding_and_no_pooling_shrink_as_expected() -> None:
    model = tfs.models.cnn((10, 12), 2, filters=(2, 2), padding="valid", pool=None)
    assert "MaxPooling2D" not in layer_types(model)
    assert model.get_layer("flatten").output.shape == (None, 6 * 8 * 2)
    assert model.output_shape == (None, 1)  # two classes: one sigmoid unit


def test_non_square_images_and_odd_sizes() -> None:
    model = tfs.models.cnn((9, 31, 1), 5, filters=(2, 2, 2), hidden=())
    assert model.get_layer("flatten").output.shape == (None, 1 * 3 * 2)


def test_probabilities_for_raw_pixels_with_rescale() -> None:
    model = tfs.models.cnn((12, 12), 4, filters=(4,), rescale=1 / 255, seed=0)
    pixels = np.random.default_rng(0).integers(0, 256, (3, 12, 12)).astype("uint8")
    probabilities = model.predict(pixels, verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    scaled = model.get_layer("rescale")(pixels.astype("float32")[..., None]).numpy()
    assert scaled.max() <= 1.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"input_shape": (4, 4), "filters": (2, 2, 2)},
            r"input_shape=\(4, 4\) is too small.*layer 'block_3_pool' \(max pooling "
            r"with pool_size=2\) would turn a 1x1 feature map into 0x0.*first 2 "
            r"block\(s\) fit.*fewer blocks",
        ),
        (
            {"input_shape": (3, 3), "kernel_size": 5, "padding": "valid"},
            r"layer 'block_1_conv_1' \(conv with kernel_size=5, padding='valid'\) "
            r"would turn a 3x3 feature map into 0x0.*not even one block.*"
            r"padding='same'",
        ),
        (
            {"input_shape": (32, 1, 3), "filters": (4,)},
            r"layer 'block_1_pool' \(max pooling with pool_size=2\) would turn a "
            r"32x1 feature map into 16x0",
        ),
        (
            {"input_shape": (8, 8), "pool_size": 9},
            r"'block_1_pool' \(max pooling with pool_size=9\).*smaller pool_size",
        ),
    ],
)
def test_input_too_small_for_the_stack(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        tfs.models.cnn(classes=10, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"input_shape": (784,)},
            ConfigError,
            r"must be \(height, width\).*got \(784,\).*dense",
        ),
        (
            {"input_shape": (2, 8, 8, 1)},
            ConfigError,
            r"\(height, width, channels\), got \(2, 8, 8, 1\)",
        ),
        ({"classes": 1}, ConfigError, r"`classes` must be at least 2, got 1"),
        ({"filters": ()}, ConfigError, r"`filters` must list at least one layer size"),
        ({"filters": (8, 0)}, ConfigError, r"`filters` sizes must be positive"),
        (
            {"kernel_size": 0},
            ConfigError,
            r"`kernel_size` must be a positive integer, got 0",
        ),
        (
            {"convs_per_block": 0},
            ConfigError,
            r"`convs_per_block` must be a positive integer",
        ),
        (
            {"pool_size": -2},
            ConfigError,
            r"`pool_size` must be a positive integer, got -2",
        ),
        (
            {"pool": "min"},
            ConfigError,
            r"`pool` must be one of 'max', 'average', None; got 'min'",
        ),
        (
            {"padding": "full"},
            ConfigError,
            r"`padding` must be one of 'same', 'valid'; got 'full'",
        ),
        (
            {"conv_dropout": 1.5},
            ConfigError,
            r"`conv_dropout` must be in \[0.0, 1.0\), got 1.5",
        ),
        ({"dropout": 1}, ConfigError, r"`dropout` must be in \[0.0, 1.0\), got 1"),
        ({"hidden": (0,)}, ConfigError, r"`hidden` sizes must be positive"),
        ({"activation": "nope"}, ConfigError, r"`activation`='nope'"),
        (
            {"kernel_size": 3.0},
            ArgumentTypeError,
            r"`kernel_size` must be a positive integer",
        ),
        (
            {"rescale": 0},
            ConfigError,
            r"`rescale` must be a non-zero, finite number, got 0",
        ),
    ],
)
def test_bad_arguments(
    kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    arguments: dict[str, object] = {"input_shape": (28, 28), "classes": 10, **kwargs}
    with pytest.raises(error, match=match):
        tfs.models.cnn(**arguments)  # type: ignore[arg-type]
