"""`from_arrays`: exact batching, order, seeded shuffling, transforms and errors."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given
from hypothesis import strategies as st

import tfstarter as tfs
from tfstarter.errors import ArgumentTypeError, ConfigError, DataError


def epoch(ds: tf.data.Dataset) -> list[np.ndarray]:
    return [np.asarray(b[1] if isinstance(b, tuple) else b) for b in ds]


def order(ds: tf.data.Dataset) -> list[int]:
    return np.concatenate(epoch(ds)).tolist()


@given(
    n=st.integers(1, 200),
    batch_size=st.integers(1, 64),
    drop_remainder=st.booleans(),
    shuffle=st.booleans(),
)
def test_batch_count_and_element_count_are_exact(
    n: int, batch_size: int, drop_remainder: bool, shuffle: bool
) -> None:
    x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    y = np.arange(n)
    ds = tfs.data.from_arrays(
        x,
        y,
        batch_size=batch_size,
        drop_remainder=drop_remainder,
        shuffle=shuffle,
        seed=0,
    )
    batches = epoch(ds)
    expected = n // batch_size if drop_remainder else math.ceil(n / batch_size)
    assert len(batches) == expected == int(ds.cardinality())
    assert all(len(b) == batch_size for b in batches[: n // batch_size])
    seen = np.concatenate(batches) if batches else np.array([], dtype=int)
    assert len(seen) == (n // batch_size) * batch_size if drop_remainder else n
    assert len(set(seen.tolist())) == len(seen)  # no sample twice
    if not shuffle:
        assert seen.tolist() == list(range(len(seen)))


def test_features_and_labels_stay_paired_when_shuffled() -> None:
    x = np.arange(50, dtype=np.float32)[:, None] * 10
    y = np.arange(50)
    for features, labels in tfs.data.from_arrays(
        x, y, batch_size=7, shuffle=True, seed=3
    ):
        np.testing.assert_array_equal(features.numpy()[:, 0], labels.numpy() * 10)


@given(seed=st.integers(0, 2**31), other=st.integers(0, 2**31))
def test_same_seed_same_orders_different_seed_different_orders(
    seed: int, other: int
) -> None:
    y = np.arange(64)
    a = tfs.data.from_arrays(y, batch_size=8, shuffle=True, seed=seed)
    b = tfs.data.from_arrays(y, batch_size=8, shuffle=True, seed=seed)
    first_a, second_a = order(a), order(a)
    assert (first_a, second_a) == (order(b), order(b))
    assert first_a != second_a, "no reshuffle between epochs"
    assert sorted(first_a) == list(range(64))
    if other != seed:
        c = tfs.data.from_arrays(y, batch_size=8, shuffle=True, seed=other)
        assert order(c) != first_a


def test_reshuffles_every_epoch_and_fits_for_several_epochs() -> None:
    seen: list[list[int]] = []
    x = np.arange(32, dtype=np.float32)[:, None]
    ds = tfs.data.from_arrays(x, x, batch_size=32, shuffle=True, seed=0)
    for _ in range(3):
        seen.append(next(iter(ds))[0].numpy()[:, 0].astype(int).tolist())
    assert len({tuple(s) for s in seen}) == 3
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(ds, epochs=2, verbose=0, shuffle=False)
    assert len(history.history["loss"]) == 2


def test_dict_features_and_labels() -> None:
    x = {"a": np.arange(5, dtype=np.float32), "b": np.ones((5, 3), np.int8)}
    y = {"out": np.arange(5)}
    features, labels = next(iter(tfs.data.from_arrays(x, y, batch_size=5)))
    assert features["b"].shape == (5, 3) and features["b"].dtype == tf.int8
    np.testing.assert_array_equal(labels["out"].numpy(), np.arange(5))


def test_features_alone_and_dtypes_are_kept() -> None:
    x = np.arange(6, dtype=np.uint8).reshape(3, 2)
    batch = next(iter(tfs.data.from_arrays(x, batch_size=3)))
    assert batch.dtype == tf.uint8
    np.testing.assert_array_equal(batch.numpy(), x)


def test_map_runs_per_sample_and_is_cached() -> None:
    calls = tf.Variable(0)

    def double(x: tf.Tensor, y: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        calls.assign_add(1)
        return x * 2, y

    x = np.arange(10, dtype=np.float32)
    ds = tfs.data.from_arrays(x, x, batch_size=4, map=double, cache=True)
    for _ in range(3):
        features, labels = (np.concatenate(p) for p in zip(*ds, strict=True))
        np.testing.assert_array_equal(features, labels * 2)
    assert int(calls.numpy()) == 10


def test_rescale_and_normalize() -> None:
    x = np.full((4, 2), 255, np.uint8)
    (batch,) = list(tfs.data.from_arrays(x, batch_size=4, rescale=1 / 255))
    assert batch.dtype == tf.float32
    np.testing.assert_allclose(batch.numpy(), 1.0)
    mean, std = np.array([0.5, 1.0]), np.array([0.25, 2.0])
    (batch,) = list(
        tfs.data.from_arrays(x, batch_size=4, rescale=1 / 255, normalize=(mean, std))
    )
    np.testing.assert_allclose(batch.numpy()[0], [2.0, 0.0], atol=1e-6)


def test_augment_applies_to_features_only_in_training_pipelines() -> None:
    x = np.zeros((8, 4, 4, 1), np.float32)
    y = np.arange(8)
    noise = keras.layers.GaussianNoise(1.0, seed=0)
    ds = tfs.data.from_arrays(x, y, batch_size=8, shuffle=True, seed=0, augment=noise)
    features, labels = next(iter(ds))
    assert float(tf.math.reduce_std(features)) > 0.5
    assert sorted(labels.numpy().tolist()) == list(range(8))
    with pytest.raises(ConfigError, match=r"`augment` is for training pipelines"):
        tfs.data.from_arrays(x, y, augment=noise)
    with pytest.raises(ArgumentTypeError, match=r"`augment\[1\]` must be a Keras"):
        tfs.data.from_arrays(x, y, shuffle=True, augment=[noise, lambda t: t])


def test_non_finite_rows_raise_or_are_dropped() -> None:
    x = np.array([[1.0], [np.nan], [3.0], [np.inf]], np.float32)
    y = np.array([0.0, 1.0, np.nan, 3.0])
    with pytest.raises(DataError, match=r"`x` holds NaN or Inf in 2 of 4 rows"):
        tfs.data.from_arrays(x, y)
    ds = tfs.data.from_arrays(x, y, non_finite="drop", batch_size=4)
    features, labels = next(iter(ds))
    assert features.numpy().tolist() == [[1.0]] and labels.numpy().tolist() == [0.0]
    assert int(ds.cardinality()) == 1
    with pytest.raises(DataError, match=r"every row holds NaN or Inf in `x` or in `y`"):
        tfs.data.from_arrays(x[:2], np.array([np.nan, 1.0]), non_finite="drop")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"x": np.zeros((10, 2)), "y": np.zeros(9)},
            DataError,
            r"`x` has 10 samples but `y` has 9",
        ),
        ({"x": np.zeros((0, 2))}, DataError, r"`x` is empty \(0 samples\)"),
        (
            {"x": np.zeros(3), "y": np.array([0, 1, 3]), "classes": 3},
            DataError,
            r"`y` must hold class labels in \[0, 3\), got values from 0 to 3",
        ),
        (
            {"x": np.zeros(3), "classes": 3},
            ConfigError,
            r"`classes` checks integer labels, so `y` must be one label array; "
            r"got y=None",
        ),
        ({"x": np.zeros(3), "batch_size": 0}, ConfigError, r"`batch_size` must be"),
        ({"x": np.zeros(3), "shuffle": "yes"}, ArgumentTypeError, r"`shuffle` must be"),
        (
            {"x": np.zeros(3), "seed": -1},
            ConfigError,
            r"`seed` must be in \[0, 2",
        ),
        ({"x": np.zeros(3), "seed": 1.5}, ArgumentTypeError, r"`seed` must be an int"),
        ({"x": np.zeros(3), "cache": 3}, ArgumentTypeError, r"`cache` must be False"),
        ({"x": np.zeros(3), "prefetch": 0}, ConfigError, r"`prefetch` must be"),
        ({"x": np.zeros(3), "map": 3}, ArgumentTypeError, r"`map` must be a function"),
        (
            {"x": np.zeros(3), "rescale": 0},
            ConfigError,
            r"`rescale` must be a non-zero, finite number, got 0",
        ),
        (
            {"x": np.zeros(3), "non_finite": "keep"},
            ConfigError,
            r"`non_finite` must be one of 'raise', 'drop'; got 'keep'",
        ),
        (
            {"x": {"a": np.zeros(3)}, "rescale": 0.5},
            ConfigError,
            r"`rescale` and `normalize` apply to array features, but `x` is a dict",
        ),
        (
            {"x": np.zeros((3, 2)), "normalize": (0.0, 0.0)},
            ConfigError,
            r"`normalize` std must be > 0 everywhere",
        ),
        (
            {"x": np.zeros((3, 2)), "normalize": (np.zeros(3), 1.0)},
            ConfigError,
            r"`normalize` mean has shape \(3,\), which does not broadcast to one "
            r"sample of shape \(2,\)",
        ),
        (
            {"x": np.zeros((3, 2)), "normalize": 1.0},
            ArgumentTypeError,
            r"`normalize` must be a \(mean, std\) pair, got 1\.0",
        ),
        (
            {"x": [[1, 2], [3]]},
            DataError,
            r"`x` could not be made into an array",
        ),
        (
            {"x": np.array([object(), object()])},
            ArgumentTypeError,
            r"`x` holds Python objects",
        ),
        ({"x": None}, ArgumentTypeError, r"`x` must be an array or a mapping"),
        (
            {"x": np.ones((3, 2), complex)},
            DataError,
            r"`x` holds complex numbers \(dtype complex128\).*imaginary part",
        ),
        (
            {"x": np.ones((3, 2)), "y": np.ones(3, np.complex64)},
            DataError,
            r"`y` holds complex numbers \(dtype complex64\)",
        ),
        (
            {"x": np.ones((3, 2)), "y": np.ones(3), "map": lambda x: x},
            ArgumentTypeError,
            r"`map` takes 1 positional argument \(x\), but `map` receives \(x, y\), "
            r"the features and labels of one sample, and must return \(x, y\)\. "
            r"Write e\.g\. map=lambda x, y: \(f\(x\), y\)",
        ),
        (
            {"x": np.ones((3, 2)), "map": lambda x, y: x},
            ArgumentTypeError,
            r"`map` takes 2 positional arguments \(x, y\), but `map` receives x",
        ),
        (
            {"x": np.ones((3, 2)), "y": np.ones(3), "map": lambda x, y: x * 2},
            ConfigError,
            r"`map` returned one value, not an \(x, y\) pair",
        ),
        (
            {"x": np.ones((3, 2)), "y": np.ones(3), "map": lambda x, y: (x + "a", y)},
            ArgumentTypeError,
            r"`map` failed on a sample: TypeError: .*`map` receives \(x, y\)",
        ),
    ],
)
def test_bad_input_is_rejected_when_the_pipeline_is_built(
    kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        tfs.data.from_arrays(**kwargs)  # type: ignore[arg-type]


def test_trains_a_keras_model() -> None:
    data = tfs.datasets.synthetic_classification(256, 4, classes=3, seed=0)
    ds = tfs.data.from_arrays(
        data.x, data.y, batch_size=32, shuffle=True, seed=0, classes=3
    )
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model.compile(
        optimizer=keras.optimizers.Adam(0.05),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    history = model.fit(ds, epochs=5, verbose=0, shuffle=False)
    assert history.history["accuracy"][-1] > 0.9


def test_map_with_defaults_or_varargs_is_accepted() -> None:
    x, y = np.ones((4, 2), "float32"), np.arange(4)
    scaled = tfs.data.from_arrays(x, y, map=lambda a, b, scale=2.0: (a * scale, b))
    assert next(iter(scaled))[0].numpy().max() == 2.0
    passed = tfs.data.from_arrays(x, y, map=lambda *sample: sample)
    assert next(iter(passed))[1].numpy().tolist() == [0, 1, 2, 3]
