"""What the Trainer accepts as data, turned into one ``tf.data.Dataset``.

Datasets pass through; NumPy arrays (or dicts of them, or an ``(x, y)``
tuple) go through `tfstarter.data.from_arrays`, so the same checks apply:
matching lengths, no empty data, no NaN/Inf, labels in range. Both loops then
read the same dataset, batch for batch. The dataset's element spec is checked
against the model's inputs before anything is traced.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from tfstarter._checks import check_one_of, describe
from tfstarter.data import from_arrays
from tfstarter.errors import (
    ArgumentTypeError,
    ConfigError,
    DataError,
    TfstarterError,
)

DEFAULT_BATCH_SIZE = 32


def _is_array_like(value: object) -> bool:
    return isinstance(value, np.ndarray | tf.Tensor | list | Mapping) or (
        hasattr(value, "__array__") and not isinstance(value, tf.data.Dataset)
    )


def _split_tuple(x: Any, y: Any, role: str) -> tuple[Any, Any]:
    """Accept ``(x, y)`` in place of ``x, y``."""
    if isinstance(x, tuple):
        if y is not None:
            raise ConfigError(
                f"`{role}` is a tuple {describe(x)} and `y` is given too. Pass "
                f"either x and y, or one (x, y) tuple."
            )
        if len(x) == 2:
            return x[0], x[1]
        if len(x) == 1:
            return x[0], None
        raise ConfigError(
            f"`{role}` must be an (x, y) pair of arrays, got a tuple of "
            f"{len(x)} items. For sample weights, pass a tf.data.Dataset that "
            f"yields (x, y, sample_weight)."
        )
    return x, y


def to_dataset(
    x: Any,
    y: Any = None,
    *,
    role: str = "x",
    batch_size: int | None = None,
    shuffle: bool | None = None,
    seed: int | None = None,
    classes: int | None = None,
) -> tf.data.Dataset:
    """Turn the accepted kinds of data into a batched ``tf.data.Dataset``.

    Args:
        x: a ``tf.data.Dataset`` (batched), an array or dict of arrays, or an
            ``(x, y)`` tuple of those.
        y: the labels when ``x`` is an array.
        role: the argument name used in error messages.
        batch_size: batch size for arrays (default 32); not allowed with a
            dataset, which is batched already.
        shuffle: reshuffle arrays every epoch; not allowed with a dataset,
            whose pipeline does its own shuffling.
        seed: the shuffle seed for arrays.
        classes: when known, labels must lie in ``[0, classes)``.

    Raises:
        ArgumentTypeError: for a kind of data the Trainer does not take.
        ConfigError: for ``y``, ``batch_size`` or ``shuffle`` given with a
            dataset.
        DataError: for arrays that fail `tfstarter.data.from_arrays`' checks.

    Examples:
        >>> ds = to_dataset((np.zeros((5, 2), "float32"), np.zeros(5)), batch_size=2)
        >>> int(ds.cardinality())
        3
    """
    if isinstance(x, tf.data.Dataset):
        for name, value in (("y", y), ("batch_size", batch_size)):
            if value is not None:
                raise ConfigError(
                    f"`{name}` must not be given when `{role}` is a tf.data.Dataset "
                    f"(got {name}={describe(value)}): the dataset yields batches "
                    f"of (x, y) already. Drop {name}=, or pass arrays instead."
                )
        if shuffle:
            raise ConfigError(
                f"`shuffle=True` does nothing for a tf.data.Dataset `{role}`: "
                f"shuffle in the pipeline (e.g. tfs.data.from_arrays(..., "
                f"shuffle=True, seed=0)), or pass arrays."
            )
        return x
    if isinstance(x, Iterator | keras.utils.PyDataset):
        raise ArgumentTypeError(
            f"`{role}` must be a tf.data.Dataset, an array (or dict of arrays) or "
            f"an (x, y) tuple, got {type(x).__name__}. Wrap a generator with "
            f"tf.data.Dataset.from_generator(...).batch(...)."
        )
    x, y = _split_tuple(x, y, role)
    if x is None or not _is_array_like(x):
        raise ArgumentTypeError(
            f"`{role}` must be a tf.data.Dataset, an array (or dict of arrays) or "
            f"an (x, y) tuple, got {describe(x)} of type {type(x).__name__}."
        )
    try:
        return from_arrays(
            x,
            y,
            batch_size=DEFAULT_BATCH_SIZE if batch_size is None else batch_size,
            shuffle=bool(shuffle),
            seed=seed,
            classes=classes if y is not None and not isinstance(y, Mapping) else None,
        )
    except TfstarterError as err:
        if role == "x":
            raise
        raise type(err)(f"in `{role}`: {err}") from None


def known_batches(dataset: tf.data.Dataset) -> int | None:
    """The number of batches of ``dataset``, or None when TensorFlow cannot tell.

    Examples:
        >>> known_batches(tf.data.Dataset.range(10).batch(4))
        3
        >>> known_batches(tf.data.Dataset.range(10).filter(lambda i: i > 2)) is None
        True
    """
    cardinality = int(dataset.cardinality())
    if cardinality == tf.data.UNKNOWN_CARDINALITY:
        return None
    if cardinality == tf.data.INFINITE_CARDINALITY:
        return -1
    return cardinality


def epoch_batches(
    dataset: tf.data.Dataset, steps_per_epoch: int | None, *, role: str = "x"
) -> int | None:
    """The number of batches one epoch reads (None: until the data runs out).

    Raises:
        ConfigError: for an endless dataset without ``steps_per_epoch``, or an
            empty one.

    Examples:
        >>> epoch_batches(tf.data.Dataset.range(8).batch(2), None)
        4
        >>> epoch_batches(tf.data.Dataset.range(8).batch(2).repeat(), 3)
        3
    """
    batches = known_batches(dataset)
    if steps_per_epoch is not None:
        return steps_per_epoch
    if batches == -1:
        raise ConfigError(
            f"`{role}` is an endless dataset (it repeats), so it never ends. "
            f"Pass steps_per_epoch=N to fit, or take a finite part "
            f"(dataset.take(N)) to evaluate or predict on."
        )
    if batches == 0:
        raise DataError(f"`{role}` is an empty dataset (0 batches); pass some data.")
    return batches


def endless(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """``dataset`` repeated, unless it repeats already.

    With ``steps_per_epoch`` an epoch is the next ``steps_per_epoch`` batches
    of one stream that wraps around at the end of the data — the same in both
    loops, and no epoch is cut short.

    Examples:
        >>> known_batches(endless(tf.data.Dataset.range(3).batch(2)))
        -1
    """
    if known_batches(dataset) == -1:
        return dataset
    return dataset.repeat()


def _structure_of(spec: Any) -> tuple[Any, Any]:
    """Split a dataset element spec into its input part and its target part."""
    if isinstance(spec, tuple):
        if len(spec) == 1:
            return spec[0], None
        return spec[0], spec[1]
    return spec, None


def model_input_specs(model: Any) -> list[Any] | None:
    """The Keras input tensors of ``model`` when it has them, else None."""
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        return None
    if not inputs:
        return None
    return list(inputs)


def _shape_text(shape: Sequence[int | None]) -> str:
    return (
        "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
    )


def check_element_spec(
    model: Any, dataset: tf.data.Dataset, *, role: str, needs_targets: bool
) -> None:
    """Check that ``dataset`` yields what ``model`` takes.

    Raises:
        DataError: when the dataset yields no targets but a loss needs them,
            when it looks unbatched, or when an input's shape does not match
            the model's.

    Examples:
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        >>> ds = tf.data.Dataset.from_tensor_slices(np.zeros((4, 2), "float32"))
        >>> check_element_spec(model, ds.batch(2), role="x", needs_targets=False)
        Traceback (most recent call last):
        ...
        tfstarter.errors.DataError: `x` yields inputs of shape (None, 2) ...
    """
    x_spec, y_spec = _structure_of(dataset.element_spec)
    if needs_targets and y_spec is None:
        raise DataError(
            f"`{role}` yields only inputs ({_describe_spec(x_spec)}), but the "
            f"model's loss needs targets. Make the dataset yield (x, y) pairs, "
            f"e.g. tf.data.Dataset.from_tensor_slices((x, y)).batch(32)."
        )
    inputs = model_input_specs(model)
    if inputs is None:
        return
    given = tf.nest.flatten(x_spec)
    if len(given) != len(inputs):
        raise DataError(
            f"`{role}` yields {len(given)} input tensor(s) "
            f"({_describe_spec(x_spec)}) but the model takes {len(inputs)} "
            f"({', '.join(_shape_text(i.shape) for i in inputs)}). Pass one "
            f"array per model input."
        )
    for spec, expected in zip(given, inputs, strict=True):
        if not isinstance(spec, tf.TensorSpec):
            continue
        actual = tuple(spec.shape.as_list()) if spec.shape.rank is not None else None
        wanted = tuple(expected.shape)
        if actual is None or _compatible(actual, wanted):
            continue
        hint = (
            " It looks unbatched: call .batch(32) on the dataset."
            if len(actual) == len(wanted) - 1 and _compatible((None, *actual), wanted)
            else " Reshape the data (or the model's Input) so they agree."
        )
        raise DataError(
            f"`{role}` yields inputs of shape {_shape_text(actual)} but the model "
            f"expects {_shape_text(wanted)} (None = any size).{hint}"
        )


def _compatible(actual: Sequence[int | None], wanted: Sequence[int | None]) -> bool:
    if len(actual) != len(wanted):
        return False
    return all(
        a is None or w is None or a == w for a, w in zip(actual, wanted, strict=True)
    )


def _describe_spec(spec: Any) -> str:
    parts = [
        f"shape {_shape_text(s.shape.as_list())} {s.dtype.name}"
        if isinstance(s, tf.TensorSpec) and s.shape.rank is not None
        else type(s).__name__
        for s in tf.nest.flatten(spec)
    ]
    return ", ".join(parts)


def infer_classes(model: Any) -> int | None:
    """The number of classes when the loss takes integer labels, else None.

    A sparse categorical cross-entropy on an output of ``n`` units needs
    labels in ``[0, n)``; knowing it lets arrays be checked up front.

    Examples:
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)])
        >>> model.compile(loss=keras.losses.SparseCategoricalCrossentropy())
        >>> infer_classes(model)
        4
    """
    loss = getattr(model, "loss", None)
    sparse = isinstance(loss, keras.losses.SparseCategoricalCrossentropy) or (
        isinstance(loss, str) and loss == "sparse_categorical_crossentropy"
    )
    if not sparse:
        return None
    try:
        outputs = model.outputs
    except (AttributeError, ValueError):
        return None
    if not outputs or len(outputs) != 1:
        return None
    units = outputs[0].shape[-1]
    return int(units) if units is not None and units > 1 else None


def check_verbose(verbose: object) -> Any:
    """Return ``verbose`` if it is ``"auto"``, 0, 1 or 2, as for ``fit``.

    Examples:
        >>> check_verbose("auto"), check_verbose(2)
        ('auto', 2)
    """
    if isinstance(verbose, bool):
        raise ArgumentTypeError(
            f"`verbose` must be 'auto', 0, 1 or 2, got {verbose}. Pass verbose=1 "
            f"for a progress bar, 0 for silence."
        )
    return check_one_of("verbose", verbose, ("auto", 0, 1, 2))
