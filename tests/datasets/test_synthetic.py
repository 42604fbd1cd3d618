"""Synthetic datasets: seeded, shaped as documented, carrying their ground truth."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tfstarter as tfs
from tfstarter.errors import ArgumentTypeError, ConfigError


@given(
    n_samples=st.integers(1, 300),
    n_features=st.integers(1, 8),
    n_outputs=st.integers(1, 4),
    seed=st.integers(0, 2**31),
)
def test_regression_shapes_dtypes_and_exact_rule(
    n_samples: int, n_features: int, n_outputs: int, seed: int
) -> None:
    data = tfs.datasets.synthetic_regression(
        n_samples, n_features, n_outputs=n_outputs, seed=seed
    )
    assert data.x.shape == (n_samples, n_features) and data.x.dtype == np.float32
    assert data.y.shape == (n_samples, n_outputs) and data.y.dtype == np.float32
    assert data.weights.shape == (n_features, n_outputs)
    assert data.bias.shape == (n_outputs,)
    np.testing.assert_allclose(data.y, data.predict(data.x), rtol=1e-6, atol=1e-6)


def test_regression_ground_truth_is_recoverable_by_least_squares() -> None:
    data = tfs.datasets.synthetic_regression(500, 4, n_outputs=2, seed=3)
    design = np.hstack([data.x, np.ones((500, 1), np.float32)]).astype(np.float64)
    solution, *_ = np.linalg.lstsq(design, data.y.astype(np.float64), rcond=None)
    np.testing.assert_allclose(solution[:-1], data.weights, atol=1e-5)
    np.testing.assert_allclose(solution[-1], data.bias, atol=1e-5)


def test_regression_noise_has_requested_scale() -> None:
    data = tfs.datasets.synthetic_regression(20000, 2, noise=0.5, seed=0)
    residual = data.y - data.predict(data.x)
    assert abs(float(residual.std()) - 0.5) < 0.02


def test_regression_without_bias() -> None:
    data = tfs.datasets.synthetic_regression(10, 2, bias=False, seed=0)
    assert not data.bias.any()


def test_same_seed_same_data_different_seed_different_data() -> None:
    a = tfs.datasets.synthetic_classification(100, 3, classes=4, seed=7)
    b = tfs.datasets.synthetic_classification(100, 3, classes=4, seed=7)
    c = tfs.datasets.synthetic_classification(100, 3, classes=4, seed=8)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.x, c.x)


@given(
    n_samples=st.integers(1, 300),
    n_features=st.integers(1, 6),
    classes=st.integers(2, 6),
    margin=st.sampled_from([0.0, 0.05, 0.1]),  # 0.5 can be out of reach: a ConfigError
    seed=st.integers(0, 1000),
)
def test_classification_labels_follow_rule_with_margin(
    n_samples: int, n_features: int, classes: int, margin: float, seed: int
) -> None:
    data = tfs.datasets.synthetic_classification(
        n_samples, n_features, classes=classes, margin=margin, seed=seed
    )
    assert data.x.shape == (n_samples, n_features) and data.x.dtype == np.float32
    assert data.y.shape == (n_samples,) and data.y.dtype == np.int64
    assert data.y.min() >= 0 and data.y.max() < classes
    np.testing.assert_array_equal(data.true_labels(data.x), data.y)
    scores = data.scores(data.x)
    if classes == 2:
        gap = np.abs(scores[:, 0])
    else:
        ordered = np.sort(scores, axis=1)
        gap = ordered[:, -1] - ordered[:, -2]
    assert (gap >= margin - 1e-6).all()


def test_label_noise_flips_about_the_requested_fraction() -> None:
    data = tfs.datasets.synthetic_classification(20000, 2, label_noise=0.2, seed=0)
    disagreement = float((data.true_labels(data.x) != data.y).mean())
    # A random replacement keeps the true label half the time for 2 classes.
    assert 0.08 < disagreement < 0.12


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"n_samples": 0},
            ConfigError,
            r"`n_samples` must be a positive integer, got 0",
        ),
        (
            {"n_features": -2},
            ConfigError,
            r"`n_features` must be a positive integer, got -2",
        ),
        (
            {"n_samples": 2.5},
            ArgumentTypeError,
            r"`n_samples` must be a positive integer, got 2\.5",
        ),
        ({"noise": -1.0}, ConfigError, r"`noise` must be in \[0\.0, inf\), got -1\.0"),
        ({"seed": -1}, ConfigError, r"`seed` must be a non-negative integer, got -1"),
    ],
)
def test_regression_rejects_bad_arguments(
    kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        tfs.datasets.synthetic_regression(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"classes": 1}, r"`classes` must be at least 2, got 1"),
        ({"margin": -0.1}, r"`margin` must be in \[0\.0, inf\), got -0\.1"),
        ({"label_noise": 1.5}, r"`label_noise` must be in \[0\.0, 1\.0\], got 1\.5"),
        ({"margin": 1e6}, r"`margin`=1000000\.0 is too large"),
    ],
)
def test_classification_rejects_bad_arguments(
    kwargs: dict[str, object], match: str
) -> None:
    with pytest.raises(ConfigError, match=match):
        tfs.datasets.synthetic_classification(**kwargs)  # type: ignore[arg-type]
