"""Seeded synthetic datasets that carry the ground truth that produced them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tfstarter._checks import (
    check_non_negative_int,
    check_number_in_range,
    check_positive_int,
)
from tfstarter.errors import ConfigError

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class SyntheticRegression:
    """Regression data ``y = x @ weights + bias + noise`` and its ground truth.

    Attributes:
        x: features, float32 of shape ``(n_samples, n_features)``.
        y: targets, float32 of shape ``(n_samples, n_outputs)``.
        weights: the true weights, shape ``(n_features, n_outputs)``.
        bias: the true bias, shape ``(n_outputs,)`` (zeros if ``bias=False``).
        noise: the standard deviation of the Gaussian noise added to ``y``.

    Examples:
        >>> data = synthetic_regression(n_samples=4, n_features=2, seed=0)
        >>> np.allclose(data.y, data.predict(data.x))
        True
    """

    x: FloatArray
    y: FloatArray
    weights: FloatArray
    bias: FloatArray
    noise: float

    def predict(self, x: npt.ArrayLike) -> FloatArray:
        """Apply the noiseless ground-truth rule to ``x``."""
        result: FloatArray = (
            np.asarray(x, dtype=np.float32) @ self.weights + self.bias
        ).astype(np.float32)
        return result


@dataclass(frozen=True, eq=False)
class SyntheticClassification:
    """Classification data labelled by a linear rule, and that rule.

    Binary (``classes=2``): ``label = x @ weights[:, 0] + bias[0] > 0``.
    Multiclass: ``label = argmax(x @ weights + bias)``.

    Attributes:
        x: features, float32 of shape ``(n_samples, n_features)``.
        y: int64 labels in ``[0, classes)``, shape ``(n_samples,)``; after
            ``label_noise`` some of them disagree with `true_labels`.
        weights: shape ``(n_features, 1)`` for binary, else ``(n_features, classes)``.
        bias: shape ``(1,)`` for binary, else ``(classes,)``.
        classes: the number of classes.
        margin: every sample lies at least this far (in score) from a boundary.

    Examples:
        >>> data = synthetic_classification(n_samples=100, n_features=3, seed=0)
        >>> bool((data.true_labels(data.x) == data.y).all())
        True
    """

    x: FloatArray
    y: IntArray
    weights: FloatArray
    bias: FloatArray
    classes: int
    margin: float

    def scores(self, x: npt.ArrayLike) -> FloatArray:
        """Return the ground-truth linear scores ``x @ weights + bias``."""
        result: FloatArray = (
            np.asarray(x, dtype=np.float32) @ self.weights + self.bias
        ).astype(np.float32)
        return result

    def true_labels(self, x: npt.ArrayLike) -> IntArray:
        """Apply the ground-truth labelling rule to ``x``."""
        scores = self.scores(x)
        labels: IntArray = (
            (scores[:, 0] > 0).astype(np.int64)
            if self.classes == 2
            else np.argmax(scores, axis=1).astype(np.int64)
        )
        return labels


def synthetic_regression(
    n_samples: int = 1000,
    n_features: int = 3,
    *,
    n_outputs: int = 1,
    noise: float = 0.0,
    bias: bool = True,
    seed: int = 0,
) -> SyntheticRegression:
    """Make a seeded linear-regression problem with known weights.

    Features are standard normal; weights and bias are drawn uniformly from
    ``[-2, 2]``; Gaussian noise with standard deviation ``noise`` is added.

    Args:
        n_samples: number of rows.
        n_features: number of input features.
        n_outputs: number of regression targets.
        noise: standard deviation of the target noise (0 for exact data).
        bias: whether the rule has a non-zero intercept.
        seed: seed of the NumPy generator; the same seed gives the same data.

    Returns:
        A `SyntheticRegression` with the data and the true parameters.

    Raises:
        ConfigError: if a size is not positive or ``noise`` is negative.

    Examples:
        >>> data = synthetic_regression(n_samples=200, n_features=3, seed=1)
        >>> data.x.shape, data.y.shape, data.weights.shape
        ((200, 3), (200, 1), (3, 1))
    """
    n_samples = check_positive_int("n_samples", n_samples)
    n_features = check_positive_int("n_features", n_features)
    n_outputs = check_positive_int("n_outputs", n_outputs)
    noise = check_number_in_range("noise", noise, low=0.0, high=float("inf"))
    check_non_negative_int("seed", seed)
    rng = np.random.default_rng(seed)
    weights = rng.uniform(-2.0, 2.0, size=(n_features, n_outputs)).astype(np.float32)
    intercept = (
        rng.uniform(-2.0, 2.0, size=(n_outputs,)).astype(np.float32)
        if bias
        else np.zeros(n_outputs, dtype=np.float32)
    )
    x = rng.standard_normal((n_samples, n_features)).astype(np.float32)
    y = x @ weights + intercept
    if noise:
        y = y + rng.normal(0.0, noise, size=y.shape)
    return SyntheticRegression(
        x=x, y=y.astype(np.float32), weights=weights, bias=intercept, noise=noise
    )


def synthetic_classification(
    n_samples: int = 1000,
    n_features: int = 2,
    *,
    classes: int = 2,
    margin: float = 0.0,
    label_noise: float = 0.0,
    seed: int = 0,
) -> SyntheticClassification:
    """Make a seeded classification problem labelled by a known linear rule.

    With ``label_noise=0`` the classes are linearly separable; ``margin`` > 0
    rejects samples whose winning score beats the runner-up by less than it,
    so a gap separates the classes.

    Args:
        n_samples: number of rows.
        n_features: number of input features.
        classes: number of classes (2 for a binary problem).
        margin: minimum score gap between the true class and any other.
        label_noise: fraction of labels replaced by a uniformly random class.
        seed: seed of the NumPy generator.

    Returns:
        A `SyntheticClassification` with the data and the true rule.

    Raises:
        ConfigError: if a size is not positive, ``classes < 2``, ``margin``
            is negative or too large to find samples, or ``label_noise``
            is outside ``[0, 1]``.

    Examples:
        >>> data = synthetic_classification(n_samples=50, classes=3, seed=0)
        >>> sorted(set(data.y.tolist())) == [0, 1, 2]
        True
    """
    n_samples = check_positive_int("n_samples", n_samples)
    n_features = check_positive_int("n_features", n_features)
    classes = check_positive_int("classes", classes)
    if classes < 2:
        raise ConfigError(
            f"`classes` must be at least 2, got {classes}. A binary problem is "
            f"classes=2."
        )
    margin = check_number_in_range("margin", margin, low=0.0, high=float("inf"))
    label_noise = check_number_in_range(
        "label_noise", label_noise, low=0.0, high=1.0, high_inclusive=True
    )
    check_non_negative_int("seed", seed)
    rng = np.random.default_rng(seed)
    width = 1 if classes == 2 else classes
    weights = rng.standard_normal((n_features, width)).astype(np.float32)
    bias = (0.5 * rng.standard_normal(width)).astype(np.float32)
    rule = SyntheticClassification(
        x=np.zeros((0, n_features), np.float32),
        y=np.zeros(0, np.int64),
        weights=weights,
        bias=bias,
        classes=classes,
        margin=margin,
    )

    kept: list[FloatArray] = []
    total = 0
    for _ in range(1000):
        batch = rng.standard_normal(
            (max(2 * n_samples, 256), n_features), dtype=np.float32
        )
        scores = rule.scores(batch)
        if classes == 2:
            gap = np.abs(scores[:, 0])
        else:
            top2 = np.sort(scores, axis=1)[:, -2:]
            gap = top2[:, 1] - top2[:, 0]
        batch = batch[gap >= margin]
        kept.append(batch)
        total += batch.shape[0]
        if total >= n_samples:
            break
    else:
        raise ConfigError(
            f"`margin`={margin} is too large: almost no samples are that far from "
            f"the class boundaries. Pass a smaller margin (e.g. 0.1)."
        )
    x = np.concatenate(kept)[:n_samples]
    y = rule.true_labels(x)
    if label_noise:
        flip = rng.random(n_samples) < label_noise
        y = np.where(flip, rng.integers(0, classes, size=n_samples), y)
    return SyntheticClassification(
        x=x,
        y=y.astype(np.int64),
        weights=weights,
        bias=bias,
        classes=classes,
        margin=margin,
    )
