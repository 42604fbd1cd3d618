"""Data augmentation with Keras preprocessing layers, for training data only.

Augmentation runs on whole batches after the samples are decoded (Keras'
random layers draw a separate transform for every sample of a batch), in
training mode. It is refused for pipelines that do not shuffle: in tfstarter a
pipeline with ``shuffle=False`` is an evaluation pipeline, and evaluating on
randomly transformed samples would make validation and test scores noisy and
wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tfstarter._checks import describe
from tfstarter.errors import ArgumentTypeError, ConfigError

Augment = Any
"""A ``keras.layers.Layer`` (e.g. ``keras.Sequential``) or a sequence of them."""


def augmenter(
    augment: Augment | None, *, shuffle: bool, has_labels: bool
) -> Callable[..., Any] | None:
    """Return a batch function applying ``augment`` to the features, or None.

    Args:
        augment: None, a Keras layer, or a list/tuple of Keras layers applied in
            order.
        shuffle: whether the pipeline shuffles (training) or not (evaluation).
        has_labels: whether batches are ``(x, y)`` pairs (only ``x`` is
            augmented) or features alone.

    Raises:
        ArgumentTypeError: if ``augment`` is not a layer or a list of layers.
        ConfigError: if ``augment`` is given for a pipeline with
            ``shuffle=False``.

    Examples:
        >>> import keras
        >>> fn = augmenter(
        ...     keras.layers.RandomFlip("horizontal", seed=0),
        ...     shuffle=True,
        ...     has_labels=True,
        ... )
        >>> callable(fn)
        True
    """
    if augment is None:
        return None
    import keras

    layers: Sequence[Any] = (
        list(augment) if isinstance(augment, list | tuple) else [augment]
    )
    for index, layer in enumerate(layers):
        if not isinstance(layer, keras.layers.Layer):
            where = "augment" if len(layers) == 1 else f"augment[{index}]"
            raise ArgumentTypeError(
                f"`{where}` must be a Keras layer such as "
                f"keras.layers.RandomFlip('horizontal'), got {describe(layer)} of "
                f"type {type(layer).__name__}. Wrap a plain function in "
                f"map= instead."
            )
    if not layers:
        raise ConfigError(
            "`augment` is an empty list. Pass at least one Keras layer, or None."
        )
    if not shuffle:
        raise ConfigError(
            "`augment` is for training pipelines, which shuffle; this pipeline has "
            "shuffle=False, which tfstarter treats as an evaluation pipeline that "
            "must see the data unchanged. Pass shuffle=True for training data, or "
            "leave augment out for validation and test data."
        )

    def transform(features: Any) -> Any:
        for layer in layers:
            features = layer(features, training=True)
        return features

    if has_labels:

        def augment_pair(features: Any, labels: Any) -> Any:
            return transform(features), labels

        return augment_pair
    return transform
