"""Training settings that go with the builders' defaults.

A builder fixes the architecture and the compile settings; how long and in
what batches to train is the caller's choice. These are the settings the
accuracy benchmark uses for "tfstarter defaults", and the starting point the
models guide recommends for MNIST-sized problems.
"""

from __future__ import annotations

from dataclasses import dataclass

from tfstarter._checks import check_number_in_range, check_positive_int


@dataclass(frozen=True)
class Recipe:
    """How to train a model built with a builder's defaults.

    Attributes:
        epochs: passes over the training data.
        batch_size: samples per gradient step.
        validation_split: the fraction of the training data held out for
            validation (watch the train/validation gap for overfitting).

    Example:
        >>> recipe = Recipe(epochs=5, batch_size=64, validation_split=0.1)
        >>> recipe.fit_kwargs()
        {'epochs': 5, 'batch_size': 64, 'validation_split': 0.1}
    """

    epochs: int
    batch_size: int
    validation_split: float

    def __post_init__(self) -> None:
        check_positive_int("epochs", self.epochs)
        check_positive_int("batch_size", self.batch_size)
        check_number_in_range(
            "validation_split", self.validation_split, low=0.0, high=1.0
        )

    def fit_kwargs(self) -> dict[str, int | float]:
        """Return the settings as keyword arguments for ``keras.Model.fit``."""
        return {
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "validation_split": self.validation_split,
        }


CNN_RECIPE = Recipe(epochs=6, batch_size=128, validation_split=0.1)
"""Recommended training for `cnn` with default settings on 28x28 images.

Example:
    >>> CNN_RECIPE.epochs > 0
    True
"""

DENSE_RECIPE = Recipe(epochs=10, batch_size=128, validation_split=0.1)
"""Recommended training for a `dense` classifier with default settings on
flattened 28x28 images.

Example:
    >>> DENSE_RECIPE.batch_size > 0
    True
"""
