"""Output heads: the last layer, the loss and the metrics that go with it.

A head is decided by what the model predicts, never by the user picking a
loss: ``outputs=n`` means regression, ``classes=2`` a binary classifier (one
sigmoid unit) and ``classes>2`` a multiclass classifier (softmax
probabilities). Losses and metrics are Keras *objects*, so a model saved to H5
compiles again when Keras 3 loads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import keras

from tfstarter._checks import check_positive_int
from tfstarter.errors import ConfigError

HeadKind = Literal["regression", "binary", "multiclass"]
"""The three kinds of head a builder can end in."""


@dataclass(frozen=True)
class Head:
    """What a model predicts, and how it is scored.

    Attributes:
        kind: ``"regression"``, ``"binary"`` or ``"multiclass"``.
        units: the width of the output layer (1 for binary).
        classes: the number of classes, or ``None`` for regression.

    Examples:
        >>> classification_head(2)
        Head(kind='binary', units=1, classes=2)
    """

    kind: HeadKind
    units: int
    classes: int | None

    @property
    def activation(self) -> str:
        """The activation of the output layer."""
        return {"regression": "linear", "binary": "sigmoid", "multiclass": "softmax"}[
            self.kind
        ]

    def loss(self) -> keras.losses.Loss:
        """Return a fresh default loss object for this head."""
        if self.kind == "regression":
            return keras.losses.MeanSquaredError(name="mse")
        if self.kind == "binary":
            return keras.losses.BinaryCrossentropy(name="binary_crossentropy")
        return keras.losses.SparseCategoricalCrossentropy(
            name="sparse_categorical_crossentropy"
        )

    def metrics(self) -> list[keras.metrics.Metric]:
        """Return fresh default metric objects for this head.

        The names (``mae``, ``accuracy``, ``auc``) are the keys they get in the
        training logs.
        """
        if self.kind == "regression":
            return [keras.metrics.MeanAbsoluteError(name="mae")]
        if self.kind == "binary":
            return [
                keras.metrics.BinaryAccuracy(name="accuracy"),
                keras.metrics.AUC(name="auc"),
            ]
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]

    def output_layer(
        self,
        *,
        regularizer: keras.regularizers.Regularizer | None = None,
        seed: int | None = None,
        use_bias: bool = True,
    ) -> keras.layers.Dense:
        """Return the output layer: a `Dense` with this head's activation.

        The layer computes in float32 even under a mixed-precision policy, so
        probabilities and losses keep their precision.
        """
        return keras.layers.Dense(
            self.units,
            activation=self.activation,
            use_bias=use_bias,
            kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
            kernel_regularizer=regularizer,
            dtype="float32",
            name="output",
        )


def regression_head(outputs: object) -> Head:
    """Return the head of a model that predicts ``outputs`` real numbers.

    Raises:
        ConfigError: if ``outputs`` is not a positive integer.

    Examples:
        >>> regression_head(3)
        Head(kind='regression', units=3, classes=None)
    """
    units = check_positive_int("outputs", outputs)
    return Head(kind="regression", units=units, classes=None)


def classification_head(classes: object) -> Head:
    """Return the head of a classifier over ``classes`` classes.

    Two classes give a binary head (one sigmoid unit, labels 0/1); more give a
    multiclass head (softmax over ``classes`` units, integer labels).

    Raises:
        ConfigError: if ``classes`` is not an integer of at least 2.

    Examples:
        >>> classification_head(10)
        Head(kind='multiclass', units=10, classes=10)
    """
    count = check_positive_int("classes", classes)
    if count < 2:
        raise ConfigError(
            f"`classes` must be at least 2, got {count}. A yes/no problem is "
            f"classes=2 (one sigmoid output); for a real-valued target use "
            f"outputs= (a regression head) instead."
        )
    if count == 2:
        return Head(kind="binary", units=1, classes=2)
    return Head(kind="multiclass", units=count, classes=count)


def resolve_head(*, classes: object, outputs: object) -> Head:
    """Pick the head from ``classes=`` / ``outputs=``; neither means one output.

    Raises:
        ConfigError: if both are given, or either is invalid.

    Examples:
        >>> resolve_head(classes=None, outputs=None).kind
        'regression'
    """
    if classes is not None and outputs is not None:
        raise ConfigError(
            f"pass either `classes` (a classifier) or `outputs` (a regression "
            f"model), not both; got classes={classes!r} and outputs={outputs!r}."
        )
    if classes is not None:
        return classification_head(classes)
    return regression_head(1 if outputs is None else outputs)
