"""The shared last step of every pipeline: cache, shuffle, batch, map, prefetch.

Every reader hands this step a dataset of cheap *handles* (row indices, CSV
lines, TFRecord records, image paths) plus the functions that turn handles into
tensors. Shuffling happens on the handles, before the expensive decode, so a
full-size shuffle buffer costs a few bytes per sample instead of a decoded
sample; decoding runs after batching wherever it can be vectorised. With
``cache=`` the decoded samples are cached first and shuffled afterwards, so
every epoch still gets a new order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import tensorflow as tf

from tfstarter._checks import check_positive_int
from tfstarter.data._tuning import PREFETCH_BATCHES, parallel_calls, without_autotune
from tfstarter.errors import ArgumentTypeError

F = TypeVar("F", bound=Callable[..., Any])

# How many handles are decoded per call when samples are decoded in batches
# before being cached one by one.
_CACHE_CHUNK = 1024

Cache = bool | str | os.PathLike[str]
"""``False``, ``True`` (in memory) or a file path prefix (on disk)."""

Prefetch = bool | int
"""``True`` (a few batches), ``False`` (none) or a number of batches."""


def no_autograph(fn: F) -> F:
    """Mark an internal dataset function as plain graph code (skip AutoGraph).

    Our map functions use Python control flow only on Python values, so
    AutoGraph's source conversion is wasted time when a pipeline is built.

    Examples:
        >>> double = no_autograph(lambda x: x * 2)
        >>> int(double(tf.constant(2)))
        4
    """
    return cast("F", tf.autograph.experimental.do_not_convert(fn))


def check_cache(value: object) -> Cache:
    """Return ``value`` if it is a valid ``cache=`` argument, else raise.

    Examples:
        >>> check_cache(True)
        True
    """
    if isinstance(value, bool | str | os.PathLike):
        return value
    raise ArgumentTypeError(
        f"`cache` must be False, True (cache in memory) or a file path prefix "
        f"(cache on disk), got {value!r} of type {type(value).__name__}."
    )


def check_prefetch(value: object) -> Prefetch:
    """Return ``value`` if it is a valid ``prefetch=`` argument, else raise.

    Examples:
        >>> check_prefetch(2)
        2
    """
    if isinstance(value, bool):
        return value
    return check_positive_int("prefetch", value)


@dataclass(frozen=True)
class Plan:
    """What `prepare` does to a dataset of handles.

    Attributes:
        batch_size: samples per batch.
        shuffle: reshuffle the samples every epoch.
        seed: the shuffle seed; the same seed gives the same sequence of epoch
            orders.
        shuffle_buffer: the shuffle buffer size in samples.
        drop_remainder: drop the last, smaller batch.
        cache: ``False``, ``True`` (memory) or a path prefix (disk).
        prefetch: ``True`` (`PREFETCH_BATCHES`), ``False`` or a number of
            batches.
        element_fn: handle -> sample, run per sample in parallel.
        batch_fn: batch of handles -> batch of samples, run per batch.
        post_batch: functions applied to every batch in order (augmentation,
            rescaling), after the samples are decoded.
        cardinality: the number of samples, if known.
        index_handles: the handles are ``Dataset.range(cardinality)``, so a
            shuffled epoch can be drawn as one permutation (no per-sample
            shuffle buffer) when nothing is decoded per sample.
    """

    batch_size: int
    shuffle: bool = False
    seed: int | None = None
    shuffle_buffer: int = 10_000
    drop_remainder: bool = False
    cache: Cache = False
    prefetch: Prefetch = True
    element_fn: Callable[..., Any] | None = None
    batch_fn: Callable[..., Any] | None = None
    post_batch: Sequence[Callable[..., Any]] = field(default_factory=tuple)
    cardinality: int | None = None
    index_handles: bool = False


def _map(dataset: tf.data.Dataset, fn: Callable[..., Any]) -> tf.data.Dataset:
    return dataset.map(fn, num_parallel_calls=parallel_calls(), deterministic=True)


def prepare(handles: tf.data.Dataset, plan: Plan) -> tf.data.Dataset:
    """Turn a dataset of handles into batches of samples, following ``plan``.

    Args:
        handles: one element per sample, in the source order.
        plan: what to do; see `Plan`.

    Returns:
        A batched `tf.data.Dataset`.

    Examples:
        >>> ds = prepare(tf.data.Dataset.range(5), Plan(batch_size=2))
        >>> [batch.tolist() for batch in ds.as_numpy_iterator()]
        [[0, 1], [2, 3], [4]]
    """
    dataset = handles
    element_fn, batch_fn = plan.element_fn, plan.batch_fn
    if plan.cache is not False:
        # Decode first, cache the decoded samples, shuffle afterwards.
        if element_fn is not None:
            dataset = _map(dataset, element_fn)
        if batch_fn is not None:
            dataset = _map(dataset.batch(_CACHE_CHUNK), batch_fn).unbatch()
        filename = "" if plan.cache is True else os.fspath(plan.cache)
        dataset = dataset.cache(filename)
        element_fn = batch_fn = None
    permuted = (
        plan.shuffle
        and plan.index_handles
        and element_fn is None
        and plan.cache is False
    )
    if permuted and plan.cardinality is not None:
        dataset = _permuted_index_batches(
            plan.cardinality, plan.batch_size, plan.seed, plan.drop_remainder
        )
    else:
        if plan.shuffle:
            dataset = dataset.shuffle(
                plan.shuffle_buffer, seed=plan.seed, reshuffle_each_iteration=True
            )
        if element_fn is not None:
            dataset = _map(dataset, element_fn)
        if plan.element_fn is None and plan.cache is False:
            # Batching scalar handles is cheaper than scheduling parallel copies.
            dataset = dataset.batch(plan.batch_size, drop_remainder=plan.drop_remainder)
        else:  # decoded samples: copy them into batches in parallel
            dataset = dataset.batch(
                plan.batch_size,
                drop_remainder=plan.drop_remainder,
                num_parallel_calls=parallel_calls(),
                deterministic=True,
            )
    if batch_fn is not None:
        dataset = _map(dataset, batch_fn)
    for fn in plan.post_batch:
        dataset = _map(dataset, fn)
    if plan.cardinality is not None:
        # Lets Keras show progress and size its epochs without a first pass.
        # Asserted on the batches, not the samples: a per-sample check costs
        # ~10% of a fast reader's throughput.
        batches, remainder = divmod(plan.cardinality, plan.batch_size)
        if remainder and not plan.drop_remainder:
            batches += 1
        dataset = dataset.apply(tf.data.experimental.assert_cardinality(batches))
    if plan.prefetch is not False:
        size = PREFETCH_BATCHES if plan.prefetch is True else plan.prefetch
        dataset = dataset.prefetch(size)
    return without_autotune(dataset)


def _permuted_index_batches(
    count: int, batch_size: int, seed: int | None, drop_remainder: bool
) -> tf.data.Dataset:
    """Batches of row indices in a new random order every epoch.

    One vectorised permutation per epoch, as Keras does for arrays given to
    ``fit``: ``Dataset.shuffle`` over the indices would push every sample
    through a shuffle buffer and a batch op, which costs several percent of
    a small model's training throughput. Each iteration (epoch) draws a new
    seed from ``Dataset.random``, so the same ``seed`` gives the same sequence
    of epoch orders.
    """
    full, rest = divmod(count, batch_size)

    @no_autograph
    def permutation(draw: Any) -> Any:
        return tf.random.experimental.stateless_shuffle(
            tf.range(count, dtype=tf.int64),
            seed=tf.stack([draw, tf.constant(0, tf.int64)]),
        )

    @no_autograph
    def batches(order: Any) -> tf.data.Dataset:
        head = tf.reshape(order[: full * batch_size], [full, batch_size])
        if not drop_remainder:
            # As Dataset.batch does: the batch dimension stays unknown, so a
            # compiled step is not traced again for another batch size.
            head = tf.compat.v1.placeholder_with_default(head, [None, None])
        dataset = tf.data.Dataset.from_tensor_slices(head)
        if rest and not drop_remainder:
            tail = tf.data.Dataset.from_tensors(order[full * batch_size :])
            dataset = dataset.concatenate(tail)
        return dataset

    draws = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    return draws.take(1).map(permutation).flat_map(batches)
