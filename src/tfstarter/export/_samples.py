"""Turn samples (arrays or a `tf.data.Dataset`) into one input array for a model.

Used for verification samples and for int8 calibration data. A dataset may
yield batches or single samples, each either the input alone or an
``(inputs, targets[, weights])`` tuple; only the inputs are kept.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from tfstarter._checks import check_finite, describe
from tfstarter.errors import ArgumentTypeError, DataError
from tfstarter.export._signature import IOSpec


def _is_dataset(data: object) -> bool:
    import tensorflow as tf

    return isinstance(data, tf.data.Dataset)


def _dataset_rows(
    name: str, dataset: Any, spec: IOSpec, limit: int | None
) -> npt.NDArray[Any]:
    rows: list[npt.NDArray[Any]] = []
    count = 0
    for element in dataset:
        inputs = element[0] if isinstance(element, tuple | list) else element
        if isinstance(inputs, dict):
            raise DataError(
                f"`{name}` yields a dict of inputs; the exported model has a "
                f"single input. Map the dataset to the input tensor first."
            )
        array = np.asarray(inputs)
        if array.ndim == len(spec.sample_shape):
            array = array[None]
        rows.append(array)
        count += array.shape[0]
        if limit is not None and count >= limit:
            break
    if not rows:
        raise DataError(f"`{name}` is an empty dataset; it yielded no samples.")
    ranks = {row.ndim for row in rows}
    if len(ranks) != 1:
        raise DataError(
            f"`{name}` yields elements of different ranks {sorted(ranks)}; yield "
            f"either batches or single samples of shape {spec.sample_shape}."
        )
    return np.concatenate(rows, axis=0)


def as_inputs(
    name: str, data: Any, spec: IOSpec, *, limit: int | None = None
) -> npt.NDArray[Any]:
    """Return ``data`` as one array of model inputs, cast to the input dtype.

    Args:
        name: the argument name used in messages.
        data: an array (first dimension = samples) or a `tf.data.Dataset`.
        spec: the model's input and output.
        limit: keep at most this many samples.

    Raises:
        ArgumentTypeError: if ``data`` is None, a string, or a mapping.
        DataError: if it is empty, has the wrong sample shape, or holds NaN/Inf.

    Example:
        >>> spec = IOSpec((None, 2), "float32", (None, 1), "float32")
        >>> as_inputs("sample", [[1, 2], [3, 4], [5, 6]], spec, limit=2)
        array([[1., 2.],
               [3., 4.]], dtype=float32)
    """
    if data is None or isinstance(data, str | bytes | dict):
        raise ArgumentTypeError(
            f"`{name}` must be an array of model inputs (first dimension = "
            f"samples) or a tf.data.Dataset, got {describe(data)} of type "
            f"{type(data).__name__}."
        )
    if _is_dataset(data):
        array = _dataset_rows(name, data, spec, limit)
    else:
        array = np.asarray(data)
    if limit is not None:
        array = array[:limit]
    expected = spec.sample_shape
    matches = array.ndim == len(expected) + 1 and all(
        want is None or want == got
        for want, got in zip(expected, array.shape[1:], strict=True)
    )
    if not matches:
        shown = tuple("None" if dim is None else dim for dim in expected)
        hint = (
            f" Add the batch dimension: `{name}`[None]."
            if array.shape == tuple(expected)
            else ""
        )
        raise DataError(
            f"`{name}` has shape {array.shape}, but the model takes inputs of "
            f"shape (n_samples, {', '.join(map(str, shown))}).{hint}"
        )
    if array.shape[0] == 0:
        raise DataError(f"`{name}` is empty (0 samples). Pass at least one sample.")
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise DataError(
            f"`{name}` must hold numbers, got {describe(array)}. Convert it to "
            f"{spec.input_dtype}."
        )
    check_finite(name, array, policy="raise")
    return array.astype(spec.input_dtype, copy=False)
