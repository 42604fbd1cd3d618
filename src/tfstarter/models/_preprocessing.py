"""Preprocessing inside the model, so a saved model takes inputs as users have them.

Two options, one at a time: ``rescale=`` multiplies the inputs by a constant
(``1 / 255`` for raw pixels), ``normalize=`` standardizes them with a
`keras.layers.Normalization` whose mean and variance come from sample data.
"""

from __future__ import annotations

from typing import Any, Literal

import keras
import numpy as np
import numpy.typing as npt

from tfstarter._checks import check_finite, check_rescale, describe
from tfstarter.errors import ConfigError, DataError

_CHUNK_ROWS = 8192


def moments(
    data: npt.ArrayLike,
    *,
    sample_shape: tuple[int, ...],
    per: Literal["feature", "channel"],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Return the mean and variance of ``data`` per feature or per channel.

    ``per="feature"`` flattens each sample and returns one value per element;
    ``per="channel"`` returns one value per channel: the last axis of 3-D
    (height, width, channels) samples, a single channel for 2-D ones. Zero
    variances (constant features, such as MNIST's border pixels) become 1.

    Raises:
        DataError: if ``data`` does not hold samples of ``sample_shape``, is
            empty, or holds NaN or Inf.

    Examples:
        >>> mean, variance = moments(
        ...     [[0.0, 5.0], [2.0, 5.0]], sample_shape=(2,), per="feature"
        ... )
        >>> mean.tolist(), variance.tolist()
        ([1.0, 5.0], [1.0, 1.0])
    """
    array: npt.NDArray[Any] = np.asarray(data)
    if not (
        np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.bool_)
    ):
        raise DataError(
            f"`normalize` must be numeric sample data, got {describe(array)}."
        )
    if array.shape[1:] != sample_shape:
        raise DataError(
            f"`normalize` must hold samples of the model's input shape "
            f"{sample_shape}, i.e. an array of shape (n_samples, "
            f"{', '.join(map(str, sample_shape))}), got {describe(array)}. Pass "
            f"(a sample of) the training inputs."
        )
    if array.shape[0] == 0:
        raise DataError("`normalize` is empty (0 samples); pass training inputs.")
    if per == "feature":
        flat = array.reshape(array.shape[0], -1)
    else:
        flat = array.reshape(-1, sample_shape[-1] if len(sample_shape) == 3 else 1)
    check_finite("normalize", flat)
    # Two passes over row chunks in float64: exact enough for 0-255 pixels and
    # never a float64 copy of the whole array.
    total = np.zeros(flat.shape[1], dtype=np.float64)
    for start in range(0, flat.shape[0], _CHUNK_ROWS):
        total += flat[start : start + _CHUNK_ROWS].sum(axis=0, dtype=np.float64)
    mean = total / flat.shape[0]
    squares = np.zeros(flat.shape[1], dtype=np.float64)
    for start in range(0, flat.shape[0], _CHUNK_ROWS):
        centred = flat[start : start + _CHUNK_ROWS].astype(np.float64) - mean
        squares += np.square(centred).sum(axis=0)
    variance = squares / flat.shape[0]
    variance[variance <= 0.0] = 1.0
    return mean, variance


def normalization(
    data: npt.ArrayLike,
    *,
    sample_shape: tuple[int, ...],
    per: Literal["feature", "channel"],
) -> keras.layers.Normalization:
    """Return a `keras.layers.Normalization` holding the moments of ``data``.

    Keras's own ``adapt`` would compute the same statistics, but its layer
    divides by ``max(std, 1e-7)``, so a feature that is constant in the data
    (MNIST's border pixels) would turn any later deviation into ~1e7. Here a
    zero variance becomes 1, as scikit-learn's ``StandardScaler`` does, and the
    moments are stored in the layer config, so H5 and ``.keras`` files carry them.

    Examples:
        >>> layer = normalization(
        ...     np.array([[0.0], [2.0]]), sample_shape=(1,), per="feature"
        ... )
        >>> layer(np.array([[3.0]])).numpy().tolist()
        [[2.0]]
    """
    mean, variance = moments(data, sample_shape=sample_shape, per=per)
    return keras.layers.Normalization(
        axis=-1,
        mean=mean.astype(np.float32).tolist(),
        variance=variance.astype(np.float32).tolist(),
        name="normalize",
    )


def preprocess(
    tensor: Any,
    *,
    rescale: float | None,
    normalize: npt.ArrayLike | None,
    sample_shape: tuple[int, ...],
    per: Literal["feature", "channel"],
) -> Any:
    """Apply the chosen preprocessing layer (if any) to a symbolic tensor.

    ``sample_shape`` is the shape ``normalize`` samples must have; ``per``
    says whether statistics are per feature or per channel.

    Raises:
        ConfigError: if both ``rescale`` and ``normalize`` are given.

    Examples:
        >>> inputs = keras.Input((3,))
        >>> preprocess(
        ...     inputs, rescale=0.5, normalize=None, sample_shape=(3,), per="feature"
        ... ).shape
        (None, 3)
    """
    scale = check_rescale(rescale)
    if scale is not None and normalize is not None:
        raise ConfigError(
            f"pass either `rescale` or `normalize`, not both (got rescale={rescale!r} "
            f"and normalize={describe(normalize)}): normalization already removes "
            f"the scale of the data."
        )
    if scale is not None:
        return keras.layers.Rescaling(scale, name="rescale")(tensor)
    if normalize is not None:
        return normalization(normalize, sample_shape=sample_shape, per=per)(tensor)
    return tensor
