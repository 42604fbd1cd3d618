"""Samples and calibration data: arrays or datasets, batched or not, checked."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from tfstarter.errors import DataError
from tfstarter.export._samples import as_inputs
from tfstarter.export._self_check import default_sample
from tfstarter.export._signature import IOSpec

SPEC = IOSpec((None, 3), "float32", (None, 2), "float32")


@pytest.mark.parametrize(
    "make",
    [
        lambda x: x,
        lambda x: x.tolist(),
        tf.data.Dataset.from_tensor_slices,
        lambda x: tf.data.Dataset.from_tensor_slices(x).batch(4),
        lambda x: tf.data.Dataset.from_tensor_slices((x, np.zeros(len(x)))).batch(3),
    ],
    ids=["array", "list", "samples", "batches", "pairs"],
)
def test_every_form_gives_the_same_array(make: object) -> None:
    x = np.arange(30, dtype="float64").reshape(10, 3)
    got = as_inputs("sample", make(x), SPEC, limit=7)  # type: ignore[operator]
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, x[:7])


def test_dataset_of_dicts_is_refused() -> None:
    dataset = tf.data.Dataset.from_tensor_slices({"a": np.zeros((4, 3))})
    with pytest.raises(DataError, match="yields a dict of inputs"):
        as_inputs("representative_data", dataset, SPEC)


def test_empty_dataset_is_refused() -> None:
    dataset = tf.data.Dataset.from_tensor_slices(np.zeros((0, 3), "float32"))
    with pytest.raises(DataError, match="is an empty dataset"):
        as_inputs("representative_data", dataset, SPEC)


def test_single_samples_and_batches_mix() -> None:
    def gen():  # type: ignore[no-untyped-def]
        yield np.zeros(3, "float32")
        yield np.ones((2, 3), "float32")

    dataset = tf.data.Dataset.from_generator(
        gen, output_signature=tf.TensorSpec(None, tf.float32)
    )
    np.testing.assert_array_equal(
        as_inputs("sample", dataset, SPEC), [[0, 0, 0], [1, 1, 1], [1, 1, 1]]
    )


def test_mixed_ranks_are_refused() -> None:
    def gen():  # type: ignore[no-untyped-def]
        yield np.zeros((2, 3), "float32")
        yield np.zeros((1, 2, 3), "float32")

    dataset = tf.data.Dataset.from_generator(
        gen, output_signature=tf.TensorSpec(None, tf.float32)
    )
    with pytest.raises(DataError, match=r"elements of different ranks \[2, 3\]"):
        as_inputs("sample", dataset, SPEC)


def test_default_sample_is_seeded_and_typed() -> None:
    spec = IOSpec((None, 2, None), "float16", (None, 1), "float32")
    first, second = default_sample(spec), default_sample(spec)
    assert first.shape == (8, 2, 4) and first.dtype == np.float16
    np.testing.assert_array_equal(first, second)
