"""`from_tfrecord`: read shards written by `write_tfrecord`, in parallel.

A corrupt record (flipped bytes, a bad CRC) is met either when the pipeline
is built, with ``verify=True`` (every shard is read once, natively), or while
reading, where TensorFlow raises ``DataLossError: corrupted record at 2112``
without naming the shard. For that case the folders read in this process are
remembered (the last few), and `corrupt_shard_error` finds the shard after
the fact, for the Trainer's error.
"""

from __future__ import annotations

import collections
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tensorflow as tf

from tfstarter._checks import (
    check_bool,
    check_positive_int,
    check_rescale,
    check_seed,
)
from tfstarter.data._augment import Augment, augmenter
from tfstarter.data._map import check_map, check_mapped, naming_map_failures
from tfstarter.data._prepare import (
    Cache,
    Plan,
    Prefetch,
    check_cache,
    check_prefetch,
    no_autograph,
    prepare,
)
from tfstarter.data._record_codec import Leaf, decoder
from tfstarter.data._scale import (
    Normalize,
    check_normalize,
    on_features,
    scaler,
)
from tfstarter.data._tfrecord_spec import TFRecordSpec, read_spec, spec_path
from tfstarter.data._tuning import parallel_calls
from tfstarter.errors import ConfigError, CorruptFileError


def from_tfrecord(
    path: str | os.PathLike[str],
    *,
    batch_size: int = 32,
    shuffle: bool = False,
    seed: int | None = None,
    shuffle_buffer: int = 10_000,
    drop_remainder: bool = False,
    cache: Cache = False,
    prefetch: Prefetch = True,
    map: Callable[..., Any] | None = None,
    rescale: float | None = None,
    normalize: Normalize | None = None,
    augment: Augment | None = None,
    verify: bool = False,
) -> tf.data.Dataset:
    """Read a folder written by `write_tfrecord` as a batched `tf.data.Dataset`.

    The shards are read in parallel and interleaved round-robin, which restores
    the order they were written in; records are parsed a batch at a time.
    Samples come back with the dtypes, shapes and nesting they were written
    with (strings as bytes). The folder's spec is checked when the pipeline is
    built: a missing or truncated shard is an error then, not mid-training.

    With ``shuffle=True`` the shard order is reshuffled every epoch and samples
    pass through a shuffle buffer of ``shuffle_buffer`` samples; for a uniform
    shuffle of data that fits in memory, make the buffer at least the number
    of samples (or use ``cache=True``, which shuffles the cached samples).

    Args:
        path: the folder (or its ``tfrecord_spec.json``).
        batch_size: samples per batch.
        shuffle: reshuffle every epoch (training data only).
        seed: the shuffle seed; the same seed gives the same epoch orders.
        shuffle_buffer: the shuffle buffer size, in samples.
        drop_remainder: drop the last, smaller batch.
        cache: keep the decoded samples in memory (``True``) or in files at
            this path prefix, so the shards are read once.
        prefetch: ``True`` (2 batches), ``False`` or a number of batches.
        map: a function applied to every sample before batching, like
            ``from_arrays(map=...)``.
        rescale: multiply the features by this factor (float32 result).
        normalize: ``(mean, std)`` of the training features.
        augment: Keras preprocessing layers for training pipelines (see
            `from_arrays`).
        verify: read every record once when the pipeline is built, checking
            its CRCs, so a corrupt shard is named before training. Without
            it, a corrupt record stops the reading with TensorFlow's
            ``DataLossError`` (``tfs.Trainer`` names the shard then).

    The features are the first part of ``(x, y)`` samples, or the whole
    sample otherwise; ``rescale`` and ``normalize`` need them to be one tensor.

    Returns:
        A `tf.data.Dataset` of batches with a known number of batches.

    Raises:
        DatasetNotFoundError: if the folder, its spec or a shard is missing.
        CorruptFileError: if the spec is malformed, a shard was truncated, or
            (with ``verify``) a record is corrupt; the message names the shard.
        ConfigError: if an option is invalid.

    Examples:
        >>> import tempfile
        >>> from tfstarter.data import write_tfrecord
        >>> folder = tempfile.mkdtemp()
        >>> x = np.arange(12, dtype="float64").reshape(6, 2)
        >>> _ = write_tfrecord(folder, x, np.arange(6), num_shards=3)
        >>> ds = from_tfrecord(folder, batch_size=4)
        >>> [y.tolist() for _, y in ds.as_numpy_iterator()]
        [[0, 1, 2, 3], [4, 5]]
    """
    batch_size = check_positive_int("batch_size", batch_size)
    shuffle = check_bool("shuffle", shuffle)
    drop_remainder = check_bool("drop_remainder", drop_remainder)
    seed = check_seed(seed)
    shuffle_buffer = check_positive_int("shuffle_buffer", shuffle_buffer)
    cache = check_cache(cache)
    prefetch = check_prefetch(prefetch)
    rescale = check_rescale(rescale)
    verify = check_bool("verify", verify)
    spec = read_spec(path)
    folder = spec_path(path).parent
    if verify:
        error = _check_shards(folder, spec)
        if error is not None:
            raise error
    _remember(folder, spec)
    structure = spec.structure
    has_labels = isinstance(structure, tuple) and len(structure) == 2
    map_fn = check_map(map, has_labels=has_labels)
    features = structure[0] if has_labels else structure
    norm = None
    if rescale is not None or normalize is not None:
        if map is None and not isinstance(features, Leaf):
            raise ConfigError(
                "`rescale` and `normalize` apply to one feature tensor, but the "
                "samples' features are nested. Scale inside map= instead."
            )
        shape = features.shape if isinstance(features, Leaf) and map is None else None
        norm = check_normalize(normalize, shape)
    post_batch = [
        fn
        for fn in (
            augmenter(augment, shuffle=shuffle, has_labels=has_labels),
            on_features(scaler(rescale, norm), has_labels=has_labels),
        )
        if fn is not None
    ]

    files = [os.fspath(folder / shard.name) for shard in spec.shards]
    compression = spec.compression

    file_ds = tf.data.Dataset.from_tensor_slices(files)
    if shuffle and cache is False:
        file_ds = file_ds.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)

    @no_autograph
    def read(name: Any) -> Any:
        return tf.data.TFRecordDataset(name, compression_type=compression)

    records = file_ds.interleave(
        read,
        cycle_length=len(files),
        block_length=1,
        num_parallel_calls=min(len(files), parallel_calls()),
        deterministic=True,
    )
    if map_fn is None:
        element_fn = None
        batch_fn = decoder(structure, batched=True)
    else:
        single = decoder(structure, batched=False)
        user_map = map_fn

        def element_fn(record: Any) -> Any:
            sample = single(record)
            return user_map(*sample) if has_labels else user_map(sample)

        batch_fn = None
    plan = Plan(
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        shuffle_buffer=spec.count if cache is not False else shuffle_buffer,
        drop_remainder=drop_remainder,
        cache=cache,
        prefetch=prefetch,
        element_fn=element_fn,
        batch_fn=batch_fn,
        post_batch=post_batch,
        cardinality=spec.count,
    )
    with naming_map_failures(has_labels):
        dataset = prepare(records, plan)
    if map_fn is not None:
        check_mapped(dataset.element_spec, has_labels=has_labels)
    return dataset


