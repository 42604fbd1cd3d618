"""Data checked against the model it trains: the door the Trainer calls.

Four functions, for the two ways data arrives:

* arrays: `check_features` and `check_targets` read every value at once, so
  a wrong label fails before training starts;
* a ``tf.data.Dataset``: `checked_dataset` checks dtypes and shapes from the
  element spec before anything runs. A pipeline of
  `tfstarter.data.from_arrays` has its labels checked there too, all at
  once (see `_known_targets`); any other comes back with a cheap in-graph
  check of each batch's target values, whose failure names the batch and
  the row; `data_error_from` turns that failure (a TensorFlow
  ``InvalidArgumentError`` raised by the iterator) into a `DataError`, and
  a corrupt TFRecord record into a `CorruptFileError` naming the shard.

What a model takes is read from its loss and output (`target_rule`); a loss
of your own is not checked.

Examples:
    >>> import tfstarter as tfs
    >>> model = tfs.models.logistic(2, classes=2)
    >>> check_targets(model, np.array([0, 1, 2, 5]))
    Traceback (most recent call last):
    ...
    tfstarter.errors.DataError: `y` holds label 2 at row 2, but the model is a ...
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import tensorflow as tf

from tfstarter.data._feature_checks import check_feature_dtypes
from tfstarter.data._from_tfrecord import corrupt_shard_error
from tfstarter.data._known_targets import known_targets
from tfstarter.data._target_checks import (
    bad_elements,
    check_target_dtype,
    check_target_shape,
    check_target_values,
    template,
)
from tfstarter.data._targets import TargetRule, target_rule
from tfstarter.errors import DataError, TfstarterError

# In-graph failures carry this prefix, so `data_error_from` can find them.
_MARK = "tfstarter.DataError: "
_FOUND = re.compile(r"assertion failed: \[" + re.escape(_MARK) + r"(.*)\]\s*$", re.M)


def _named_leaves(name: str, data: Any) -> list[tuple[str, Any]]:
    if isinstance(data, Mapping):
        leaves: list[tuple[str, Any]] = []
        for key in sorted(data):
            leaves.extend(_named_leaves(f"{name}[{key!r}]", data[key]))
        return leaves
    if isinstance(data, tuple | list):
        return [
            pair
            for index, item in enumerate(data)
            for pair in _named_leaves(f"{name}[{index}]", item)
        ]
    return [(name, data)]


def _dtype(value: Any) -> tf.DType:
    if isinstance(value, tf.TensorSpec | tf.Tensor | tf.RaggedTensor | tf.SparseTensor):
        return tf.as_dtype(value.dtype)
    array = np.asarray(value)
    if array.dtype.kind in "USO":
        return tf.string
    return tf.as_dtype(array.dtype)


def check_features(model: Any, x: Any, *, name: str = "x") -> None:
    """Check features (arrays, a dict of them) against ``model``'s inputs by dtype.

    Text into a numeric input and complex numbers are refused; raw ``uint8``
    pixels into a model that does not rescale them get a `DataWarning`,
    once per model.

    Args:
        model: the `keras.Model` the features go into.
        x: an array, or a dict (or list) of arrays, one per model input.
        name: the argument name used in messages.

    Raises:
        DataError: for strings into a numeric input, or complex numbers.

    Examples:
        >>> import tfstarter as tfs
        >>> model = tfs.models.linear(2)
        >>> check_features(model, np.array([["1", "2"]]))
        Traceback (most recent call last):
        ...
        tfstarter.errors.DataError: `x` holds strings, but the model takes ...
    """
    # None stands for an optional input that is left out: nothing to check.
    leaves = [(where, v) for where, v in _named_leaves(name, x) if v is not None]
    check_feature_dtypes(model, name, [(where, _dtype(v)) for where, v in leaves])


def check_targets(model: Any, y: Any, *, name: str = "y", loss: object = None) -> None:
    """Check targets (an array) against what ``model``'s loss and output take.

    Binary heads take labels in ``[0, 1]`` (0/1, booleans, or probabilities);
    sparse multiclass heads take whole numbers in ``[0, classes)`` and
    recognise one-hot rows; categorical heads take one-hot (or probability)
    rows; regression targets must have the output's shape (``(n,)`` for one
    output is fine; ``(n, 3)`` into one output is not). Strings and complex
    numbers are refused everywhere.

    Args:
        model: the `keras.Model` (compiled, or with ``loss=``).
        y: the targets, one row per sample. A dict (several outputs) is not
            checked.
        name: the argument name used in messages.
        loss: the loss to check against instead of the model's own.

    Raises:
        DataError: naming the first wrong row, its value, how many rows are
            wrong and how to fix them.
        ConfigError: for a sparse or categorical loss on a one-unit output.

    Examples:
        >>> import tfstarter as tfs
        >>> model = tfs.models.dense(4, classes=3, hidden=(8,))
        >>> check_targets(model, np.array([0, 2, 1]))
        >>> check_targets(model, np.eye(3))
        Traceback (most recent call last):
        ...
        tfstarter.errors.DataError: `y` has shape (n, 3), one row of 3 per ...
    """
    if y is None or isinstance(y, Mapping):
        return
    subject = f"`{name}`"
    dtype = _dtype(y)
    check_target_dtype(subject, dtype)
    rule = target_rule(model, loss=loss)
    if rule is None:
        return
    array = np.asarray(y)
    if array.ndim == 0:
        raise DataError(
            f"{subject} is a scalar ({array!r}); pass one target per sample, an "
            f"array of shape (n_samples, ...)."
        )
    check_target_shape(rule, subject, tuple(int(d) for d in array.shape[1:]))
    check_target_values(rule, subject, array)


def _split_element(spec: Any) -> tuple[Any, Any]:
    if isinstance(spec, tuple) and len(spec) in (2, 3):
        return spec[0], spec[1]
    if isinstance(spec, tuple) and len(spec) == 1:
        return spec[0], None
    return spec, None


def checked_dataset(
    model: Any, dataset: tf.data.Dataset, *, name: str = "x", loss: object = None
) -> tf.data.Dataset:
    """Check a batched dataset against ``model``; return it with per-batch label checks.

    Before anything runs, the element spec is checked: feature dtypes as in
    `check_features`, target dtype and per-sample shape as in
    `check_targets`. Classifier targets of a `tfstarter.data.from_arrays`
    pipeline are then checked whole, at once, from the arrays it was built
    from (a `DataError` naming the row); those of any other pipeline batch
    by batch inside the graph (a few vectorised reductions per batch): a
    wrong label stops the iteration with a TensorFlow
    ``InvalidArgumentError`` whose message names the batch (counting from 0
    in each pass over the data), the row and the value. `data_error_from`
    turns it into a `DataError`. Regression targets, and targets checked
    whole, need no per-batch check: the dataset comes back as it was.

    Args:
        model: the `keras.Model` (compiled, or with ``loss=``).
        dataset: a batched dataset of ``x``, ``(x, y)`` or
            ``(x, y, sample_weight)``.
        name: the argument name used in messages.
        loss: the loss to check against instead of the model's own.

    Returns:
        ``dataset``, or ``dataset`` followed by the per-batch check.

    Raises:
        DataError: for text or complex features, targets whose dtype or
            shape the model cannot take, or known targets it cannot take.

    Examples:
        >>> import tfstarter as tfs
        >>> model = tfs.models.dense(2, classes=3, hidden=(4,))
        >>> y = np.array([0, 1, 2, 7, 0, 1])
        >>> checked_dataset(model, tfs.data.from_arrays(np.zeros((6, 2)), y))
        Traceback (most recent call last):
        ...
        tfstarter.errors.DataError: `y` of `x` holds label 7 at row 3, but ...
        >>> ds = tf.data.Dataset.from_tensor_slices((np.zeros((6, 2)), y)).batch(4)
        >>> checked = checked_dataset(model, ds, name="train")
        >>> try:
        ...     _ = list(checked)
        ... except tf.errors.InvalidArgumentError as err:
        ...     print(data_error_from(err))  # doctest: +ELLIPSIS
        `y` of `train` holds label 7 at batch 0, row 3, but the model is a ...
    """
    x_spec, y_spec = _split_element(dataset.element_spec)
    check_feature_dtypes(
        model,
        name,
        [(where, tf.as_dtype(s.dtype)) for where, s in _named_leaves(name, x_spec)],
    )
    if y_spec is None or not isinstance(y_spec, tf.TensorSpec):
        return dataset
    subject = f"`y` of `{name}`"
    check_target_dtype(subject, y_spec.dtype)
    rule = target_rule(model, loss=loss)
    if rule is None:
        return dataset
    if y_spec.shape.rank is not None:
        check_target_shape(rule, subject, tuple(y_spec.shape.as_list()[1:]))
    if rule.kind == "regression" or y_spec.dtype == tf.bool:
        return dataset
    known = known_targets(dataset)
    if known is not None:
        check_target_values(rule, subject, known)
        return dataset
    return dataset.enumerate().map(_batch_check(rule, subject)).prefetch(1)


def _batch_check(rule: TargetRule, subject: str) -> Any:
    shown = "row {}" if rule.kind == "categorical" else "label {}"
    message = _MARK + template(rule, subject, where="batch {}, row {}").replace(
        "holds {}", f"holds {shown}", 1
    )

    def check(index: Any, element: Any) -> Any:
        y = element[1]
        bad = bad_elements(rule, y)
        size = tf.shape(bad, out_type=tf.int64)[0]
        rows = tf.reduce_any(tf.reshape(bad, [size, -1]), axis=1)
        failed = tf.reduce_any(rows)

        def describe() -> Any:
            row = tf.argmax(tf.cast(rows, tf.int32), output_type=tf.int64)
            flat = tf.reshape(y[row], [-1])
            if rule.kind == "categorical":
                value = flat
            else:
                column = tf.argmax(tf.cast(tf.reshape(bad[row], [-1]), tf.int32))
                value = flat[column]
            count = tf.reduce_sum(tf.cast(rows, tf.int64))
            return tf.strings.format(
                message, (value, index, row, count, size), summarize=12
            )

        text = tf.cond(failed, describe, lambda: tf.constant(""))
        assertion = tf.debugging.Assert(~failed, [text])
        with tf.control_dependencies([assertion]):
            return tf.nest.map_structure(tf.identity, element)

    return check


def data_error_from(error: BaseException) -> TfstarterError | None:
    """The tfstarter error behind a TensorFlow error met while reading data.

    A failed per-batch check of `checked_dataset` becomes its `DataError`; a
    ``DataLossError`` from a corrupt TFRecord shard read by
    `tfstarter.data.from_tfrecord` becomes a `CorruptFileError` naming the
    shard. Call it where datasets are iterated (``fit``, ``evaluate``):
    ``raise (data_error_from(err) or err)``.

    Returns:
        The error to raise instead, or None when ``error`` is not one of
        these.

    Examples:
        >>> data_error_from(ValueError("unrelated")) is None
        True
    """
    text = getattr(error, "message", None) or str(error)
    found = _FOUND.search(text)
    if found:
        return DataError(found.group(1))
    return corrupt_shard_error(error)
