"""Compile a built model with its head's loss and metrics, or the user's.

Everything the user may override — optimizer, learning rate, loss, metrics —
is checked here, once, for every builder.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeAlias

import keras

from tfstarter._checks import describe
from tfstarter.errors import ArgumentTypeError, ConfigError
from tfstarter.models._heads import Head

OptimizerLike: TypeAlias = str | keras.optimizers.Optimizer
"""An optimizer name such as ``"adam"``, or an optimizer instance."""

LearningRate: TypeAlias = float | keras.optimizers.schedules.LearningRateSchedule
"""A constant learning rate, or a Keras learning-rate schedule."""


def resolve_optimizer(
    optimizer: object, learning_rate: object, *, default_learning_rate: float
) -> keras.optimizers.Optimizer:
    """Return a fresh optimizer from a name, or the instance the user passed.

    Raises:
        ArgumentTypeError: if ``optimizer`` or ``learning_rate`` has the wrong type.
        ConfigError: if the name is unknown, the learning rate is not positive,
            both an optimizer instance and ``learning_rate`` are given, or the
            instance already trains another model.

    Examples:
        >>> optimizer = resolve_optimizer("sgd", 0.1, default_learning_rate=0.01)
        >>> type(optimizer).__name__, round(float(optimizer.learning_rate), 3)
        ('SGD', 0.1)
    """
    rate: LearningRate
    if learning_rate is None:
        rate = default_learning_rate
    elif isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule):
        rate = learning_rate
    elif isinstance(learning_rate, int | float) and not isinstance(learning_rate, bool):
        if not (math.isfinite(learning_rate) and learning_rate > 0):
            raise ConfigError(
                f"`learning_rate` must be a positive, finite number, got "
                f"{learning_rate}. Typical values are 1e-3 to 1e-1."
            )
        rate = float(learning_rate)
    else:
        raise ArgumentTypeError(
            f"`learning_rate` must be a float or a "
            f"keras.optimizers.schedules.LearningRateSchedule, got "
            f"{describe(learning_rate)} of type {type(learning_rate).__name__}."
        )

    if isinstance(optimizer, keras.optimizers.Optimizer):
        if learning_rate is not None:
            raise ConfigError(
                f"got both an optimizer instance ({type(optimizer).__name__}) and "
                f"learning_rate={learning_rate!r}. Set the learning rate on the "
                f"optimizer you pass, or pass the optimizer by name "
                f"(e.g. optimizer='adam', learning_rate=...)."
            )
        if optimizer.built:
            raise ConfigError(
                f"the optimizer passed ({type(optimizer).__name__}) already trains "
                f"another model; an optimizer holds per-variable state, so pass a "
                f"fresh instance to each model."
            )
        return optimizer
    if not isinstance(optimizer, str):
        raise ArgumentTypeError(
            f"`optimizer` must be a name such as 'adam' or a "
            f"keras.optimizers.Optimizer instance, got {describe(optimizer)} of "
            f"type {type(optimizer).__name__}."
        )
    try:
        resolved = keras.optimizers.get(
            {"class_name": optimizer, "config": {"learning_rate": rate}}
        )
    except (ValueError, TypeError) as err:
        raise ConfigError(
            f"`optimizer`={optimizer!r} is not a Keras optimizer name. Pass one of "
            f"'adam', 'adamw', 'sgd', 'rmsprop', 'nadam', 'adagrad', or an "
            f"optimizer instance."
        ) from err
    if not isinstance(resolved, keras.optimizers.Optimizer):
        raise ConfigError(  # pragma: no cover - keras.optimizers.get never does this
            f"`optimizer`={optimizer!r} did not resolve to a Keras optimizer."
        )
    return resolved


def resolve_loss(loss: object, head: Head) -> keras.losses.Loss:
    """Return the user's loss object, or the head's default.

    Raises:
        ArgumentTypeError: if ``loss`` is not a `keras.losses.Loss` instance.

    Examples:
        >>> from tfstarter.models._heads import regression_head
        >>> type(resolve_loss(None, regression_head(1))).__name__
        'MeanSquaredError'
    """
    if loss is None:
        return head.loss()
    if isinstance(loss, keras.losses.Loss):
        return loss
    hint = (
        f" Strings do not round-trip through H5 files in Keras 3; pass an object "
        f"such as keras.losses.{type(head.loss()).__name__}()."
    )
    raise ArgumentTypeError(
        f"`loss` must be a keras.losses.Loss instance, got {describe(loss)} of "
        f"type {type(loss).__name__}.{hint}"
    )


def resolve_metrics(metrics: object, head: Head) -> list[keras.metrics.Metric]:
    """Return the user's metric objects, or the head's defaults.

    Raises:
        ArgumentTypeError: if ``metrics`` is not a sequence of
            `keras.metrics.Metric` instances.

    Examples:
        >>> from tfstarter.models._heads import classification_head
        >>> [m.name for m in resolve_metrics(None, classification_head(2))]
        ['accuracy', 'auc']
    """
    if metrics is None:
        return head.metrics()
    if isinstance(metrics, str | bytes) or not isinstance(metrics, Sequence):
        raise ArgumentTypeError(
            f"`metrics` must be a list of keras.metrics.Metric instances, got "
            f"{describe(metrics)} of type {type(metrics).__name__}."
        )
    for index, metric in enumerate(metrics):
        if not isinstance(metric, keras.metrics.Metric):
            raise ArgumentTypeError(
                f"`metrics[{index}]` must be a keras.metrics.Metric instance, got "
                f"{describe(metric)} of type {type(metric).__name__}. Pass objects "
                f"such as keras.metrics.{type(head.metrics()[0]).__name__}(); "
                f"strings do not round-trip through H5 files in Keras 3."
            )
    return list(metrics)


def compile_model(
    model: keras.Model,
    head: Head,
    *,
    optimizer: object,
    learning_rate: object,
    loss: object,
    metrics: object,
    default_learning_rate: float,
) -> keras.Model:
    """Compile ``model`` for ``head`` with keyword arguments only, and return it.

    Examples:
        >>> from tfstarter.models._heads import regression_head
        >>> inputs = keras.Input((2,))
        >>> model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
        >>> model = compile_model(
        ...     model,
        ...     regression_head(1),
        ...     optimizer="adam",
        ...     learning_rate=None,
        ...     loss=None,
        ...     metrics=None,
        ...     default_learning_rate=1e-3,
        ... )
        >>> type(model.loss).__name__
        'MeanSquaredError'
    """
    resolved_optimizer = resolve_optimizer(
        optimizer, learning_rate, default_learning_rate=default_learning_rate
    )
    model.compile(
        optimizer=resolved_optimizer,
        loss=resolve_loss(loss, head),
        metrics=resolve_metrics(metrics, head),
    )
    return model
