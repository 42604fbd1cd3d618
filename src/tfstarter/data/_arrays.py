"""`from_arrays`: a batched ``tf.data.Dataset`` from NumPy arrays (or dicts of them)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import tensorflow as tf

from tfstarter._checks import (
    NonFiniteData,
    as_arrays,
    check_bool,
    check_finite,
    check_labels,
    check_one_of,
    check_positive_int,
    check_real,
    check_rescale,
    check_same_length,
    check_seed,
    take_rows,
)
from tfstarter.data._augment import Augment, augmenter
from tfstarter.data._known_targets import remember_targets
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
from tfstarter.data._scale import (
    Normalize,
    check_normalize,
    on_features,
    scaler,
)
from tfstarter.errors import ConfigError, DataError

ArrayTree = npt.ArrayLike | Mapping[str, npt.ArrayLike]
"""An array (anything NumPy can convert) or a mapping of names to arrays."""


def from_arrays(
    x: ArrayTree,
    y: ArrayTree | None = None,
    *,
    batch_size: int = 32,
    shuffle: bool = False,
    seed: int | None = None,
    drop_remainder: bool = False,
    cache: Cache = False,
    prefetch: Prefetch = True,
    map: Callable[..., Any] | None = None,
    rescale: float | None = None,
    normalize: Normalize | None = None,
    augment: Augment | None = None,
    classes: int | None = None,
    non_finite: NonFiniteData = "raise",
) -> tf.data.Dataset:
    """Build a batched `tf.data.Dataset` from in-memory arrays.

    The data is checked when the pipeline is built: ``x`` and ``y`` must have
    the same number of rows, at least one; NaN or Inf in a float array of ``x``
    or ``y`` raises (or, with ``non_finite="drop"``, those rows are dropped);
    complex numbers are refused (a model would drop their imaginary part);
    with ``classes=`` every label must be an integer in ``[0, classes)``.

    Shuffling draws one permutation of the row indices per epoch (8 bytes per
    sample) and gathers each batch with one vectorised ``tf.gather``, like
    Keras does for arrays passed to ``fit``; every epoch gets a new order, and
    the same ``seed`` gives the same sequence of orders. With ``map=`` the
    mapped samples go through a full-size shuffle buffer instead.

    Args:
        x: features: an array of shape ``(n_samples, ...)`` or a dict of such
            arrays (for multi-input models).
        y: labels with one row per sample (array or dict), or None for a
            dataset of features alone.
        batch_size: samples per batch.
        shuffle: reshuffle every epoch. Use it for training data only.
        seed: the shuffle seed (None: a new order on every run).
        drop_remainder: drop the last batch if it is smaller than
            ``batch_size``.
        cache: only used with ``map=``: keep the mapped samples in memory
            (``True``) or in files at this path prefix, so ``map`` runs once.
            Without ``map=`` the arrays are in memory already and nothing is
            recomputed, so there is nothing to cache. ``map`` must then be
            deterministic.
        prefetch: prepare batches ahead of the model: ``True`` (2 batches),
            ``False``, or a number of batches.
        map: a function applied to every sample before batching, in parallel:
            it receives ``(x, y)``, one sample's features and labels, as two
            arguments and returns ``(x, y)``; without labels ``map(x) -> x``.
            Its signature is checked when the pipeline is built.
        rescale: multiply the features by this factor (e.g. ``1/255``); they
            become float32. Only for array features.
        normalize: ``(mean, std)`` computed on the *training* data; features
            become ``(x * rescale - mean) / std`` in float32. Pass the same
            pair to the validation and test pipelines.
        augment: Keras preprocessing layers (one layer or a list), applied to
            each batch of features in training mode, before ``rescale`` and
            ``normalize``. Training pipelines only: refused when
            ``shuffle=False``.
        classes: the number of classes; labels outside ``[0, classes)`` raise.
        non_finite: ``"raise"`` (default) or ``"drop"`` rows holding NaN or Inf.

    Returns:
        A `tf.data.Dataset` of ``(x, y)`` batches, or of ``x`` batches when
        ``y`` is None, with a known number of batches.

    Raises:
        DataError: if lengths differ, there are no samples, a value is NaN/Inf
            (with ``non_finite="raise"``), complex, or a label is out of range.
        ConfigError: if an option is out of range, ``augment`` is given
            without ``shuffle=True``, or ``map`` fails on a sample or drops
            the labels.
        ArgumentTypeError: if an argument has the wrong type, or ``map``
            cannot take ``(x, y)`` (``x`` without labels).

    Examples:
        >>> x = np.arange(10, dtype="float32").reshape(5, 2)
        >>> y = np.array([0, 1, 0, 1, 1])
        >>> ds = from_arrays(x, y, batch_size=2)
        >>> [labels.tolist() for _, labels in ds.as_numpy_iterator()]
        [[0, 1], [0, 1], [1]]
        >>> shuffled = from_arrays(x, y, batch_size=5, shuffle=True, seed=0)
        >>> sorted(next(iter(shuffled))[0][:, 0].numpy().tolist())
        [0.0, 2.0, 4.0, 6.0, 8.0]
    """
    batch_size = check_positive_int("batch_size", batch_size)
    shuffle = check_bool("shuffle", shuffle)
    drop_remainder = check_bool("drop_remainder", drop_remainder)
    seed = check_seed(seed)
    cache = check_cache(cache)
    prefetch = check_prefetch(prefetch)
    check_one_of("non_finite", non_finite, ("raise", "drop"))
    map_fn = check_map(map, has_labels=y is not None)
    rescale = check_rescale(rescale)

    x = as_arrays("x", x)
    y = None if y is None else as_arrays("y", y)
    check_real("x", x)
    if y is not None:
        check_real("y", y)
    check_same_length(x, y)
    keep = check_finite("x", x, policy=non_finite)
    if y is not None:
        keep &= check_finite("y", y, policy=non_finite)
        if not keep.any():
            raise DataError(
                "every row holds NaN or Inf in `x` or in `y`; nothing would be "
                "left after dropping them."
            )
    if not keep.all():
        x = take_rows(x, keep)
        y = None if y is None else take_rows(y, keep)
    if classes is not None:
        classes = check_positive_int("classes", classes)
        if y is None or isinstance(y, Mapping):
            raise ConfigError(
                "`classes` checks integer labels, so `y` must be one label array; "
                f"got y={'None' if y is None else 'a dict'}. Drop classes= or pass "
                f"the labels as one array."
            )
        check_labels("y", y, classes)

    if (rescale is not None or normalize is not None) and isinstance(x, Mapping):
        raise ConfigError(
            "`rescale` and `normalize` apply to array features, but `x` is a dict "
            f"with keys {sorted(x)}. Scale the arrays before passing them, or "
            f"scale inside map=."
        )
    features: Any = x
    sample_shape = (
        None if isinstance(x, Mapping) or map_fn is not None else features.shape[1:]
    )
    norm = check_normalize(normalize, sample_shape)
    n_samples = int(np.asarray(keep).sum())

    tensors = tf.nest.map_structure(
        tf.convert_to_tensor, (x, y) if y is not None else x
    )
    has_labels = y is not None
    post_batch = [
        fn
        for fn in (
            augmenter(augment, shuffle=shuffle, has_labels=has_labels),
            on_features(scaler(rescale, norm), has_labels=has_labels),
        )
        if fn is not None
    ]

    @no_autograph
    def gather(index: Any) -> Any:
        return tf.nest.map_structure(lambda t: tf.gather(t, index), tensors)

    def element(index: Any) -> Any:
        sample = gather(index)
        if map_fn is None:
            return sample
        return map_fn(*sample) if has_labels else map_fn(sample)

    plan = Plan(
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        shuffle_buffer=n_samples,
        drop_remainder=drop_remainder,
        cache=cache if map_fn is not None else False,
        prefetch=prefetch,
        element_fn=element if map_fn is not None else None,
        batch_fn=gather if map_fn is None else None,
        post_batch=post_batch,
        cardinality=n_samples,
        index_handles=True,
    )
    with naming_map_failures(has_labels):
        dataset = prepare(tf.data.Dataset.range(n_samples), plan)
    if map_fn is not None:
        check_mapped(dataset.element_spec, has_labels=has_labels)
    elif y is not None and not isinstance(y, Mapping) and keep.all():
        # Every row of `y`, in some order: the Trainer checks them once, whole.
        remember_targets(dataset, np.asarray(y))
    return dataset
