"""Boundary checks shared by every subpackage.

Each check names the argument, shows the value received and says what to pass
instead, and raises a class from `tfstarter.errors`. They are private: the
public functions call them first thing, so bad input fails before any graph is
built.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import Any, Literal, TypeVar

import numpy as np
import numpy.typing as npt

from tfstarter.errors import ArgumentTypeError, ConfigError, DataError

T = TypeVar("T")

NonFiniteData = Literal["raise", "drop"]
"""What a data reader does with NaN or Inf: reject the data, or drop those rows."""

_MAX_SEED = 2**63 - 1


def describe(value: object) -> str:
    """Return a short description of ``value`` for error messages.

    Arrays are described by shape and dtype rather than printed in full.

    Examples:
        >>> describe(np.zeros((2, 3), dtype="float32"))
        'array of shape (2, 3) and dtype float32'
        >>> describe(1.5)
        '1.5'
    """
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    if shape is not None and dtype is not None:
        return f"array of shape {tuple(shape)} and dtype {dtype}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_positive_int(name: str, value: object) -> int:
    """Return ``value`` if it is an integer > 0, else raise.

    Examples:
        >>> check_positive_int("units", 3)
        3
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ArgumentTypeError(
            f"`{name}` must be a positive integer, got {describe(value)} "
            f"of type {type(value).__name__}. Pass an int such as {name}=32."
        )
    if value <= 0:
        raise ConfigError(
            f"`{name}` must be a positive integer, got {value}. "
            f"Pass a value of at least 1."
        )
    return int(value)


