"""`logistic`: binary and multinomial logistic regression on separable data."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfstarter as tfs
from tfstarter.errors import ConfigError


def train_full_batch(
    model: keras.Model, x: np.ndarray, y: np.ndarray, steps: int
) -> None:
    data = tf.data.Dataset.from_tensors((x, y)).repeat()
    model.fit(data, steps_per_epoch=steps, epochs=1, shuffle=False, verbose=0)


def predicted_labels(model: keras.Model, x: np.ndarray) -> np.ndarray:
    probabilities = model.predict(x, verbose=0)
    if probabilities.shape[1] == 1:
        return (probabilities[:, 0] > 0.5).astype(np.int64)
    return probabilities.argmax(axis=1)


@pytest.mark.parametrize(("classes", "n_features"), [(2, 2), (2, 5), (3, 4)])
def test_separates_linearly_separable_data(classes: int, n_features: int) -> None:
    data = tfs.datasets.synthetic_classification(
        n_samples=400, n_features=n_features, classes=classes, margin=0.5, seed=classes
    )
    model = tfs.models.logistic(n_features, classes=classes, seed=0)
    train_full_batch(model, data.x, data.y, steps=500)
    np.testing.assert_array_equal(predicted_labels(model, data.x), data.y)
    fresh = tfs.datasets.synthetic_classification(
        n_samples=400, n_features=n_features, classes=classes, margin=0.5, seed=99
    )
    # The rule generalizes: new points from the same rule are classified right.
    fresh_labels = data.true_labels(fresh.x)
    assert (predicted_labels(model, fresh.x) == fresh_labels).mean() > 0.97


def test_binary_weights_point_along_the_true_rule() -> None:
    data = tfs.datasets.synthetic_classification(
        n_samples=400, n_features=3, margin=0.2, seed=4
    )
    model = tfs.models.logistic(3, seed=0)
    train_full_batch(model, data.x, data.y, steps=300)
    learned = model.get_layer("output").get_weights()[0][:, 0]
    truth = data.weights[:, 0]
    cosine = learned @ truth / (np.linalg.norm(learned) * np.linalg.norm(truth))
    assert cosine > 0.95


def test_binary_output_is_the_sigmoid_of_an_affine_score() -> None:
    model = tfs.models.logistic(3, seed=0)
    x = np.random.default_rng(0).standard_normal((5, 3)).astype("float32")
    kernel, bias = model.get_layer("output").get_weights()
    expected = 1 / (1 + np.exp(-(x @ kernel + bias)))
    np.testing.assert_allclose(model(x).numpy(), expected, rtol=1e-5)


def test_multinomial_output_is_the_softmax_of_affine_scores() -> None:
    model = tfs.models.logistic(3, classes=4, seed=0)
    x = np.random.default_rng(1).standard_normal((5, 3)).astype("float32")
    kernel, bias = model.get_layer("output").get_weights()
    scores = x @ kernel + bias
    expected = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model(x).numpy(), expected, rtol=1e-5)


def test_l1_and_l2_penalties() -> None:
    model = tfs.models.logistic(4, classes=3, l1=0.01, l2=0.1, seed=0)
    model(np.zeros((1, 4), "float32"))
    kernel = model.get_layer("output").kernel.numpy()
    expected = 0.01 * np.abs(kernel).sum() + 0.1 * (kernel**2).sum()
    assert float(sum(model.losses)) == pytest.approx(float(expected), rel=1e-5)
    assert tfs.models.logistic(4).losses == []


def test_l1_drives_useless_weights_to_zero() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 6)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")  # only feature 0 matters
    plain = tfs.models.logistic(6, seed=0)
    sparse = tfs.models.logistic(6, l1=0.05, seed=0)
    train_full_batch(plain, x, y, steps=200)
    train_full_batch(sparse, x, y, steps=200)
    plain_noise = np.abs(plain.get_layer("output").get_weights()[0][1:]).mean()
    sparse_noise = np.abs(sparse.get_layer("output").get_weights()[0][1:]).mean()
    assert sparse_noise < 0.5 * plain_noise


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"classes": 1}, r"`classes` must be at least 2, got 1.*classes=2"),
        ({"classes": 0}, r"`classes` must be a positive integer, got 0"),
        ({"l1": -0.1}, r"`l1` must be in \[0.0, inf\), got -0.1"),
        ({"l2": float("nan")}, r"`l2` must be in \[0.0, inf\), got nan"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        tfs.models.logistic(3, **kwargs)  # type: ignore[arg-type]
