"""Properties of the recipes' image augmentation over random batches and keys.

Whatever the batch's shape (with or without a channel axis), dtype and key:
`flip_images` returns each image as it was or mirrored left-right, and
`shift_images` each image moved by whole pixels within ``pixels`` (what
moves out is lost, zeros come in), and both repeat exactly for the same key.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st

from tfstarter.models._recipe_data import flip_images, shift_images

shapes = st.tuples(
    st.integers(1, 6), st.integers(1, 5), st.integers(1, 5), st.sampled_from([0, 1, 3])
).map(lambda s: s[:3] if s[3] == 0 else s)
keys = st.tuples(st.integers(0, 2**31 - 1), st.integers(-(2**62), 2**62))
dtypes = st.sampled_from(["uint8", "float32"])


def _images(shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
    # values 1..255, so a zero can only be a pixel shifted in
    rng = np.random.default_rng(seed)
    return rng.integers(1, 256, shape).astype(dtype)


@settings(deadline=None, max_examples=40)
@given(shape=shapes, dtype=dtypes, key=keys)
def test_flip_keeps_or_mirrors_each_image(
    shape: tuple[int, ...], dtype: str, key: tuple[int, int]
) -> None:
    images = _images(shape, dtype, key[0])
    out = flip_images(tf.constant(images), tf.constant(key, tf.int64)).numpy()
    again = flip_images(tf.constant(images), tf.constant(key, tf.int64)).numpy()
    assert out.dtype == images.dtype and out.shape == images.shape
    np.testing.assert_array_equal(out, again)
    for image, result in zip(images, out, strict=True):
        assert np.array_equal(result, image) or np.array_equal(result, image[:, ::-1])


@settings(deadline=None, max_examples=40)
@given(shape=shapes, dtype=dtypes, key=keys, pixels=st.integers(1, 3))
def test_shift_moves_each_image_by_whole_pixels(
    shape: tuple[int, ...], dtype: str, key: tuple[int, int], pixels: int
) -> None:
    images = _images(shape, dtype, key[0])
    out = shift_images(
        tf.constant(images), tf.constant(key, tf.int64), pixels=pixels
    ).numpy()
    assert out.dtype == images.dtype and out.shape == images.shape
    height, width = shape[1], shape[2]
    offsets = range(-pixels, pixels + 1)
    for image, result in zip(images, out, strict=True):
        padded = np.pad(
            image,
            [(pixels, pixels), (pixels, pixels)] + [(0, 0)] * (image.ndim - 2),
        )
        candidates = [
            padded[
                pixels + dy : pixels + dy + height, pixels + dx : pixels + dx + width
            ]
            for dy in offsets
            for dx in offsets
        ]
        assert any(np.array_equal(result, c) for c in candidates)


def test_flip_mirrors_about_half_of_a_large_batch() -> None:
    images = np.arange(1000 * 2).reshape(1000, 1, 2)
    out = flip_images(tf.constant(images), tf.constant([0, 1], tf.int64)).numpy()
    mirrored = (out[:, 0, 0] != images[:, 0, 0]).mean()
    assert 0.45 < mirrored < 0.55