def check_non_negative_int(name: str, value: object) -> int:
    """Return ``value`` if it is an integer >= 0, else raise.

    Examples:
        >>> check_non_negative_int("initial_epoch", 0)
        0
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ArgumentTypeError(
            f"`{name}` must be a non-negative integer, got {describe(value)} "
            f"of type {type(value).__name__}."
        )
    if value < 0:
        raise ConfigError(
            f"`{name}` must be a non-negative integer, got {value}. Pass 0 or more."
        )
    return int(value)


def check_number_in_range(
    name: str,
    value: object,
    *,
    low: float,
    high: float,
    low_inclusive: bool = True,
    high_inclusive: bool = False,
) -> float:
    """Return ``value`` as a float if it lies in the given interval, else raise.

    Examples:
        >>> check_number_in_range("dropout", 0.2, low=0.0, high=1.0)
        0.2
    """
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise ArgumentTypeError(
            f"`{name}` must be a number, got {describe(value)} "
            f"of type {type(value).__name__}."
        )
    number = float(value)
    left = "[" if low_inclusive else "("
    right = "]" if high_inclusive else ")"
    above = number >= low if low_inclusive else number > low
    below = number <= high if high_inclusive else number < high
    if math.isnan(number) or not (above and below):
        raise ConfigError(
            f"`{name}` must be in {left}{low}, {high}{right}, got {value}. "
            f"Pass a value inside that interval."
        )
    return number


def check_bool(name: str, value: object) -> bool:
    """Return ``value`` if it is a bool (Python or NumPy), else raise.

    Raises:
        ArgumentTypeError: if ``value`` is not True or False.

    Examples:
        >>> check_bool("shuffle", True)
        True
    """
    if isinstance(value, bool | np.bool_):
        return bool(value)
    raise ArgumentTypeError(
        f"`{name}` must be True or False, got {describe(value)} of type "
        f"{type(value).__name__}."
    )


def check_seed(seed: object) -> int | None:
    """Return ``seed`` if it is None or an integer in ``[0, 2**63)``, else raise.

    The one seed rule of the library: data pipelines, splits and model
    builders all take seeds through it.

    Raises:
        ArgumentTypeError: if ``seed`` is not an int (a bool or a float is not).
        ConfigError: if it is negative or does not fit in 63 bits.

    Examples:
        >>> check_seed(42), check_seed(None)
        (42, None)
    """
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ArgumentTypeError(
            f"`seed` must be an int or None, got {describe(seed)} of type "
            f"{type(seed).__name__}. Pass e.g. seed=0."
        )
    if not 0 <= seed <= _MAX_SEED:
        raise ConfigError(
            f"`seed` must be in [0, 2**63), got {seed}. Pass a non-negative int."
        )
    return int(seed)


def check_rescale(rescale: object) -> float | None:
    """Return ``rescale`` as a float (or None) after checking it is finite and not 0.

    The one rule for ``rescale=`` in data pipelines and model builders.

    Raises:
        ArgumentTypeError: if ``rescale`` is not a number.
        ConfigError: if it is 0, NaN or infinite.

    Examples:
        >>> check_rescale(1 / 255)
        0.00392156862745098
    """
    if rescale is None:
        return None
    if isinstance(rescale, bool) or not isinstance(rescale, int | float | np.number):
        raise ArgumentTypeError(
            f"`rescale` must be a number such as 1 / 255, got {describe(rescale)} "
            f"of type {type(rescale).__name__}."
        )
    if isinstance(rescale, np.complexfloating):
        raise ArgumentTypeError(
            f"`rescale` must be a real number such as 1 / 255, got {rescale!r}."
        )
    scale = float(rescale)
    if not math.isfinite(scale) or scale == 0.0:
        raise ConfigError(
            f"`rescale` must be a non-zero, finite number, got {rescale}. For raw "
            f"0-255 pixels pass rescale=1 / 255."
        )
    return scale


def check_one_of(name: str, value: T, options: Collection[T]) -> T:
    """Return ``value`` if it is one of ``options``, else raise.

    Examples:
        >>> check_one_of("loop", "fit", ("fit", "custom"))
        'fit'
    """
    if value not in options:
        choices = ", ".join(repr(option) for option in options)
        raise ConfigError(f"`{name}` must be one of {choices}; got {value!r}.")
    return value


def _leaves(name: str, data: Any) -> list[tuple[str, npt.NDArray[Any]]]:
    """Flatten an array or a mapping of arrays into ``(name, array)`` pairs."""
    if isinstance(data, Mapping):
        leaves: list[tuple[str, npt.NDArray[Any]]] = []
        for key, value in data.items():
            leaves.extend(_leaves(f"{name}[{key!r}]", value))
        return leaves
    return [(name, np.asarray(data))]


def num_rows(name: str, data: Any) -> int:
    """Return the common number of rows of an array or a mapping of arrays.

    Raises:
        DataError: if ``data`` is a scalar, or its arrays disagree on the row
            count.

    Examples:
        >>> num_rows("x", {"a": np.zeros((4, 2)), "b": np.zeros(4)})
        4
    """
    rows: int | None = None
    first = name
    for leaf_name, leaf in _leaves(name, data):
        if leaf.ndim == 0:
            raise DataError(
                f"`{leaf_name}` must have a leading sample dimension, got a scalar "
                f"{describe(leaf)}. Pass an array of shape (n_samples, ...)."
            )
        if rows is None:
            rows, first = leaf.shape[0], leaf_name
        elif leaf.shape[0] != rows:
            raise DataError(
                f"`{leaf_name}` has {leaf.shape[0]} rows but `{first}` has {rows}. "
                f"Every input array must have one row per sample."
            )
    if rows is None:
        raise DataError(f"`{name}` is an empty mapping; pass at least one array.")
    return rows


def check_same_length(x: Any, y: Any, *, x_name: str = "x", y_name: str = "y") -> int:
    """Return the sample count after checking ``x`` and ``y`` agree and are non-empty.

    Raises:
        DataError: if the row counts differ or there are no samples.

    Examples:
        >>> check_same_length(np.zeros((3, 2)), np.zeros(3))
        3
    """
    n_x = num_rows(x_name, x)
    if y is not None:
        n_y = num_rows(y_name, y)
        if n_x != n_y:
            raise DataError(
                f"`{x_name}` has {n_x} samples but `{y_name}` has {n_y}. "
                f"Pass one label per sample."
            )
    if n_x == 0:
        raise DataError(f"`{x_name}` is empty (0 samples). Pass at least one sample.")
    return n_x


def non_finite_rows(name: str, data: Any) -> npt.NDArray[np.bool_]:
    """Return a boolean mask of rows that hold NaN or Inf in any float array.

    Examples:
        >>> non_finite_rows("x", np.array([[1.0], [np.nan]])).tolist()
        [False, True]
    """
    bad = np.zeros(num_rows(name, data), dtype=bool)
    for _, leaf in _leaves(name, data):
        if not np.issubdtype(leaf.dtype, np.floating) and not np.issubdtype(
            leaf.dtype, np.complexfloating
        ):
            rows_bad = np.zeros(leaf.shape[0], dtype=bool)
        else:
            flat = leaf.reshape(leaf.shape[0], -1)
            rows_bad = ~np.isfinite(flat).all(axis=1)
        bad |= rows_bad
    return bad


def check_finite(
    name: str, data: Any, *, policy: NonFiniteData = "raise"
) -> npt.NDArray[np.bool_]:
    """Apply the non-finite policy to ``data`` and return the mask of rows to keep.

    Args:
        name: the argument name used in messages.
        data: an array or a mapping of arrays with a leading sample dimension.
        policy: ``"raise"`` to reject NaN/Inf, ``"drop"`` to keep only finite rows.

    Raises:
        DataError: if ``policy="raise"`` and a value is NaN or Inf, or if
            ``policy="drop"`` would drop every row.

    Examples:
        >>> check_finite("x", np.array([[1.0], [np.inf]]), policy="drop").tolist()
        [True, False]
    """
    check_one_of("non_finite", policy, ("raise", "drop"))
    bad = non_finite_rows(name, data)
    count = int(bad.sum())
    if count and policy == "raise":
        first = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"`{name}` holds NaN or Inf in {count} of {bad.size} rows "
            f"(first at row {first}). Clean the data, or pass non_finite='drop' "
            f"to drop those rows."
        )
    if count == bad.size:
        raise DataError(
            f"every one of the {bad.size} rows of `{name}` holds NaN or Inf; "
            f"nothing would be left after dropping them."
        )
    keep: npt.NDArray[np.bool_] = ~bad
    return keep


def check_labels(name: str, labels: Any, classes: int) -> None:
    """Check that integer class labels lie in ``[0, classes)``.

    Raises:
        DataError: if a label is not an integer value or lies outside the range.

    Examples:
        >>> check_labels("y", np.array([0, 1, 2]), classes=3)
    """
    array = np.asarray(labels)
    if array.size == 0:
        return
    integral = np.issubdtype(array.dtype, np.integer) or (
        np.issubdtype(array.dtype, np.floating)
        and bool(np.all(np.isfinite(array) & (array == np.round(array))))
    )
    if not integral:
        raise DataError(
            f"`{name}` must hold integer class labels in [0, {classes}), got "
            f"{describe(array)} with non-integer values. Pass integer labels."
        )
    low, high = array.min(), array.max()
    if low < 0 or high >= classes:
        bad = array[(array < 0) | (array >= classes)]
        raise DataError(
            f"`{name}` must hold class labels in [0, {classes}), got values from "
            f"{low} to {high} ({bad.size} out of range, e.g. {bad.flat[0]}). "
            f"Re-encode the labels as 0..{classes - 1} or pass classes={int(high) + 1}."
        )


def as_arrays(name: str, data: Any) -> Any:
    """Return ``data`` as a NumPy array, or a dict of NumPy arrays for a mapping.

    Lists, tuples, tensors and anything else NumPy can convert are accepted;
    ragged nesting and arrays of arbitrary Python objects are not.

    Raises:
        ArgumentTypeError: if ``data`` is None, or holds Python objects.
        DataError: if nested sequences have different lengths.

    Examples:
        >>> as_arrays("x", {"a": [1, 2]})["a"].shape
        (2,)
    """
    if isinstance(data, Mapping):
        if not all(isinstance(key, str) for key in data):
            raise ArgumentTypeError(
                f"`{name}` keys must be strings, got {sorted(map(repr, data))}."
            )
        return {
            key: as_arrays(f"{name}[{key!r}]", value) for key, value in data.items()
        }
    if data is None:
        raise ArgumentTypeError(
            f"`{name}` must be an array or a mapping of arrays, got None."
        )
    try:
        array = np.asarray(data)
    except ValueError as err:
        raise DataError(
            f"`{name}` could not be made into an array ({err}). Every sample must "
            f"have the same shape; pad or crop ragged samples first."
        ) from None
    if array.dtype == object:
        raise ArgumentTypeError(
            f"`{name}` holds Python objects ({describe(array)}), not numbers or "
            f"strings. Convert it to a numeric or string array first."
        )
    return array


def check_real(name: str, data: Any) -> None:
    """Refuse complex numbers, which a model would silently cast to their real part.

    Raises:
        DataError: if an array of ``data`` has a complex dtype.

    Examples:
        >>> check_real("x", np.zeros(2))
        >>> check_real("x", np.zeros(2, complex))
        Traceback (most recent call last):
        ...
        tfstarter.errors.DataError: `x` holds complex numbers (dtype complex128); ...
    """
    for leaf_name, leaf in _leaves(name, data):
        if np.issubdtype(leaf.dtype, np.complexfloating):
            raise DataError(
                f"`{leaf_name}` holds complex numbers (dtype {leaf.dtype}); a "
                f"model computes in real numbers and would silently drop the "
                f"imaginary part. Pass the real and imaginary parts as separate "
                f"features, e.g. np.stack([x.real, x.imag], axis=-1)."
            )


def take_rows(data: Any, index: npt.ArrayLike) -> Any:
    """Select rows of an array, or of every array of a mapping, by index or mask.

    Examples:
        >>> take_rows({"a": np.arange(4)}, [3, 0])["a"].tolist()
        [3, 0]
    """
    if isinstance(data, Mapping):
        return {key: take_rows(value, index) for key, value in data.items()}
    return np.asarray(data)[np.asarray(index)]


def check_model(model: object, *, name: str = "model") -> Any:
    """Return ``model`` if it is a `keras.Model`, else raise `ArgumentTypeError`.

    The one check of a ``model`` argument, for the Trainer and the exporters.

    Raises:
        ArgumentTypeError: for anything else (a layer, a builder function...).

    Examples:
        >>> check_model("not a model")
        Traceback (most recent call last):
        ...
        tfstarter.errors.ArgumentTypeError: `model` must be a keras.Model, ...
    """
    import keras

    if isinstance(model, keras.Model):
        return model
    hint = (
        " It is a function: call it to build the model first."
        if callable(model) and not isinstance(model, keras.layers.Layer)
        else " Wrap layers in keras.Sequential([...]) or build one with tfs.models."
    )
    raise ArgumentTypeError(
        f"`{name}` must be a keras.Model, got {describe(model)} of type "
        f"{type(model).__name__}.{hint}"
    )
