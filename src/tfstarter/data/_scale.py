"""Rescaling and normalisation of features, applied to whole batches."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import tensorflow as tf

from tfstarter._checks import describe
from tfstarter.errors import ArgumentTypeError, ConfigError

Normalize = tuple[npt.ArrayLike, npt.ArrayLike]
"""``(mean, std)``: scalars or arrays broadcastable to one sample's shape."""


def check_normalize(
    normalize: object, sample_shape: tuple[int | None, ...] | None
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]] | None:
    """Return ``(mean, std)`` as float32 arrays after checking them.

    Args:
        normalize: None or a ``(mean, std)`` pair of numbers or arrays.
        sample_shape: the shape of one sample, to check broadcasting against;
            None when unknown.

    Raises:
        ArgumentTypeError: if ``normalize`` is not a pair.
        ConfigError: if ``std`` holds a value <= 0 or a non-finite value, or the
            arrays do not broadcast to one sample.

    Examples:
        >>> mean, std = check_normalize((0.5, 2.0), (3,))
        >>> float(mean), float(std)
        (0.5, 2.0)
    """
    if normalize is None:
        return None
    if not isinstance(normalize, tuple | list) or len(normalize) != 2:
        raise ArgumentTypeError(
            f"`normalize` must be a (mean, std) pair, got {describe(normalize)}. "
            f"Compute both on the training data, e.g. "
            f"normalize=(x_train.mean(axis=0), x_train.std(axis=0))."
        )
    mean = np.asarray(normalize[0], dtype=np.float32)
    std = np.asarray(normalize[1], dtype=np.float32)
    if not np.all(np.isfinite(mean)) or not np.all(np.isfinite(std)):
        raise ConfigError(
            f"`normalize` must hold finite values, got mean {describe(mean)} and "
            f"std {describe(std)} with NaN or Inf."
        )
    if np.any(std <= 0):
        raise ConfigError(
            f"`normalize` std must be > 0 everywhere, got a minimum of "
            f"{float(std.min())}. Replace zero std values (constant features) "
            f"with 1, e.g. np.where(std > 0, std, 1)."
        )
    if sample_shape is not None and None not in sample_shape:
        for name, part in (("mean", mean), ("std", std)):
            try:
                np.broadcast_shapes(part.shape, tuple(int(d) for d in sample_shape))  # type: ignore[arg-type]
            except ValueError:
                raise ConfigError(
                    f"`normalize` {name} has shape {part.shape}, which does not "
                    f"broadcast to one sample of shape {tuple(sample_shape)}. Pass "
                    f"a scalar or an array of the sample's shape (e.g. from "
                    f"x_train.mean(axis=0))."
                ) from None
    return mean, std


def scaler(
    rescale: float | None,
    normalize: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]] | None,
) -> Callable[[Any], Any] | None:
    """Return a function that casts features to float32, rescales and normalises.

    The result is ``(x * rescale - mean) / std`` (each part only when given);
    None when there is nothing to do.

    Examples:
        >>> fn = scaler(0.5, None)
        >>> fn(tf.constant([2, 4])).numpy().tolist()
        [1.0, 2.0]
    """
    if rescale is None and normalize is None:
        return None

    def scale(features: Any) -> Any:
        out = tf.cast(features, tf.float32)
        if rescale is not None:
            out = out * rescale
        if normalize is not None:
            out = (out - normalize[0]) / normalize[1]
        return out

    return scale


def on_features(
    fn: Callable[[Any], Any] | None, *, has_labels: bool
) -> Callable[..., Any] | None:
    """Lift a features-only batch function to ``(x, y)`` batches (labels untouched).

    Examples:
        >>> fn = on_features(lambda x: x * 2, has_labels=True)
        >>> fn(1, "label")
        (2, 'label')
    """
    if fn is None or not has_labels:
        return fn
    features_fn = fn

    def apply(features: Any, labels: Any) -> Any:
        return features_fn(features), labels

    return apply
