"""Heads: output width, activation, and fresh loss/metric objects per model."""

from __future__ import annotations

import keras
import pytest

from tfstarter.errors import ArgumentTypeError, ConfigError
from tfstarter.models._heads import classification_head, regression_head, resolve_head

CASES = {
    "regression": (regression_head(3), 3, "linear", "MeanSquaredError", ["mae"]),
    "binary": (
        classification_head(2),
        1,
        "sigmoid",
        "BinaryCrossentropy",
        ["accuracy", "auc"],
    ),
    "multiclass": (
        classification_head(7),
        7,
        "softmax",
        "SparseCategoricalCrossentropy",
        ["accuracy"],
    ),
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_head_settings(kind: str) -> None:
    head, units, activation, loss, metrics = CASES[kind]
    assert head.kind == kind
    assert head.units == units
    assert head.activation == activation
    assert type(head.loss()).__name__ == loss
    assert [metric.name for metric in head.metrics()] == metrics
    layer = head.output_layer(seed=0)
    assert layer.units == units
    assert layer.dtype_policy.compute_dtype == "float32"


def test_every_call_returns_new_stateful_objects() -> None:
    head = classification_head(2)
    assert head.loss() is not head.loss()
    first, second = head.metrics(), head.metrics()
    assert all(a is not b for a, b in zip(first, second, strict=True))
    assert all(isinstance(metric, keras.metrics.Metric) for metric in first)


def test_resolve_head_picks_from_classes_or_outputs() -> None:
    assert resolve_head(classes=None, outputs=None) == regression_head(1)
    assert resolve_head(classes=None, outputs=4) == regression_head(4)
    assert resolve_head(classes=3, outputs=None) == classification_head(3)


def test_resolve_head_rejects_both() -> None:
    with pytest.raises(ConfigError, match=r"either `classes`.*not both.*classes=3"):
        resolve_head(classes=3, outputs=2)


@pytest.mark.parametrize("classes", [1, 0, -2])
def test_classification_head_needs_two_classes(classes: int) -> None:
    with pytest.raises(ConfigError, match=r"`classes` must be"):
        classification_head(classes)


def test_one_class_error_says_what_to_pass() -> None:
    with pytest.raises(ConfigError, match=r"at least 2, got 1.*classes=2"):
        classification_head(1)


def test_outputs_must_be_a_positive_int() -> None:
    with pytest.raises(
        ConfigError, match=r"`outputs` must be a positive integer, got 0"
    ):
        regression_head(0)
    with pytest.raises(
        ArgumentTypeError, match=r"`outputs` must be a positive integer"
    ):
        regression_head(1.5)