# The folders read in this process, newest last (a few, for the error path).
_READ: collections.OrderedDict[Path, TFRecordSpec] = collections.OrderedDict()
_REMEMBERED = 16


def _remember(folder: Path, spec: TFRecordSpec) -> None:
    _READ.pop(folder, None)
    _READ[folder] = spec
    while len(_READ) > _REMEMBERED:
        _READ.popitem(last=False)


def _check_shards(folder: Path, spec: TFRecordSpec) -> CorruptFileError | None:
    """Read every record of every shard once; the first corrupt shard, or None."""
    for shard in spec.shards:
        name = os.fspath(folder / shard.name)
        records = tf.data.TFRecordDataset(name, compression_type=spec.compression)
        try:
            count = int(records.reduce(tf.constant(0, tf.int64), lambda n, _: n + 1))
        except (tf.errors.DataLossError, tf.errors.InvalidArgumentError) as err:
            found = re.search(r"corrupted record at \d+", err.message or "")
            what = found.group(0) if found else type(err).__name__
            return CorruptFileError(
                f"shard {name} is corrupt ({what}). Copy it again from a good "
                f"copy, or write the data again with tfstarter.data.write_tfrecord."
            )
        if count != shard.count:
            return CorruptFileError(
                f"shard {name} holds {count} records but the spec says "
                f"{shard.count}. Copy it again, or write the data again."
            )
    return None


def corrupt_shard_error(error: BaseException) -> CorruptFileError | None:
    """Name the shard behind a ``DataLossError`` met while reading, if it is ours.

    Checks the shards of the folders `from_tfrecord` read in this process
    (newest first) and returns an error naming the first corrupt one; None
    when the error is not a corrupt record or no remembered shard is corrupt.

    Examples:
        >>> corrupt_shard_error(ValueError("unrelated")) is None
        True
    """
    if not isinstance(error, tf.errors.DataLossError):
        return None
    for folder, spec in reversed(list(_READ.items())):
        try:
            found = _check_shards(folder, spec)
        except (OSError, tf.errors.OpError):  # moved or deleted since
            continue
        if found is not None:
            return found
    return None
