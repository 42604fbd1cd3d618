"""`from_tfrecord`: read shards written by `write_tfrecord`, in parallel."""

from __future__ import annotations

import os
from collections.abc import Callable
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
from tfstarter.data._tfrecord_spec import read_spec, spec_path
from tfstarter.data._tuning import parallel_calls
from tfstarter.errors import ConfigError


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

    The features are the first part of ``(x, y)`` samples, or the whole
    sample otherwise; ``rescale`` and ``normalize`` need them to be one tensor.

    Returns:
        A `tf.data.Dataset` of batches with a known number of batches.

    Raises:
        DatasetNotFoundError: if the folder, its spec or a shard is missing.
        CorruptFileError: if the spec is malformed or a shard was truncated.
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
    spec = read_spec(path)
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

    folder = spec_path(path).parent
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
