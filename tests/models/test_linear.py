"""`linear`: the model is exactly linear regression, and trains to the solution."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfstarter as tfs
from tfstarter.errors import ArgumentTypeError, ConfigError


def train_full_batch(
    model: keras.Model, x: np.ndarray, y: np.ndarray, steps: int
) -> None:
    """Take ``steps`` full-batch steps in one epoch (epochs have fixed overhead)."""
    data = tf.data.Dataset.from_tensors((x, y)).repeat()
    model.fit(data, steps_per_epoch=steps, epochs=1, shuffle=False, verbose=0)


def least_squares(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    design = np.hstack([x, np.ones((x.shape[0], 1))]).astype(np.float64)
    solution = np.linalg.lstsq(design, y.astype(np.float64), rcond=None)[0]
    return solution[:-1], solution[-1]


@pytest.mark.parametrize(("n_features", "n_outputs", "seed"), [(1, 1, 0), (4, 3, 1)])
def test_recovers_the_true_weights_of_noiseless_data(
    n_features: int, n_outputs: int, seed: int
) -> None:
    data = tfs.datasets.synthetic_regression(
        n_samples=256, n_features=n_features, n_outputs=n_outputs, seed=seed
    )
    model = tfs.models.linear(n_features, outputs=n_outputs, seed=seed)
    train_full_batch(model, data.x, data.y, steps=300)
    weights, bias = model.get_layer("output").get_weights()
    lstsq_weights, lstsq_bias = least_squares(data.x, data.y)
    # Noiseless: least squares *is* the truth; the trained model must match both.
    np.testing.assert_allclose(lstsq_weights, data.weights, atol=1e-5)
    np.testing.assert_allclose(weights, data.weights, atol=1e-3)
    np.testing.assert_allclose(bias, data.bias, atol=1e-3)
    np.testing.assert_allclose(weights, lstsq_weights, atol=1e-3)
    np.testing.assert_allclose(bias, lstsq_bias, atol=1e-3)


def test_noisy_data_gives_the_least_squares_solution() -> None:
    data = tfs.datasets.synthetic_regression(
        n_samples=256, n_features=3, n_outputs=2, noise=0.5, seed=3
    )
    model = tfs.models.linear(3, outputs=2, seed=0)
    train_full_batch(model, data.x, data.y, steps=300)
    weights, bias = model.get_layer("output").get_weights()
    lstsq_weights, lstsq_bias = least_squares(data.x, data.y)
    np.testing.assert_allclose(weights, lstsq_weights, atol=1e-3)
    np.testing.assert_allclose(bias, lstsq_bias, atol=1e-3)
    assert np.abs(weights - data.weights).max() > 1e-3  # noise moved the optimum


def test_tutorial_line_fit_predicts_six() -> None:
    # Workflow 1: fit y = x on x = 1..5 for 500 epochs, predict x = 6 (the
    # tutorial gets 5.98). With the inputs normalized in the model, as the
    # guide recommends, the fit is exact; with raw inputs it is close.
    x = np.arange(1, 6, dtype="float32")[:, None]
    six = np.array([[6.0]], "float32")
    normalized = tfs.models.linear(1, normalize=x, seed=0)
    train_full_batch(normalized, x, x, steps=500)
    assert float(normalized(six)[0, 0]) == pytest.approx(6.0, abs=0.02)
    raw = tfs.models.linear(1, seed=0)
    train_full_batch(raw, x, x, steps=500)
    assert float(raw(six)[0, 0]) == pytest.approx(6.0, abs=0.1)


def test_is_affine_in_its_inputs() -> None:
    model = tfs.models.linear(5, outputs=2, seed=0)
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3, 5)).astype("float32")
    f = lambda v: model(v).numpy()  # noqa: E731
    np.testing.assert_allclose(f(a + b) - f(b), f(a) - f(np.zeros_like(a)), atol=1e-5)


def test_without_bias_zero_maps_to_zero() -> None:
    model = tfs.models.linear(3, outputs=2, use_bias=False)
    assert len(model.get_layer("output").get_weights()) == 1
    np.testing.assert_array_equal(model(np.zeros((1, 3), "float32")).numpy(), 0.0)


def test_multidimensional_inputs_are_flattened() -> None:
    model = tfs.models.linear((2, 3), outputs=1)
    assert model.get_layer("output").get_weights()[0].shape == (6, 1)


def test_l2_adds_a_weight_penalty() -> None:
    model = tfs.models.linear(3, l2=0.1, seed=0)
    model(np.zeros((1, 3), "float32"))
    kernel = model.get_layer("output").kernel.numpy()
    assert float(sum(model.losses)) == pytest.approx(0.1 * float((kernel**2).sum()))


def test_same_seed_same_weights() -> None:
    first = tfs.models.linear(6, outputs=2, seed=5).get_weights()
    second = tfs.models.linear(6, outputs=2, seed=5).get_weights()
    other = tfs.models.linear(6, outputs=2, seed=6).get_weights()
    np.testing.assert_array_equal(first[0], second[0])
    assert not np.array_equal(first[0], other[0])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"input_shape": 0},
            ConfigError,
            r"`input_shape` must be a positive integer, got 0",
        ),
        (
            {"input_shape": (4, -1)},
            ConfigError,
            r"sizes must be positive, got \(4, -1\)",
        ),
        ({"input_shape": ()}, ConfigError, r"`input_shape` is empty"),
        (
            {"input_shape": (None, 4)},
            ConfigError,
            r"without the batch dimension.*input_shape=\(4,\)",
        ),
        ({"input_shape": "4"}, ArgumentTypeError, r"`input_shape` must be the shape"),
        (
            {"input_shape": (4.0,)},
            ArgumentTypeError,
            r"`input_shape\[0\]` must be an int",
        ),
        (
            {"input_shape": 3, "outputs": 0},
            ConfigError,
            r"`outputs` must be a positive integer, got 0",
        ),
        (
            {"input_shape": 3, "l2": -1.0},
            ConfigError,
            r"`l2` must be in \[0.0, inf\), got -1.0",
        ),
        (
            {"input_shape": 3, "l2": float("inf")},
            ConfigError,
            r"`l2` must be in \[0.0, inf\), got inf",
        ),
        (
            {"input_shape": 3, "seed": -1},
            ConfigError,
            r"`seed` must be in \[0, 2\*\*63\), got -1",
        ),
    ],
)
def test_bad_arguments(
    kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        tfs.models.linear(**kwargs)  # type: ignore[arg-type]
