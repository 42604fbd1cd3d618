"""Features checked against a model's inputs by dtype: text, complex, raw pixels.

Only dtypes are read (from arrays or a dataset's element spec), so these
checks cost nothing per batch. Text into a numeric input and complex numbers
are refused: Keras would fail after training has started (``Cast string to
float is not supported``) or silently keep the real part. Raw ``uint8``
pixels into a model that does not scale them get a `DataWarning`, once per
model: they train, but far worse than pixels scaled to ``[0, 1]``.
"""

from __future__ import annotations

import warnings
import weakref
from typing import Any

import tensorflow as tf

from tfstarter.errors import DataError, DataWarning

# Models already warned about raw uint8 pixels (the warning comes once).
_WARNED: weakref.WeakSet[Any] = weakref.WeakSet()


def _input_dtypes(model: Any) -> list[tf.DType] | None:
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        return None
    if not inputs:
        return None
    return [tf.as_dtype(getattr(tensor, "dtype", "float32")) for tensor in inputs]


def _layers(model: Any) -> list[Any]:
    """Every layer of ``model``, nested models included."""
    found: list[Any] = []
    for layer in getattr(model, "layers", ()):
        found.append(layer)
        if hasattr(layer, "layers"):
            found.extend(_layers(layer))
    return found


def scales_inputs(model: Any) -> bool:
    """Whether ``model`` holds a `Rescaling` or `Normalization` layer.

    Examples:
        >>> import tfstarter as tfs
        >>> scales_inputs(tfs.models.cnn((8, 8), 3, filters=(2,), rescale=1 / 255))
        True
        >>> scales_inputs(tfs.models.cnn((8, 8), 3, filters=(2,)))
        False
    """
    import keras

    scaling = (keras.layers.Rescaling, keras.layers.Normalization)
    return any(isinstance(layer, scaling) for layer in _layers(model))


def check_feature_dtypes(
    model: Any, name: str, dtypes: list[tuple[str, tf.DType]]
) -> None:
    """Refuse text and complex features; warn once about raw ``uint8`` pixels.

    Args:
        model: the model the features go into.
        name: the argument name used in messages.
        dtypes: ``(where, dtype)`` for each feature tensor, in
            ``tf.nest.flatten`` order (``where`` names it: ``"x"``,
            ``"x['age']"``).

    Raises:
        DataError: for strings into a numeric model input, or complex
            numbers.

    Examples:
        >>> import keras
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> check_feature_dtypes(model, "x", [("x", tf.string)])
        Traceback (most recent call last):
        ...
        tfstarter.errors.DataError: `x` holds strings, but the model takes numbers ...
    """
    inputs = _input_dtypes(model)
    if inputs is not None and len(inputs) != len(dtypes):
        inputs = None  # the element-spec check names a count mismatch
    for index, (where, dtype) in enumerate(dtypes):
        takes = inputs[index] if inputs is not None else None
        if dtype == tf.string and takes != tf.string:
            raise DataError(
                f"`{where}` holds strings, but the model takes numbers"
                f"{'' if takes is None else f' ({takes.name})'}: Keras would stop "
                f"after training has started ('Cast string to float is not "
                f"supported'). Encode text columns as numbers first: read a CSV "
                f"with tfs.data.from_csv (it one-hot encodes text columns), or put "
                f"a keras.layers.StringLookup in the model."
            )
        if dtype.is_complex:
            raise DataError(
                f"`{where}` holds complex numbers (dtype {dtype.name}); the model "
                f"computes in real numbers and would silently drop the imaginary "
                f"part. Pass the real and imaginary parts as separate features, "
                f"e.g. np.stack([x.real, x.imag], axis=-1)."
            )
    raw = [
        where
        for index, (where, dtype) in enumerate(dtypes)
        if dtype == tf.uint8 and (inputs is None or inputs[index].is_floating)
    ]
    if raw and model not in _WARNED and not scales_inputs(model):
        _WARNED.add(model)
        warnings.warn(
            f"`{raw[0]}` holds raw uint8 values (0-255) and the model does not "
            f"rescale its inputs; it will train, but much worse than on pixels "
            f"scaled to [0, 1]. Build the model with rescale=1/255 (tfs.models), "
            f"add keras.layers.Rescaling(1/255) as its first layer, or scale the "
            f"data (tfs.data.from_arrays(..., rescale=1/255)). This warning is "
            f"shown once per model.",
            DataWarning,
            stacklevel=3,
        )
