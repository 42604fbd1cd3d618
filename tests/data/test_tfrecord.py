"""TFRecord: bit-exact round trips, sharding, atomic writes, parallel ordered reads."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tfstarter as tfs
from tfstarter.errors import (
    ArgumentTypeError,
    ArtifactExistsError,
    ConfigError,
    CorruptFileError,
    DataError,
    DatasetNotFoundError,
)

DTYPES = [
    np.bool_,
    np.int8,
    np.uint8,
    np.int16,
    np.uint16,
    np.int32,
    np.uint32,
    np.int64,
    np.uint64,
    np.float16,
    np.float32,
    np.float64,
    np.complex64,
]


def gather(ds: tf.data.Dataset) -> object:
    batches = list(ds.as_numpy_iterator())
    return tf.nest.map_structure(lambda *parts: np.concatenate(parts), *batches)


@settings(max_examples=10)
@given(
    dtype=st.sampled_from(DTYPES),
    n=st.integers(1, 30),
    shape=st.lists(st.integers(0, 3), max_size=2).map(tuple),
    shards=st.integers(1, 5),
    batch_size=st.integers(1, 8),
    data=st.data(),
)
def test_arrays_round_trip_bit_exactly_in_order(
    tmp_path_factory: pytest.TempPathFactory,
    *,
    dtype: type,
    n: int,
    shape: tuple[int, ...],
    shards: int,
    batch_size: int,
    data: st.DataObject,
) -> None:
    elements = hnp.from_dtype(np.dtype(dtype), allow_nan=False, allow_infinity=False)
    x = data.draw(hnp.arrays(np.dtype(dtype), (n, *shape), elements=elements))
    y = np.arange(n, dtype=np.int64) * 3
    folder = tmp_path_factory.mktemp("rec")
    files = tfs.data.write_tfrecord(folder, x, y, num_shards=shards)
    assert len(files) == shards and all(f.is_file() for f in files)
    ds = tfs.data.from_tfrecord(folder, batch_size=batch_size)
    assert int(ds.cardinality()) == -(-n // batch_size)
    x_back, y_back = gather(ds)  # type: ignore[misc]
    assert x_back.dtype == x.dtype and x_back.shape == x.shape
    assert x_back.tobytes() == x.tobytes()  # bit-exact, signed zeros too
    np.testing.assert_array_equal(y_back, y)  # round-robin shards restore order


def test_dicts_strings_and_features_alone(tmp_path: Path) -> None:
    x = {
        "pixels": np.arange(24, dtype=np.uint8).reshape(4, 2, 3),
        "name": np.array(["a", "bb", "", "é"]),
        "score": np.array([0.5, 1.5, -2.0, 1e300]),
    }
    tfs.data.write_tfrecord(tmp_path, x, num_shards=3)
    back = gather(tfs.data.from_tfrecord(tmp_path, batch_size=3))
    assert isinstance(back, dict)
    np.testing.assert_array_equal(back["pixels"], x["pixels"])
    assert back["name"].tolist() == [b"a", b"bb", b"", "é".encode()]
    assert back["score"].dtype == np.float64 and back["score"][3] == 1e300


def test_a_dataset_is_written_and_read_back(tmp_path: Path) -> None:
    source = tf.data.Dataset.range(10).map(
        lambda i: ({"a": tf.cast(i, tf.float32) / 3}, (i, tf.fill([2], i)))
    )
    tfs.data.write_tfrecord(tmp_path, source, num_shards=4)
    features, (index, pair) = gather(tfs.data.from_tfrecord(tmp_path, batch_size=4))  # type: ignore[misc]
    np.testing.assert_array_equal(index, np.arange(10))
    assert features["a"].tobytes() == (np.arange(10, dtype=np.float32) / 3).tobytes()
    assert pair.shape == (10, 2)


def test_shuffle_covers_every_sample_and_is_seeded(tmp_path: Path) -> None:
    tfs.data.write_tfrecord(tmp_path, np.arange(60), num_shards=4)
    ds = tfs.data.from_tfrecord(tmp_path, batch_size=8, shuffle=True, seed=1)
    again = tfs.data.from_tfrecord(tmp_path, batch_size=8, shuffle=True, seed=1)
    first, second = gather(ds).tolist(), gather(ds).tolist()  # type: ignore[union-attr]
    assert sorted(first) == list(range(60)) and first != second
    assert [first, second] == [gather(again).tolist(), gather(again).tolist()]  # type: ignore[union-attr]
    cached = tfs.data.from_tfrecord(tmp_path, shuffle=True, seed=1, cache=True)
    assert sorted(gather(cached).tolist()) == list(range(60))  # type: ignore[union-attr]


def test_map_rescale_and_compression(tmp_path: Path) -> None:
    x = np.full((5, 2, 2), 255, np.uint8)
    tfs.data.write_tfrecord(tmp_path, x, np.arange(5), compression="GZIP")
    features, _ = gather(tfs.data.from_tfrecord(tmp_path, rescale=1 / 255))  # type: ignore[misc]
    assert features.dtype == np.float32 and np.all(features == 1.0)
    ds = tfs.data.from_tfrecord(
        tmp_path, map=lambda x, y: (tf.reduce_sum(tf.cast(x, tf.int32)), y)
    )
    sums, labels = gather(ds)  # type: ignore[misc]
    assert sums.tolist() == [1020] * 5 and labels.tolist() == list(range(5))


def test_writes_are_atomic_and_overwrite_removes_stale_shards(tmp_path: Path) -> None:
    tfs.data.write_tfrecord(tmp_path, np.arange(10), num_shards=4)
    with pytest.raises(ArtifactExistsError, match=r"already holds TFRecord data"):
        tfs.data.write_tfrecord(tmp_path, np.arange(3))
    tfs.data.write_tfrecord(tmp_path, np.arange(3) * 7, num_shards=2, overwrite=True)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "part-00000-of-00002.tfrecord",
        "part-00001-of-00002.tfrecord",
        "tfrecord_spec.json",
    ]
    assert gather(tfs.data.from_tfrecord(tmp_path)).tolist() == [0, 7, 14]  # type: ignore[union-attr]

    def failing() -> object:
        yield np.int64(1)
        raise RuntimeError("source broke")

    source = tf.data.Dataset.from_generator(
        failing, output_signature=tf.TensorSpec((), tf.int64)
    )
    other = tmp_path / "other"
    with pytest.raises(tf.errors.UnknownError, match=r"source broke"):
        tfs.data.write_tfrecord(other, source)
    assert list(other.iterdir()) == []  # no temporary or partial files left


def test_damaged_folders_are_reported_when_the_pipeline_is_built(
    tmp_path: Path,
) -> None:
    files = tfs.data.write_tfrecord(tmp_path, np.arange(100), num_shards=2)
    files[1].write_bytes(files[1].read_bytes()[:-5])
    with pytest.raises(CorruptFileError, match=r"is \d+ bytes but .* says \d+"):
        tfs.data.from_tfrecord(tmp_path)
    files[1].unlink()
    with pytest.raises(DatasetNotFoundError, match=r"shard .* is missing"):
        tfs.data.from_tfrecord(tmp_path)
    spec = tmp_path / "tfrecord_spec.json"
    spec.write_text(json.dumps({"format": "other"}))
    with pytest.raises(CorruptFileError, match=r"is not a valid tfstarter TFRecord"):
        tfs.data.from_tfrecord(tmp_path)
    spec.unlink()
    with pytest.raises(DatasetNotFoundError, match=r"holds no tfrecord_spec\.json"):
        tfs.data.from_tfrecord(tmp_path)
    with pytest.raises(DatasetNotFoundError, match=r"is not a folder"):
        tfs.data.from_tfrecord(tmp_path / "nothing")


@pytest.mark.parametrize(
    ("x", "kwargs", "error", "match"),
    [
        (np.zeros((0, 2)), {}, DataError, r"`x` is empty"),
        (
            np.zeros(3),
            {"y": np.zeros(2)},
            DataError,
            r"`x` has 3 samples but `y` has 2",
        ),
        (np.zeros(3), {"num_shards": 0}, ConfigError, r"`num_shards` must be"),
        (np.zeros(3), {"compression": "LZ4"}, ConfigError, r"`compression` must be"),
        (
            tf.data.Dataset.range(3).batch(2),
            {},
            ConfigError,
            r"unknown dimension; every sample must have the same, known shape",
        ),
        (tf.data.Dataset.range(3).repeat(), {}, ConfigError, r"infinite dataset"),
        (
            tf.data.Dataset.range(3),
            {"y": np.zeros(3)},
            ConfigError,
            r"`y` must be None",
        ),
        (tf.data.Dataset.range(0), {}, DataError, r"empty dataset"),
    ],
)
def test_bad_input_is_rejected(
    tmp_path: Path,
    x: object,
    kwargs: dict[str, object],
    error: type[Exception],
    match: str,
) -> None:
    with pytest.raises(error, match=match):
        tfs.data.write_tfrecord(tmp_path / "out", x, **kwargs)  # type: ignore[arg-type]


def test_non_finite_policy_applies_to_arrays(tmp_path: Path) -> None:
    x = np.array([[1.0], [np.nan], [3.0]])
    with pytest.raises(
        DataError, match=r"`x` holds NaN or Inf in 1 of 3 rows \(first at row 1\)"
    ):
        tfs.data.write_tfrecord(tmp_path / "a", x, np.arange(3))
    assert not (tmp_path / "a").exists()
    tfs.data.write_tfrecord(tmp_path / "b", x, np.arange(3), non_finite="drop")
    x_back, y_back = gather(tfs.data.from_tfrecord(tmp_path / "b"))  # type: ignore[misc]
    assert x_back.ravel().tolist() == [1.0, 3.0] and y_back.tolist() == [0, 2]
    with pytest.raises(DataError, match=r"`y` holds NaN or Inf"):
        tfs.data.write_tfrecord(tmp_path / "c", np.ones((2, 1)), [0.0, np.inf])


def test_non_finite_policy_applies_to_datasets(tmp_path: Path) -> None:
    ds = tf.data.Dataset.from_tensor_slices(
        (np.array([[1.0], [2.0], [np.inf]], "float32"), np.arange(3))
    )
    with pytest.raises(DataError, match=r"sample 2 of `x` holds NaN or Inf"):
        tfs.data.write_tfrecord(tmp_path / "a", ds)
    assert not (tmp_path / "a" / "tfrecord_spec.json").exists()
    tfs.data.write_tfrecord(tmp_path / "b", ds, non_finite="drop")
    assert int(tfs.data.from_tfrecord(tmp_path / "b").cardinality()) == 1
    _, y_back = gather(tfs.data.from_tfrecord(tmp_path / "b"))  # type: ignore[misc]
    assert y_back.tolist() == [0, 1]


def corrupt(files: list[Path], index: int) -> Path:
    data = bytearray(files[index].read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, flipped bits inside a record
    files[index].write_bytes(bytes(data))
    return files[index]


def test_verify_names_a_corrupt_shard_when_the_pipeline_is_built(
    tmp_path: Path,
) -> None:
    files = tfs.data.write_tfrecord(
        tmp_path, np.arange(400.0).reshape(100, 4), np.arange(100), num_shards=4
    )
    tfs.data.from_tfrecord(tmp_path, verify=True)  # intact
    bad = corrupt(files, 2)
    tfs.data.from_tfrecord(tmp_path)  # sizes agree: not seen without verify
    with pytest.raises(
        CorruptFileError,
        match=rf"shard {bad} is corrupt \(corrupted record at \d+\)\. Copy it again",
    ):
        tfs.data.from_tfrecord(tmp_path, verify=True)


def test_a_corrupt_record_met_while_reading_is_named_after_the_fact(
    tmp_path: Path,
) -> None:
    from tfstarter.data._labels import data_error_from

    files = tfs.data.write_tfrecord(
        tmp_path, np.arange(400.0).reshape(100, 4), np.arange(100), num_shards=2
    )
    ds = tfs.data.from_tfrecord(tmp_path, batch_size=8)
    bad = corrupt(files, 1)
    with pytest.raises(tf.errors.DataLossError) as info:
        list(ds)
    error = data_error_from(info.value)
    assert isinstance(error, CorruptFileError)
    assert str(error).startswith(f"shard {bad} is corrupt (corrupted record at ")


def test_map_signature_is_checked_against_the_samples(tmp_path: Path) -> None:
    tfs.data.write_tfrecord(tmp_path, np.zeros((4, 2)), np.arange(4))
    with pytest.raises(
        ArgumentTypeError, match=r"`map` takes 1 positional argument \(x\), but"
    ):
        tfs.data.from_tfrecord(tmp_path, map=lambda x: x)
