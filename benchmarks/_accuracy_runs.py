"""The models the accuracy benchmark trains: the tutorials' recipes and tfstarter's.

Each run gets the same data — the tutorials' preprocessing, ``pixels / 255``
as float32 — and reports test accuracy and the wall time of ``fit``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import keras
import numpy as np
import numpy.typing as npt

import tfstarter as tfs
from tfstarter.models import CNN_RECIPE, DENSE_RECIPE, Recipe

Arrays = tuple[npt.NDArray[np.float32], npt.NDArray[np.uint8]]


@dataclass(frozen=True)
class Run:
    """One model and how the benchmark trains it."""

    name: str
    source: str
    build: Callable[[], keras.Model]
    recipe: Recipe


@dataclass(frozen=True)
class Result:
    """What one run measured."""

    run: str
    source: str
    dataset: str
    epochs: int
    batch_size: int
    test_accuracy: float
    fit_seconds: float
    params: int


def tutorial_dense() -> keras.Model:
    """Workflow 4: Flatten -> Dense(128, relu) -> Dropout(0.2) -> Dense(10) logits."""
    model = keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(10),
        ]
    )
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    return model


def tutorial_cnn() -> keras.Model:
    """Workflow 5: Conv2D 4/8/12 filters 3x3 -> Flatten -> Dense(256) -> softmax."""
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.Conv2D(8, 3, activation="relu"),
            keras.layers.Conv2D(12, 3, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    return model


RUNS: tuple[Run, ...] = (
    Run(
        name="dense",
        source="tutorial (workflow 4)",
        build=tutorial_dense,
        recipe=Recipe(
            epochs=5, batch_size=32, validation_split=0.1, schedule="constant"
        ),
    ),
    Run(
        name="cnn",
        source="tutorial (workflow 5)",
        build=tutorial_cnn,
        recipe=Recipe(
            epochs=25, batch_size=1000, validation_split=0.2, schedule="constant"
        ),
    ),
    Run(
        name="dense",
        source="tfstarter defaults",
        build=lambda: tfs.models.dense((28, 28), classes=10),
        recipe=DENSE_RECIPE,
    ),
    Run(
        name="cnn",
        source="tfstarter defaults",
        build=lambda: tfs.models.cnn(input_shape=(28, 28, 1), classes=10),
        recipe=CNN_RECIPE,
    ),
)


def prepare(x: npt.NDArray[np.uint8], *, channels: bool) -> npt.NDArray[np.float32]:
    """Apply the tutorials' preprocessing: pixels / 255 as float32."""
    scaled = (x.astype(np.float32) / 255.0).astype(np.float32)
    return scaled[..., None] if channels else scaled


def train_and_test(
    run: Run,
    dataset: str,
    train: Arrays,
    test: Arrays,
    *,
    recipe: Recipe,
    seed: int,
) -> Result:
    """Train ``run`` with ``recipe`` on ``train`` and score it on ``test``."""
    keras.utils.set_random_seed(seed)
    model = run.build()
    channels = len(model.input_shape) == 4
    x_train = prepare(train[0], channels=channels)
    x_test = prepare(test[0], channels=channels)
    start = time.perf_counter()
    model.fit(x_train, train[1], verbose=0, **recipe.fit_kwargs())
    fit_seconds = time.perf_counter() - start
    scores = model.evaluate(x_test, test[1], verbose=0, return_dict=True)
    result = Result(
        run=run.name,
        source=run.source,
        dataset=dataset,
        epochs=recipe.epochs,
        batch_size=recipe.batch_size,
        test_accuracy=float(scores["accuracy"]),
        fit_seconds=fit_seconds,
        params=int(model.count_params()),
    )
    keras.backend.clear_session()
    return result
