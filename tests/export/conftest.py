"""Small compiled models and their data, shared by the export tests.

Models are tiny so that exports take well under a second; module-scoped
fixtures share trained models (and converted artifacts) between tests.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import keras
import numpy as np
import pytest

FEATURES = 4
CLASSES = 3


def make_classifier(*, loss: Any = None, optimizer: Any = None) -> keras.Model:
    """A seeded softmax MLP on 4 features, compiled (by default with objects)."""
    keras.utils.set_random_seed(7)
    model = keras.Sequential(
        [
            keras.Input((FEATURES,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(CLASSES, activation="softmax"),
        ],
        name="classifier",
    )
    model.compile(
        optimizer=optimizer or keras.optimizers.Adam(learning_rate=3e-3),
        loss=loss or keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )
    return model


def make_regressor(*, loss: Any = "mse", metrics: Any = ("mae",)) -> keras.Model:
    """A seeded linear regressor compiled with *string* loss and metrics."""
    keras.utils.set_random_seed(7)
    model = keras.Sequential(
        [keras.Input((FEATURES,)), keras.layers.Dense(2)], name="regressor"
    )
    model.compile(optimizer="adam", loss=loss, metrics=list(metrics))
    return model


def features(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, FEATURES)).astype("float32")


def class_labels(x: np.ndarray) -> np.ndarray:
    """A learnable rule, so trained classifiers are confident."""
    return np.digitize(x[:, 0] + 0.5 * x[:, 1], [-0.5, 0.5]).astype("int64")


@pytest.fixture(scope="module")
def trained_classifier() -> keras.Model:
    model = make_classifier()
    x = features(512)
    model.fit(x, class_labels(x), epochs=5, batch_size=32, verbose=0)
    return model


@pytest.fixture(scope="session")
def kit() -> SimpleNamespace:
    """The helpers above, for test modules (which cannot import conftest)."""
    return SimpleNamespace(
        make_classifier=make_classifier,
        make_regressor=make_regressor,
        features=features,
        class_labels=class_labels,
        FEATURES=FEATURES,
        CLASSES=CLASSES,
    )
