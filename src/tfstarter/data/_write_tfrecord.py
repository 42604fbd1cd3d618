"""`write_tfrecord`: arrays or a dataset to sharded TFRecord files, atomically."""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np
import tensorflow as tf

from tfstarter._atomic import temporary_path
from tfstarter._checks import (
    NonFiniteData,
    as_arrays,
    check_bool,
    check_finite,
    check_one_of,
    check_positive_int,
    check_same_length,
    take_rows,
)
from tfstarter.data._arrays import ArrayTree
from tfstarter.data._record_codec import encode, leaves, structure_from_spec
from tfstarter.data._tfrecord_spec import SPEC_NAME, Shard, TFRecordSpec, spec_path
from tfstarter.errors import ArtifactExistsError, ConfigError, DataError

Compression = Literal["GZIP", "ZLIB"] | None

_TARGET_SHARD_BYTES = 64 * 1024 * 1024


def write_tfrecord(
    path: str | os.PathLike[str],
    x: ArrayTree | tf.data.Dataset,
    y: ArrayTree | None = None,
    *,
    num_shards: int | None = None,
    compression: Compression = None,
    overwrite: bool = False,
    non_finite: NonFiniteData = "raise",
) -> list[Path]:
    """Write samples to sharded TFRecord files that `from_tfrecord` reads back exactly.

    Sample ``i`` goes to shard ``i % num_shards``, so reading the shards
    round-robin in parallel restores the original order. Each shard is written
    under a temporary name and renamed when complete; the spec file
    ``tfrecord_spec.json`` (dtypes, shapes, nesting, counts, file sizes) is
    written last, so an interrupted write never leaves a folder that reads as
    complete.

    Args:
        path: the folder to write (created if needed).
        x: features (an array with one row per sample or a dict of them), or a
            `tf.data.Dataset` of unbatched samples (tensors, tuples, dicts).
        y: labels with one row per sample (only with array ``x``), or None.
        num_shards: the number of files; default: about one per 64 MiB of
            data (one for a dataset of unknown size).
        compression: None, ``"GZIP"`` or ``"ZLIB"``.
        overwrite: replace data already written to ``path``.
        non_finite: ``"raise"`` (default) or ``"drop"`` samples holding NaN
            or Inf, as `from_arrays` does; nothing non-finite is written
            unless you clean it first.

    Returns:
        The shard paths, in order.

    Raises:
        ArtifactExistsError: if ``path`` already holds written data and
            ``overwrite`` is False.
        DataError: if ``x`` and ``y`` differ in length, there are no samples,
            or a sample holds NaN or Inf (with ``non_finite="raise"``).
        ConfigError: if a sample has an unknown dimension or unsupported dtype,
            or an option is invalid.

    Examples:
        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> x = np.arange(12, dtype="float64").reshape(6, 2)
        >>> files = write_tfrecord(folder, x, np.arange(6), num_shards=2)
        >>> [f.name for f in files]
        ['part-00000-of-00002.tfrecord', 'part-00001-of-00002.tfrecord']
    """
    folder = Path(path)
    overwrite = check_bool("overwrite", overwrite)
    if compression not in (None, "GZIP", "ZLIB"):
        raise ConfigError(
            f"`compression` must be None, 'GZIP' or 'ZLIB', got {compression!r}."
        )
    if num_shards is not None:
        num_shards = check_positive_int("num_shards", num_shards)
    check_one_of("non_finite", non_finite, ("raise", "drop"))
    if spec_path(folder).exists() and not overwrite:
        raise ArtifactExistsError(
            f"`path` {os.fspath(folder)!r} already holds TFRecord data "
            f"({SPEC_NAME}). Pass overwrite=True to replace it, or another folder."
        )
    if isinstance(x, tf.data.Dataset):
        if y is not None:
            raise ConfigError(
                "`y` must be None when `x` is a tf.data.Dataset; the dataset's "
                "samples already hold the labels, e.g. as (x, y) pairs."
            )
        dataset = x
        size = int(x.cardinality())
        if size == tf.data.INFINITE_CARDINALITY:
            raise ConfigError(
                "`x` is an infinite dataset (it repeats forever); writing it would "
                "never end. Drop .repeat() or take a finite part with .take(n)."
            )
        samples: Any = _finite_samples(x.as_numpy_iterator(), non_finite)
        structure = structure_from_spec(x.element_spec)
    else:
        features = as_arrays("x", x)
        labels = None if y is None else as_arrays("y", y)
        size = check_same_length(features, labels)
        keep = check_finite("x", features, policy=non_finite)
        if labels is not None:
            keep &= check_finite("y", labels, policy=non_finite)
            if not keep.any():
                raise DataError(
                    "every row holds NaN or Inf in `x` or in `y`; nothing would "
                    "be left after dropping them."
                )
        if not keep.all():
            features = take_rows(features, keep)
            labels = None if labels is None else take_rows(labels, keep)
            size = int(keep.sum())
        data = features if labels is None else (features, labels)
        arrays = tf.nest.flatten(data)
        structure = structure_from_spec(
            tf.nest.pack_sequence_as(data, [_spec_of(a) for a in arrays])
        )
        dataset = None
        samples = (
            tf.nest.pack_sequence_as(data, [a[i] for a in arrays]) for i in range(size)
        )
    if num_shards is None:
        num_shards = _default_shards(structure, size)
    leaf_list = leaves(structure)
    del dataset

    folder.mkdir(parents=True, exist_ok=True)
    names = [f"part-{i:05d}-of-{num_shards:05d}.tfrecord" for i in range(num_shards)]
    temps = [temporary_path(folder / name) for name in names]
    counts = [0] * num_shards
    options = tf.io.TFRecordOptions(compression_type=compression or "")
    try:
        with contextlib.ExitStack() as stack:
            writers = [
                stack.enter_context(tf.io.TFRecordWriter(os.fspath(t), options))
                for t in temps
            ]
            for index, sample in enumerate(samples):
                shard = index % num_shards
                writers[shard].write(encode(tf.nest.flatten(sample), leaf_list))
                counts[shard] += 1
        total = sum(counts)
        if total == 0:
            raise DataError(
                "`x` is an empty dataset (0 samples). Pass at least one sample."
            )
        old = _previous_shards(folder) if overwrite else set()
        # Readers see either the old data, or no spec, or the new data.
        with contextlib.suppress(FileNotFoundError):
            spec_path(folder).unlink()
        for temp, name in zip(temps, names, strict=True):
            os.replace(temp, folder / name)
        shards = tuple(
            Shard(name, count, (folder / name).stat().st_size)
            for name, count in zip(names, counts, strict=True)
        )
        TFRecordSpec(structure, shards, compression or "").write(folder)
        for stale in old - set(names):
            with contextlib.suppress(FileNotFoundError):
                (folder / stale).unlink()
    finally:
        for temp in temps:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
    return [folder / name for name in names]


