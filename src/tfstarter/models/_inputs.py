"""The input stage of every builder: `keras.Input`, reshaping and preprocessing."""

from __future__ import annotations

from typing import Any

import keras
import numpy.typing as npt

from tfstarter.models._preprocessing import preprocess


def flat_inputs(
    input_shape: tuple[int, ...],
    *,
    rescale: float | None,
    normalize: npt.ArrayLike | None,
) -> tuple[Any, Any]:
    """Return ``(inputs, features)``: samples of any shape, flattened to vectors.

    ``normalize`` statistics are per feature (per element of a sample).

    Examples:
        >>> inputs, features = flat_inputs((4, 5), rescale=None, normalize=None)
        >>> inputs.shape, features.shape
        ((None, 4, 5), (None, 20))
    """
    inputs = keras.Input(shape=input_shape, name="inputs")
    features = inputs
    if len(input_shape) > 1:
        features = keras.layers.Flatten(name="flatten")(features)
    features = preprocess(
        features,
        rescale=rescale,
        normalize=normalize,
        sample_shape=input_shape,
        per="feature",
    )
    return inputs, features


def image_inputs(
    input_shape: tuple[int, ...],
    *,
    rescale: float | None,
    normalize: npt.ArrayLike | None,
) -> tuple[Any, Any]:
    """Return ``(inputs, images)``: ``(H, W)`` or ``(H, W, C)`` images as ``(H, W, C)``.

    Grayscale ``(H, W)`` inputs get a channel axis inside the model, so users
    can feed MNIST arrays as they load. ``normalize`` statistics are per channel.

    Examples:
        >>> inputs, images = image_inputs((28, 28), rescale=1 / 255, normalize=None)
        >>> inputs.shape, images.shape
        ((None, 28, 28), (None, 28, 28, 1))
    """
    inputs = keras.Input(shape=input_shape, name="inputs")
    images = inputs
    if len(input_shape) == 2:
        images = keras.layers.Reshape((*input_shape, 1), name="add_channel")(images)
    images = preprocess(
        images,
        rescale=rescale,
        normalize=normalize,
        sample_shape=input_shape,
        per="channel",
    )
    return inputs, images
