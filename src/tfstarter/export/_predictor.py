"""`Predictor`: one `.predict(x)` for every exported format."""

from __future__ import annotations

import abc
import math
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tfstarter._checks import check_positive_int, describe
from tfstarter.errors import DataError
from tfstarter.export._formats import Format, Quantize
from tfstarter.export._signature import IOSpec


class Predictor(abc.ABC):
    """An exported model loaded in the runtime that serves its format.

    Returned by `tfstarter.export.load`; each format has its own runtime
    (Keras for ``.h5``/``.keras``, `tf.saved_model.load` for a SavedModel, the
    LiteRT interpreter for ``.tflite``) behind the same `predict`.

    Attributes:
        path: the file or SavedModel version folder that was loaded.
        format: ``"h5"``, ``"keras"``, ``"saved_model"`` or ``"tflite"``.
        quantize: the TFLite quantization found in the file (``"dynamic"``,
            ``"float16"``, ``"int8"``), else ``None``.
        spec: the input and output shapes and dtypes (batch dimension ``None``).

    Example:
        >>> predictor = tfs.export.load("model.tflite")  # doctest: +SKIP
        >>> predictor.predict(x_test[:8]).shape  # doctest: +SKIP
        (8, 10)
    """

    def __init__(
        self, *, path: Path, fmt: Format, spec: IOSpec, quantize: Quantize | None
    ) -> None:
        self.path = path
        self.format: Format = fmt
        self.spec = spec
        self.quantize: Quantize | None = quantize

    def __repr__(self) -> str:
        mode = f", quantize={self.quantize!r}" if self.quantize else ""
        return (
            f"{type(self).__name__}(format={self.format!r}{mode}, "
            f"input_shape={self.spec.input_shape}, path='{self.path}')"
        )

    def _coerce(self, x: Any) -> npt.NDArray[Any]:
        """Check the sample shape and cast to the input dtype (cheap: no copies)."""
        array = np.asarray(x)
        expected = self.spec.sample_shape
        if array.ndim != len(expected) + 1 or any(
            want is not None and want != got
            for want, got in zip(expected, array.shape[1:], strict=True)
        ):
            shown = ", ".join("None" if dim is None else str(dim) for dim in expected)
            hint = _shape_hint(array.shape, expected)
            raise DataError(
                f"`x` must have shape (n_samples, {shown}) for {self.path.name}, "
                f"got {describe(array)}.{hint}"
            )
        if array.dtype != self.spec.input_dtype:
            if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
                raise DataError(
                    f"`x` must hold numbers, got {describe(array)}; convert it "
                    f"to {self.spec.input_dtype}."
                )
            array = array.astype(self.spec.input_dtype)
        return array

    def predict(self, x: Any, *, batch_size: int = 256) -> npt.NDArray[Any]:
        """Return the model's outputs for the inputs ``x``, as a NumPy array.

        Args:
            x: inputs with a leading sample dimension, in the units the Keras
                model takes (an int8 TFLite model quantizes and dequantizes
                internally: pass float inputs, get float outputs).
            batch_size: samples per call into the runtime.

        Raises:
            DataError: if ``x`` does not have the model's sample shape.

        Example:
            >>> predictor = tfs.export.load("model.keras")  # doctest: +SKIP
            >>> predictor.predict(np.zeros((2, 4)))  # doctest: +SKIP
            array([[0.], [0.]], dtype=float32)
        """
        check_positive_int("batch_size", batch_size)
        array = self._coerce(x)
        if array.shape[0] <= batch_size:
            return self._run(array)
        return np.concatenate(
            [
                self._run(array[start : start + batch_size])
                for start in range(0, array.shape[0], batch_size)
            ],
            axis=0,
        )

    @abc.abstractmethod
    def _run(self, batch: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Run one batch (already checked and cast) through the runtime."""


def _shape_hint(given: tuple[int, ...], expected: tuple[int | None, ...]) -> str:
    """What to do about inputs of shape ``given`` for samples of ``expected``.

    Examples:
        >>> _shape_hint((28, 28), (28, 28))
        ' Add the batch dimension: x[None].'
        >>> _shape_hint((2, 784), (28, 28))
        ' Each sample holds the 784 values in another shape: x.reshape(-1, 28, 28).'
    """
    if len(given) == len(expected) and all(
        want is None or want == got for want, got in zip(expected, given, strict=True)
    ):
        return " Add the batch dimension: x[None]."
    if None not in expected and len(given) >= 1:
        size = math.prod(int(d) for d in expected if d is not None)
        if math.prod(given[1:]) == size:
            shape = ", ".join(str(d) for d in expected)
            return (
                f" Each sample holds the {size} values in another shape: "
                f"x.reshape(-1, {shape})."
            )
    return ""
