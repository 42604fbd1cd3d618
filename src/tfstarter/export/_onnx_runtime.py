"""Run an ``.onnx`` file with ONNX Runtime (CPU) and predict with it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tfstarter.errors import CorruptFileError
from tfstarter.export._extras import require
from tfstarter.export._predictor import Predictor
from tfstarter.export._signature import IOSpec

_ONNX_TYPES = {
    "tensor(float)": "float32",
    "tensor(double)": "float64",
    "tensor(float16)": "float16",
    "tensor(int64)": "int64",
    "tensor(int32)": "int32",
    "tensor(uint8)": "uint8",
    "tensor(int8)": "int8",
    "tensor(bool)": "bool",
}


def onnx_session(path: Path, *, num_threads: int | None = None) -> Any:
    """Return an ONNX Runtime ``InferenceSession`` on the CPU for the file at ``path``.

    Raises:
        ImportError: if the ``onnx`` extra (onnxruntime) is not installed.
        CorruptFileError: if ONNX Runtime cannot load the file.

    Example:
        >>> session = onnx_session(Path("model.onnx"))  # doctest: +SKIP
        >>> [i.name for i in session.get_inputs()]  # doctest: +SKIP
        ['inputs']
    """
    ort = require("onnxruntime", extra="onnx", needed_for="running .onnx files")
    options = ort.SessionOptions()
    if num_threads is not None:
        options.intra_op_num_threads = num_threads
    try:
        return ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as err:  # onnxruntime raises its own InvalidGraph, Fail, ...
        raise CorruptFileError(
            f"{path} is not a valid ONNX model for ONNX Runtime {ort.__version__} "
            f"({err}). It is truncated or corrupt: export it again."
        ) from err


def _shape(value: Any) -> tuple[int | None, ...]:
    dims = tuple(dim if isinstance(dim, int) else None for dim in value.shape)
    return (None, *dims[1:])


def _dtype(value: Any, path: Path) -> str:
    if value.type not in _ONNX_TYPES:
        raise CorruptFileError(
            f"{path}: {value.name!r} has the ONNX type {value.type}, which load() "
            f"does not serve; it serves numeric tensors."
        )
    return _ONNX_TYPES[value.type]


class OnnxPredictor(Predictor):
    """An ``.onnx`` file run by ONNX Runtime on the CPU, any batch size.

    Attributes:
        session: the ``onnxruntime.InferenceSession``.

    Example:
        >>> OnnxPredictor(Path("model.onnx"))  # doctest: +SKIP
        OnnxPredictor(format='onnx', input_shape=(None, 28, 28), path='model.onnx')
    """

    def __init__(self, path: Path, *, num_threads: int | None = None) -> None:
        session = onnx_session(path, num_threads=num_threads)
        inputs, outputs = session.get_inputs(), session.get_outputs()
        if len(inputs) != 1 or len(outputs) != 1:
            raise CorruptFileError(
                f"{path} has {len(inputs)} inputs and {len(outputs)} outputs; "
                f"load() serves ONNX models with one of each."
            )
        spec = IOSpec(
            input_shape=_shape(inputs[0]),
            input_dtype=_dtype(inputs[0], path),
            output_shape=_shape(outputs[0]),
            output_dtype=_dtype(outputs[0], path),
        )
        self.session = session
        self._input_name = inputs[0].name
        self._output_name = outputs[0].name
        super().__init__(path=path, fmt="onnx", spec=spec, quantize=None)

    def _run(self, batch: npt.NDArray[Any]) -> npt.NDArray[Any]:
        (result,) = self.session.run(
            [self._output_name], {self._input_name: np.ascontiguousarray(batch)}
        )
        return np.asarray(result)
