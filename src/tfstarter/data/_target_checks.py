"""Targets checked against a `TargetRule`: their dtype and shape, then their values.

The dtype and per-sample shape are checked once, from the array or from the
dataset's element spec, before anything runs. The values are checked by one
function of TensorFlow ops (`bad_elements`), used eagerly on arrays (the
whole array at once, before training) and inside the graph on each batch of
a ``tf.data`` pipeline (a few vectorised reductions per batch; the message is
only formatted when a batch fails). Both paths fill the same message
template, so an array and a pipeline get the same words.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from tfstarter.data._targets import TargetRule
from tfstarter.errors import DataError

# The tolerance on the row sums of one-hot / probability rows.
ROW_SUM_TOLERANCE = 1e-3


def shape_text(shape: tuple[int | None, ...]) -> str:
    """Write a per-sample shape as the user sees a batch: ``(n, 3)``.

    Examples:
        >>> shape_text((3,)), shape_text(())
        ('(n, 3)', '(n,)')
    """
    dims = ["n", *("None" if d is None else str(d) for d in shape)]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def _strip_ones(shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
    """Drop one trailing 1, as Keras' losses do when ranks differ by one."""
    return shape[:-1] if shape and shape[-1] == 1 else shape


def _same(a: tuple[int | None, ...], b: tuple[int | None, ...]) -> bool:
    a, b = _strip_ones(a), _strip_ones(b)
    return len(a) == len(b) and all(
        x is None or y is None or x == y for x, y in zip(a, b, strict=True)
    )


def check_target_dtype(subject: str, dtype: tf.DType) -> None:
    """Refuse targets no Keras loss can take: text and complex numbers.

    Raises:
        DataError: for string or complex targets.

    Examples:
        >>> check_target_dtype("`y`", tf.string)
        Traceback (most recent call last):
        ...
        tfstarter.errors.DataError: `y` holds strings (dtype string); ...
    """
    if dtype == tf.string:
        raise DataError(
            f"{subject} holds strings (dtype string); a loss takes numbers. Encode "
            f"the classes as integers 0..k-1 first, e.g. classes, y = "
            f"np.unique(y, return_inverse=True), and keep `classes` to name "
            f"the predictions."
        )
    if dtype.is_complex:
        raise DataError(
            f"{subject} holds complex numbers (dtype {dtype.name}); a loss takes "
            f"real numbers and would silently drop the imaginary part. Pass the "
            f"real and imaginary parts as separate targets, e.g. "
            f"np.stack([y.real, y.imag], axis=-1)."
        )


def check_target_shape(
    rule: TargetRule, subject: str, shape: tuple[int | None, ...] | None
) -> None:
    """Check one sample's target shape against the rule (no values needed).

    Args:
        rule: what the model takes.
        subject: what the targets are called in messages (``"`y`"``).
        shape: one sample's target shape (without the batch dimension), or
            None when unknown.

    Raises:
        DataError: for one-hot rows into a sparse loss, integer labels into a
            categorical loss, or targets whose shape is not the output's.

    Examples:
        >>> rule = TargetRule("sparse", "SparseCategoricalCrossentropy", (10,))
        >>> check_target_shape(rule, "`y`", (10,))
        Traceback (most recent call last):
        ...
        tfstarter.errors.DataError: `y` has shape (n, 10), one row of 10 per ...
    """
    out = rule.output_shape
    if shape is None or out is None:
        return
    classes = rule.classes
    if rule.kind == "sparse":
        one_hot = (
            classes is not None
            and classes > 1
            and len(shape) == len(out)
            and shape[-1] == classes
            and _same(shape, out)
        )
        if one_hot:
            raise DataError(
                f"{subject} has shape {shape_text(shape)}, one row of {classes} "
                f"per sample: it looks one-hot encoded, but {rule.describe} takes "
                f"one integer class label per sample. Pass y.argmax(axis=-1) "
                f"(integer labels), or compile the model with "
                f"loss=keras.losses.CategoricalCrossentropy() to train on one-hot "
                f"rows."
            )
        if not _same(shape, out[:-1]):
            raise DataError(
                f"{subject} has shape {shape_text(shape)}, but {rule.describe} "
                f"takes one integer class label per sample, shape "
                f"{shape_text(out[:-1])}. Pass one label per sample."
            )
        return
    if rule.kind == "categorical" and classes is not None and _same(shape, out[:-1]):
        raise DataError(
            f"{subject} has shape {shape_text(shape)}, one integer label per "
            f"sample, but {rule.describe} takes one-hot rows of {classes}. Pass "
            f"keras.utils.to_categorical(y, {classes}), or compile the model "
            f"with loss=keras.losses.SparseCategoricalCrossentropy() to train on "
            f"integer labels."
        )
    if rule.kind == "binary" and len(out) == 1 and out[0] == 1 and shape == (2,):
        raise DataError(
            f"{subject} has shape {shape_text(shape)}, two columns per sample: it "
            f"looks one-hot encoded, but {rule.describe} takes one 0/1 label per "
            f"sample. Pass y[:, 1] (1 = the second class)."
        )
    if not _same(shape, out):
        fix = (
            f", or build the model with one output per target column "
            f"(outputs={shape[-1]})"
            if rule.kind == "regression" and len(shape) == 1 and shape[0]
            else ""
        )
        raise DataError(
            f"{subject} has shape {shape_text(shape)}, but {rule.describe} "
            f"produces outputs of shape {shape_text(out)}: the loss would "
            f"broadcast one against "
            f"the other instead of comparing them. Pass targets of shape "
            f"{shape_text(out)}{fix}."
        )


