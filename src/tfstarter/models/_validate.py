"""Argument checks specific to the model builders.

The generic checks (positive integers, ranges) live in `tfstarter._checks`;
these add the shapes and lists the builders take.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
import numpy as np

from tfstarter._checks import (
    check_number_in_range,
    check_positive_int,
    describe,
)
from tfstarter.errors import ArgumentTypeError, ConfigError


def check_input_shape(value: object) -> tuple[int, ...]:
    """Return the shape of one sample as a tuple of positive ints.

    An int ``n`` means ``(n,)`` (``n`` features).

    Raises:
        ArgumentTypeError: if ``value`` is not an int or a sequence of ints.
        ConfigError: if it is empty, has a non-positive size, or starts with
            the batch dimension (``None``).

    Examples:
        >>> check_input_shape(4), check_input_shape([28, 28])
        ((4,), (28, 28))
    """
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return (check_positive_int("input_shape", value),)
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ArgumentTypeError(
            f"`input_shape` must be the shape of one sample, such as (28, 28) or "
            f"an int number of features, got {describe(value)} of type "
            f"{type(value).__name__}."
        )
    if len(value) == 0:
        raise ConfigError(
            "`input_shape` is empty; pass the shape of one sample, such as (4,) "
            "for 4 features or (28, 28) for an image."
        )
    if value[0] is None:
        rest = tuple(value[1:])
        raise ConfigError(
            f"`input_shape` is the shape of one sample without the batch "
            f"dimension, got {tuple(value)}. Pass input_shape={rest}; the batch "
            f"dimension is always None."
        )
    sizes = []
    for index, size in enumerate(value):
        if isinstance(size, bool) or not isinstance(size, int | np.integer):
            raise ArgumentTypeError(
                f"`input_shape[{index}]` must be an int, got {size!r} of type "
                f"{type(size).__name__} (input_shape={tuple(value)!r})."
            )
        if size <= 0:
            raise ConfigError(
                f"`input_shape` sizes must be positive, got {tuple(value)} "
                f"(input_shape[{index}]={size}). Pass the shape of one sample."
            )
        sizes.append(int(size))
    return tuple(sizes)


def check_sizes(name: str, value: object, *, allow_empty: bool) -> tuple[int, ...]:
    """Return a tuple of positive layer sizes; an int means a single layer.

    Raises:
        ArgumentTypeError: if ``value`` is not an int or a sequence of ints.
        ConfigError: if a size is not positive, or the list is empty and
            ``allow_empty`` is false.

    Examples:
        >>> check_sizes("hidden", [64, 32], allow_empty=True)
        (64, 32)
    """
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return (check_positive_int(name, value),)
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ArgumentTypeError(
            f"`{name}` must be a list of layer sizes such as (64, 32), got "
            f"{describe(value)} of type {type(value).__name__}."
        )
    if not value and not allow_empty:
        raise ConfigError(
            f"`{name}` must list at least one layer size, got {tuple(value)}. "
            f"Pass e.g. {name}=(32, 64)."
        )
    sizes = []
    for index, size in enumerate(value):
        if isinstance(size, bool) or not isinstance(size, int | np.integer):
            raise ArgumentTypeError(
                f"`{name}[{index}]` must be a positive int, got {size!r} of type "
                f"{type(size).__name__} ({name}={tuple(value)!r})."
            )
        if size <= 0:
            raise ConfigError(
                f"`{name}` sizes must be positive, got {name}={tuple(value)} "
                f"({name}[{index}]={size}). Pass sizes of at least 1."
            )
        sizes.append(int(size))
    return tuple(sizes)


def check_dropout(name: str, value: object) -> float:
    """Return a dropout rate in ``[0, 1)``.

    Examples:
        >>> check_dropout("dropout", 0.25)
        0.25
    """
    return check_number_in_range(name, value, low=0.0, high=1.0)


def check_penalty(name: str, value: object) -> float:
    """Return a non-negative, finite regularization factor.

    Examples:
        >>> check_penalty("l2", 1e-4)
        0.0001
    """
    return check_number_in_range(name, value, low=0.0, high=math.inf)


def check_activation(value: object) -> str:
    """Return the name of a Keras activation function.

    Raises:
        ArgumentTypeError: if ``value`` is not a string.
        ConfigError: if Keras knows no activation of that name.

    Examples:
        >>> check_activation("gelu")
        'gelu'
    """
    if not isinstance(value, str):
        raise ArgumentTypeError(
            f"`activation` must be the name of a Keras activation such as "
            f"'relu', got {describe(value)} of type {type(value).__name__}."
        )
    try:
        keras.activations.get(value)
    except ValueError as err:
        raise ConfigError(
            f"`activation`={value!r} is not a Keras activation. Pass e.g. "
            f"'relu', 'gelu', 'silu', 'tanh' or 'elu'."
        ) from err
    return value


def regularizer(l1: float, l2: float) -> keras.regularizers.Regularizer | None:
    """Return an L1/L2 weight penalty, or ``None`` when both are zero.

    Examples:
        >>> regularizer(0.0, 0.0) is None
        True
    """
    if l1 == 0.0 and l2 == 0.0:
        return None
    return keras.regularizers.L1L2(l1=l1, l2=l2)


def layer_seed(seed: int | None, index: int) -> int | None:
    """Return the seed for the ``index``-th seeded layer, or ``None``.

    Every initializer and dropout layer gets its own seed, so two layers never
    draw the same numbers.

    Examples:
        >>> layer_seed(7, 2), layer_seed(None, 2)
        (9, None)
    """
    return None if seed is None else seed + index
