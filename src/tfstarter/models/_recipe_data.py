"""The pipelines a recipe trains on: a validation hold-out, shuffling, augmentation.

Augmentation here is random translation by whole pixels (``shift``): each
training image moves by its own offset of up to ``shift`` pixels along each
axis, the uncovered border filled with zeros. For digits and clothing that
is the light augmentation that pays: it teaches a small model that position
does not matter, costs two gathers per batch, and keeps uint8 images uint8.
For images whose mirror image is the same class (clothing, not digits),
``flip`` also mirrors each image left-right with probability 1/2.

The offsets and flips come from a stateless generator keyed by ``seed`` and
a random key drawn per batch by ``tf.data.Dataset.random`` (new keys every
epoch), so the same seed gives the same augmented batches on every run,
whatever the number of threads: no generator state is shared between
parallel calls.

Why our own code: Keras' ``RandomTranslation`` reads a 3-D batch of
grayscale images (``(batch, 28, 28)``) as one colour image, interpolates, and
draws from a seed generator whose state parallel ``tf.data`` calls share.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from tfstarter._checks import as_arrays, num_rows
from tfstarter.data import from_arrays
from tfstarter.data._tuning import PREFETCH_BATCHES, parallel_calls, without_autotune
from tfstarter.errors import ConfigError

EVALUATION_BATCH = 1024
"""The batch size of validation pipelines (no gradients, so larger is faster)."""


def shift_images(images: tf.Tensor, key: tf.Tensor, *, pixels: int) -> tf.Tensor:
    """Translate each image of a batch by its own random whole-pixel offset.

    Args:
        images: a batch of shape ``(batch, height, width)`` or ``(batch,
            height, width, channels)``, any dtype.
        key: a shape ``(2,)`` int64 seed for the stateless generator.
        pixels: the largest offset along each axis.

    Returns:
        The shifted batch, same shape and dtype, zeros where no pixel came in.

    Examples:
        >>> image = tf.reshape(tf.range(1, 10), (1, 3, 3))
        >>> moved = shift_images(image, tf.constant([0, 1], tf.int64), pixels=1)
        >>> int(tf.reduce_sum(tf.cast(moved > 0, tf.int32))) in (4, 6, 9)
        True
    """
    shape = tf.shape(images)
    batch, height, width = shape[0], shape[1], shape[2]
    padding = [[0, 0], [pixels, pixels], [pixels, pixels]]
    padding += [[0, 0]] * (len(images.shape) - 3)
    padded = tf.pad(images, padding)
    offsets = tf.random.stateless_uniform(
        (2, batch), seed=key, minval=0, maxval=2 * pixels + 1, dtype=tf.int32
    )
    rows = offsets[0][:, None] + tf.range(height)[None, :]
    columns = offsets[1][:, None] + tf.range(width)[None, :]
    moved = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(moved, columns, axis=2, batch_dims=1)


def flip_images(images: tf.Tensor, key: tf.Tensor) -> tf.Tensor:
    """Mirror each image of a batch left-right, each with probability 1/2.

    Args:
        images: a batch of shape ``(batch, height, width)`` or ``(batch,
            height, width, channels)``, any dtype.
        key: a shape ``(2,)`` integer seed for the stateless generator.

    Returns:
        The batch, same shape and dtype, about half of its images mirrored.

    Examples:
        >>> images = tf.reshape(tf.range(2 * 6), (2, 2, 3))
        >>> flipped = flip_images(images, tf.constant([0, 3], tf.int64))
        >>> [row.tolist() for row in flipped.numpy()[:, 0]] in (
        ...     [[0, 1, 2], [6, 7, 8]],
        ...     [[2, 1, 0], [6, 7, 8]],
        ...     [[0, 1, 2], [8, 7, 6]],
        ...     [[2, 1, 0], [8, 7, 6]],
        ... )
        True
    """
    chosen = tf.random.stateless_uniform(tf.shape(images)[:1], seed=key) < 0.5
    chosen = tf.reshape(chosen, [-1] + [1] * (len(images.shape) - 1))
    return tf.where(chosen, tf.reverse(images, axis=[2]), images)


def hold_out(
    x: Any, y: Any, fraction: float
) -> tuple[tuple[Any, Any], tuple[Any, Any] | None]:
    """Split off the *last* ``fraction`` of the samples, as Keras' ``validation_split``.

    Raises:
        ConfigError: if either part would be empty.

    Examples:
        >>> (x, y), (vx, vy) = hold_out(np.arange(10), np.arange(10), 0.2)
        >>> vx.tolist(), len(x)
        ([8, 9], 8)
    """
    x, y = as_arrays("x", x), as_arrays("y", y)
    if fraction == 0.0:
        return (x, y), None
    total = num_rows("x", x)
    held = int(total * fraction)
    if held < 1 or held >= total:
        raise ConfigError(
            f"validation_split={fraction} of {total} samples leaves "
            f"{held} for validation and {total - held} for training; both need at "
            f"least one. Pass more data or another validation_split."
        )
    cut = total - held
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])


def training_pipeline(
    x: Any,
    y: Any,
    *,
    batch_size: int,
    shift: int,
    seed: int | None,
    flip: bool = False,
) -> tf.data.Dataset:
    """Shuffled batches, a new order every epoch, augmented if ``shift`` or ``flip``.

    Raises:
        ConfigError: if ``shift`` or ``flip`` is asked for and ``x`` does not
            hold images.

    Examples:
        >>> x = np.zeros((10, 4, 4), "uint8")
        >>> ds = training_pipeline(x, np.arange(10), batch_size=4, shift=1, seed=0)
        >>> [tuple(images.shape) for images, _ in ds]
        [(4, 4, 4), (4, 4, 4), (2, 4, 4)]
    """
    augments = shift > 0 or flip
    pipeline = from_arrays(
        x, y, batch_size=batch_size, shuffle=True, seed=seed, prefetch=not augments
    )
    if not augments:
        return pipeline
    if len(np.shape(x)) not in (3, 4):
        what = f"shift={shift} translates" if shift else "flip=True mirrors"
        raise ConfigError(
            f"{what} images, so `x` must hold images of shape (n, height, width) "
            f"or (n, height, width, channels), got shape {np.shape(x)}. Use a "
            f"recipe with shift=0 and flip=False for other data."
        )
    stream_seed = 0 if seed is None else seed
    keys = tf.data.Dataset.random(seed=stream_seed, rerandomize_each_iteration=True)

    def augment(batch: Any, key: tf.Tensor) -> Any:
        images, labels = batch
        pair = tf.stack([tf.constant(stream_seed, tf.int64), key])
        if shift:
            images = shift_images(images, pair, pixels=shift)
        if flip:
            flip_key = tf.random.experimental.stateless_fold_in(pair, 1)
            images = flip_images(images, flip_key)
        return images, labels

    pipeline = tf.data.Dataset.zip((pipeline, keys)).map(
        augment, num_parallel_calls=parallel_calls(), deterministic=True
    )
    return without_autotune(pipeline.prefetch(PREFETCH_BATCHES))


def evaluation_pipeline(x: Any, y: Any) -> tf.data.Dataset:
    """Batches in order, for validation or testing.

    Examples:
        >>> int(evaluation_pipeline(np.zeros((3000, 2)), np.zeros(3000)).cardinality())
        3
    """
    return from_arrays(x, y, batch_size=EVALUATION_BATCH)