def bad_elements(rule: TargetRule, y: Any) -> Any:
    """Return a bool tensor, one entry per element of ``y``, True where it is wrong.

    Binary labels must lie in ``[0, 1]`` (0/1 labels, or probabilities as
    soft targets); sparse labels must be whole numbers in ``[0, classes)``
    (or the loss's ``ignore_class``); categorical rows must hold values in
    ``[0, 1]`` summing to 1 (a whole row is marked). Regression targets have
    no value rule (NaN is the non-finite policy's business).

    Examples:
        >>> rule = TargetRule("sparse", "SparseCategoricalCrossentropy", (3,))
        >>> bad_elements(rule, tf.constant([0, 2, 3, -1])).numpy().tolist()
        [False, False, True, True]
    """
    y = tf.convert_to_tensor(y)
    if y.dtype == tf.bool or rule.kind == "regression":
        return tf.zeros_like(y, dtype=tf.bool)
    values = tf.cast(y, tf.float64)
    if rule.kind == "binary":
        return ~((values >= 0.0) & (values <= 1.0))
    if rule.kind == "sparse":
        ok = values >= 0.0
        if y.dtype.is_floating:
            ok &= tf.equal(values, tf.floor(values))
        if rule.classes is not None:
            ok &= values < float(rule.classes)
        if rule.ignore_class is not None:
            ok |= tf.equal(values, float(rule.ignore_class))
        return ~ok
    in_range = (values >= 0.0) & (values <= 1.0)
    row_sum = tf.reduce_sum(values, axis=-1, keepdims=True)
    sums = tf.abs(row_sum - 1.0) <= ROW_SUM_TOLERANCE
    return ~(in_range & sums)


def template(rule: TargetRule, subject: str, *, where: str) -> str:
    """The message for wrong values, with ``{}`` for what is only known at run time.

    ``where`` places the first wrong value (``"row {}"`` for an array,
    ``"batch {}, row {}"`` in a pipeline); then come the value, the number of
    wrong rows and the number of rows.

    Examples:
        >>> rule = TargetRule("binary", "BinaryCrossentropy", (1,))
        >>> template(rule, "`y`", where="row {}")[:40]
        '`y` holds {} at row {}, but the model is'
    """
    head = f"{subject} holds {{}} at {where}, but the model is {rule.describe}"
    if rule.kind == "binary":
        return (
            f"{head}: labels must be 0 or 1 (or True/False); {{}} of {{}} rows "
            f"lie outside [0, 1]. Map -1/+1 labels with (y > 0); for more "
            f"than two classes build a multiclass model (classes=k, one output "
            f"unit per class)."
        )
    if rule.kind == "sparse":
        classes = rule.classes
        span = f"[0, {classes})" if classes is not None else "[0, classes)"
        extra = (
            f" (or {rule.ignore_class}, the loss's ignore_class)"
            if rule.ignore_class is not None
            else ""
        )
        fix = (
            f"Re-encode the labels as 0..{classes - 1}, or build the model with "
            f"one output unit per class"
            if classes is not None
            else "Re-encode the labels as 0..k-1"
        )
        return (
            f"{head}: labels must be whole numbers in {span}{extra}; {{}} of {{}} "
            f"rows are not. {fix}."
        )
    return (
        f"{head}: each row must be one-hot (or probabilities) with values in "
        f"[0, 1] summing to 1; {{}} of {{}} rows are not. Build rows with "
        f"keras.utils.to_categorical, or pass integer labels with a "
        f"SparseCategoricalCrossentropy loss."
    )


def _label(value: Any) -> str:
    array = np.asarray(value)
    if array.ndim == 0:
        item = array.item()
        return f"label {item!r}" if not isinstance(item, float) else f"label {item:g}"
    return f"row {np.array2string(array, threshold=12, separator=', ')}"


def check_target_values(rule: TargetRule, subject: str, y: Any) -> None:
    """Check every value of an array of targets against the rule, at once.

    Raises:
        DataError: naming the first wrong row and its value, and how many
            rows are wrong.

    Examples:
        >>> rule = TargetRule("binary", "BinaryCrossentropy", (1,))
        >>> check_target_values(rule, "`y`", np.array([0, 1, 2, 5]))
        Traceback (most recent call last):
        ...
        tfstarter.errors.DataError: `y` holds label 2 at row 2, but the model ...
    """
    array = np.asarray(y)
    if array.size == 0:
        return
    bad = np.asarray(bad_elements(rule, array))
    rows = bad.reshape(bad.shape[0], -1).any(axis=1)
    count = int(rows.sum())
    if not count:
        return
    row = int(np.flatnonzero(rows)[0])
    if rule.kind == "categorical":
        shown = _label(array[row])
    else:
        sample = array[row].reshape(-1)
        shown = _label(sample[int(np.flatnonzero(bad[row].reshape(-1))[0])])
    message = template(rule, subject, where="row {}")
    raise DataError(message.format(shown, row, count, array.shape[0]))
