"""In-model preprocessing: rescaling and normalization travel with the model."""

from __future__ import annotations

import numpy as np
import pytest

import tfstarter as tfs
from tfstarter.errors import ArgumentTypeError, ConfigError, DataError
from tfstarter.models._preprocessing import moments


def test_rescale_layer_scales_the_inputs() -> None:
    model = tfs.models.dense(3, hidden=(), rescale=0.5)
    layer = model.get_layer("rescale")
    np.testing.assert_allclose(layer(np.array([[2.0, 4.0, 6.0]])), [[1.0, 2.0, 3.0]])


def test_normalize_standardizes_each_feature() -> None:
    rng = np.random.default_rng(0)
    data = (rng.standard_normal((500, 3)) * [1.0, 10.0, 100.0] + [5, -5, 50]).astype(
        "float32"
    )
    model = tfs.models.dense(3, hidden=(), normalize=data)
    standardized = model.get_layer("normalize")(data).numpy()
    np.testing.assert_allclose(standardized.mean(axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(standardized.std(axis=0), 1.0, atol=1e-4)


def test_constant_features_pass_through_unscaled() -> None:
    # Keras's Normalization divides by max(std, 1e-7): a pixel that is always 0
    # in the data would turn a later value of 1 into 1e7.
    data = np.zeros((10, 2), "float32")
    data[:, 1] = np.arange(10)
    mean, variance = moments(data, sample_shape=(2,), per="feature")
    assert variance[0] == 1.0
    model = tfs.models.linear(2, normalize=data)
    out = model.get_layer("normalize")(np.array([[1.0, 4.5]], "float32")).numpy()
    np.testing.assert_allclose(out[0], [1.0, 0.0], atol=1e-6)
    assert mean.tolist() == [0.0, 4.5]


def test_images_in_a_dense_model_are_normalized_per_pixel() -> None:
    data = np.random.default_rng(0).integers(0, 256, (64, 4, 4)).astype("uint8")
    model = tfs.models.dense((4, 4), classes=3, hidden=(8,), normalize=data)
    assert model.get_layer("normalize").mean.shape[-1] == 16


def test_cnn_normalizes_per_channel() -> None:
    rng = np.random.default_rng(0)
    data = rng.normal([10, 100, 1000], [1, 10, 100], (32, 6, 6, 3)).astype("float32")
    model = tfs.models.cnn((6, 6, 3), 2, filters=(2,), normalize=data)
    layer = model.get_layer("normalize")
    np.testing.assert_allclose(
        np.ravel(layer.mean), data.mean(axis=(0, 1, 2)), rtol=1e-5
    )
    standardized = layer(data).numpy()
    np.testing.assert_allclose(standardized.std(axis=(0, 1, 2)), 1.0, atol=1e-3)


def test_cnn_grayscale_normalize_takes_images_as_loaded() -> None:
    data = np.random.default_rng(0).integers(0, 256, (16, 8, 8)).astype("uint8")
    model = tfs.models.cnn((8, 8), 3, filters=(2,), normalize=data)
    assert np.ravel(model.get_layer("normalize").mean).shape == (1,)


def test_moments_chunks_agree_with_numpy() -> None:
    data = np.random.default_rng(1).random((20_000, 3)).astype("float32")
    mean, variance = moments(data, sample_shape=(3,), per="feature")
    np.testing.assert_allclose(mean, data.astype("float64").mean(axis=0), rtol=1e-9)
    np.testing.assert_allclose(variance, data.astype("float64").var(axis=0), rtol=1e-9)


def test_rescale_and_normalize_are_exclusive() -> None:
    with pytest.raises(ConfigError, match=r"either `rescale` or `normalize`, not both"):
        tfs.models.dense(2, rescale=0.5, normalize=np.ones((3, 2)))


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (
            np.ones((5, 3)),
            r"samples of the model's input shape \(2,\).*got array of shape \(5, 3\)",
        ),
        (np.ones(5), r"\(n_samples, 2\), got array of shape \(5,\)"),
        (np.ones((0, 2)), r"`normalize` is empty"),
        (
            np.array([[1.0, np.nan], [0.0, 1.0]]),
            r"`normalize` holds NaN or Inf in 1 of 2 rows",
        ),
        (np.array([["a", "b"]]), r"`normalize` must be numeric"),
    ],
)
def test_bad_normalize_data(data: np.ndarray, match: str) -> None:
    with pytest.raises(DataError, match=match):
        tfs.models.linear(2, normalize=data)


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (0.0, ConfigError, r"`rescale` must be a non-zero, finite number, got 0.0"),
        (float("inf"), ConfigError, r"got inf.*rescale=1 / 255"),
        ("1/255", ArgumentTypeError, r"`rescale` must be a number"),
    ],
)
def test_bad_rescale(value: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        tfs.models.logistic(2, rescale=value)  # type: ignore[arg-type]


def test_raw_uint8_pixels_go_in_as_loaded() -> None:
    # MNIST arrays are uint8 (N, 28, 28): fit and predict take them unchanged.
    model = tfs.models.cnn((8, 8), 3, filters=(2,), rescale=1 / 255, seed=0)
    pixels = np.random.default_rng(0).integers(0, 256, (16, 8, 8)).astype("uint8")
    labels = np.arange(16) % 3
    model.fit(pixels, labels, epochs=1, batch_size=8, verbose=0)
    np.testing.assert_allclose(
        model.predict(pixels, verbose=0),
        model.predict(pixels.astype("float32"), verbose=0),
        rtol=1e-6,
    )