def _finite_samples(samples: Iterator[Any], policy: NonFiniteData) -> Iterator[Any]:
    """Apply the non-finite policy to a stream of samples, naming the first bad one."""
    for index, sample in enumerate(samples):
        bad = False
        for array in tf.nest.flatten(sample):
            value = np.asarray(array)
            if value.dtype.kind in "fc" and not np.isfinite(value).all():
                bad = True
                break
        if not bad:
            yield sample
        elif policy == "raise":
            raise DataError(
                f"sample {index} of `x` holds NaN or Inf. Clean the data, or pass "
                f"non_finite='drop' to leave such samples out."
            )


def _spec_of(array: Any) -> tf.TensorSpec:
    array = np.asarray(array)
    is_text = array.dtype.kind in "US"
    dtype = tf.string if is_text else tf.dtypes.as_dtype(array.dtype)
    return tf.TensorSpec(array.shape[1:], dtype)


def _default_shards(structure: Any, size: int) -> int:
    if size <= 0:  # unknown (-2) or infinite (-1) cardinality
        return 1
    per_sample = 0
    for leaf in leaves(structure):
        itemsize = 16 if leaf.dtype == "string" else tf.as_dtype(leaf.dtype).size
        per_sample += itemsize * math.prod(leaf.shape)
    return max(1, min(size, math.ceil(per_sample * size / _TARGET_SHARD_BYTES)))


def _previous_shards(folder: Path) -> set[str]:
    """Names of the shards of the data being replaced, from its spec if readable."""
    import json

    try:
        data = json.loads(spec_path(folder).read_text(encoding="utf-8"))
        return {str(shard["name"]) for shard in data["shards"]}
    except (OSError, ValueError, KeyError, TypeError):
        return set()
