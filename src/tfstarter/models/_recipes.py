"""Training recipes: how long, in what batches and on what schedule to train.

A builder fixes the architecture and the compile settings; a `Recipe` holds
the rest of what the defaults were tuned with. `CNN_RECIPE` and
`DENSE_RECIPE` are what the accuracy benchmark runs as "tfstarter defaults".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import keras

from tfstarter._checks import check_number_in_range, check_one_of, check_positive_int

Schedule = Literal["constant", "cosine"]


class CosineOverEpochs:
    """A schedule for `keras.callbacks.LearningRateScheduler`: cosine decay per epoch.

    The first epoch runs at the optimizer's learning rate when training
    starts; epoch ``i`` of ``epochs`` at ``0.5 * (1 + cos(pi * i / epochs))``
    times that. Each instance remembers the rate and the first epoch of the
    first ``fit`` it serves, so use a fresh one (`Recipe.callbacks`) per call.

    Examples:
        >>> schedule = CosineOverEpochs(4)
        >>> [round(schedule(epoch, 0.01), 5) for epoch in range(4)]
        [0.01, 0.00854, 0.005, 0.00146]
    """

    def __init__(self, epochs: int) -> None:
        self.epochs = check_positive_int("epochs", epochs)
        self._start: tuple[int, float] | None = None

    def __call__(self, epoch: int, learning_rate: float) -> float:
        """Return the learning rate for ``epoch`` (0-based)."""
        if self._start is None:
            self._start = (epoch, float(learning_rate))
        first, base = self._start
        progress = min(max(epoch - first, 0), self.epochs) / self.epochs
        return base * 0.5 * (1.0 + math.cos(math.pi * progress))


@dataclass(frozen=True)
class Recipe:
    """How to train a model built with a builder's defaults.

    Attributes:
        epochs: passes over the training data.
        batch_size: samples per gradient step.
        validation_split: the fraction of the training data held out for
            validation (watch the train/validation gap for overfitting).
        schedule: ``"cosine"`` decays the learning rate over the epochs,
            from the optimizer's rate to almost 0; ``"constant"`` keeps it.

    Examples:
        >>> recipe = Recipe(epochs=5, batch_size=64, validation_split=0.1)
        >>> kwargs = recipe.fit_kwargs()
        >>> callbacks = kwargs.pop("callbacks")
        >>> kwargs
        {'epochs': 5, 'batch_size': 64, 'validation_split': 0.1}
        >>> type(callbacks.pop()).__name__
        'LearningRateScheduler'
    """

    epochs: int
    batch_size: int
    validation_split: float = 0.1
    schedule: Schedule = "cosine"

    def __post_init__(self) -> None:
        check_positive_int("epochs", self.epochs)
        check_positive_int("batch_size", self.batch_size)
        check_number_in_range(
            "validation_split", self.validation_split, low=0.0, high=1.0
        )
        check_one_of("schedule", self.schedule, ("constant", "cosine"))

    def callbacks(self) -> list[keras.callbacks.Callback]:
        """Return fresh callbacks that apply the learning-rate schedule.

        The model's optimizer must have a float learning rate (the builders'
        default), not a `LearningRateSchedule`.
        """
        if self.schedule == "constant":
            return []
        return [keras.callbacks.LearningRateScheduler(CosineOverEpochs(self.epochs))]

    def fit_kwargs(self) -> dict[str, Any]:
        """Return the recipe as keyword arguments for ``keras.Model.fit``."""
        return {
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "validation_split": self.validation_split,
            "callbacks": self.callbacks(),
        }


CNN_RECIPE = Recipe(epochs=6, batch_size=128, validation_split=0.1)
"""Recommended training for `cnn` with default settings on 28x28 images.

Examples:
    >>> CNN_RECIPE.schedule
    'cosine'
"""

DENSE_RECIPE = Recipe(epochs=20, batch_size=128, validation_split=0.1)
"""Recommended training for a `dense` classifier with default settings on
flattened 28x28 images.

Examples:
    >>> DENSE_RECIPE.batch_size
    128
"""
