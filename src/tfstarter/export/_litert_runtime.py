"""Run a ``.tflite`` file with the LiteRT interpreter (``ai_edge_litert``).

`tf.lite.Interpreter` is deprecated in favour of LiteRT, so TensorFlow's copy is
never used here. The input tensor is resized to each batch size the caller
passes (the file stores batch dimension -1); int8 / uint8 inputs and outputs
are quantized and dequantized with the scale and zero point stored in the file,
so callers always pass and get the values the Keras model takes and returns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tfstarter.errors import CorruptFileError
from tfstarter.export._formats import Quantize
from tfstarter.export._predictor import Predictor
from tfstarter.export._signature import IOSpec

_INTEGER_TYPES = (np.int8, np.uint8, np.int16)


def litert_interpreter(path: Path, *, num_threads: int | None = None) -> Any:
    """Return an allocated LiteRT ``Interpreter`` for the file at ``path``.

    Raises:
        ImportError: if ``ai_edge_litert`` is not installed.
        CorruptFileError: if the file is not a valid TFLite flatbuffer.

    Example:
        >>> interpreter = litert_interpreter(Path("model.tflite"))  # doctest: +SKIP
        >>> interpreter.get_signature_list()  # doctest: +SKIP
        {'serving_default': {'inputs': ['inputs'], 'outputs': ['outputs']}}
    """
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as err:
        raise ImportError(
            "running .tflite files (load, verify, and the check tflite() runs "
            "before publishing) needs the LiteRT interpreter: pip install "
            "'tfstarter[litert]' (the ai-edge-litert package), or pass "
            "check=False to tflite() to write the file unverified."
        ) from err
    try:
        interpreter = Interpreter(model_path=str(path), num_threads=num_threads)
        interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as err:
        raise CorruptFileError(
            f"{path} is not a valid TFLite model ({err}). It is truncated or "
            f"corrupt: export it again."
        ) from err
    return interpreter


def detect_quantization(interpreter: Any) -> Quantize | None:
    """Tell how a TFLite model was quantized from the types of its tensors.

    Full-integer models quantize activations (integer tensors with a scale);
    dynamic-range models keep float activations and int8 weights; float16
    models store float16 weights. A model too small for the converter to
    quantize anything reads as float32 (``None``).

    Example:
        >>> detect_quantization(litert_interpreter(Path("m.tflite")))  # doctest: +SKIP
        'int8'
    """
    details = interpreter.get_tensor_details()
    if any(
        detail["dtype"] in _INTEGER_TYPES and detail["quantization"][0] != 0.0
        for detail in details
    ):
        return "int8"
    if any(detail["dtype"] == np.float16 for detail in details):
        return "float16"
    if any(detail["dtype"] == np.int8 for detail in details):
        return "dynamic"
    return None


def _shape(detail: dict[str, Any]) -> tuple[int | None, ...]:
    signature = detail.get("shape_signature", detail["shape"])
    dims = tuple(None if int(dim) < 0 else int(dim) for dim in signature)
    return (None, *dims[1:])


class LiteRTPredictor(Predictor):
    """A ``.tflite`` file run by the LiteRT interpreter, any batch size.

    Not thread-safe: use one predictor per thread.

    Attributes:
        interpreter: the ``ai_edge_litert.interpreter.Interpreter``.

    Example:
        >>> LiteRTPredictor(Path("model.tflite"))  # doctest: +SKIP
        LiteRTPredictor(format='tflite', quantize='int8', input_shape=(None, 28, 28), path='model.tflite')
    """  # noqa: E501

    def __init__(self, path: Path, *, num_threads: int | None = None) -> None:
        interpreter = litert_interpreter(path, num_threads=num_threads)
        inputs = interpreter.get_input_details()
        outputs = interpreter.get_output_details()
        if len(inputs) != 1 or len(outputs) != 1:
            raise CorruptFileError(
                f"{path} has {len(inputs)} inputs and {len(outputs)} outputs; "
                f"load() serves TFLite models with one of each."
            )
        self._input, self._output = inputs[0], outputs[0]
        self._input_index = int(self._input["index"])
        self._output_index = int(self._output["index"])
        self._input_type = np.dtype(self._input["dtype"])
        self._batch = int(self._input["shape"][0])
        self.interpreter = interpreter
        # A model with integer inputs takes the float values of the Keras
        # model and quantizes them here; the spec shows what callers pass.
        integer_io = self._input_type.type in _INTEGER_TYPES
        spec = IOSpec(
            input_shape=_shape(self._input),
            input_dtype="float32" if integer_io else self._input_type.name,
            output_shape=_shape(self._output),
            output_dtype="float32",
        )
        super().__init__(
            path=path,
            fmt="tflite",
            spec=spec,
            quantize=detect_quantization(interpreter),
        )

    def _quantize_input(self, batch: npt.NDArray[Any]) -> npt.NDArray[Any]:
        if self._input_type.type not in _INTEGER_TYPES:
            return batch
        scale, zero_point = self._input["quantization"]
        info = np.iinfo(self._input_type)
        values = np.clip(np.round(batch / scale + zero_point), info.min, info.max)
        quantized: npt.NDArray[Any] = values.astype(self._input_type)
        return quantized

    def _dequantize_output(self, values: npt.NDArray[Any]) -> npt.NDArray[Any]:
        if np.dtype(values.dtype).type not in _INTEGER_TYPES:
            return values.astype(np.float32, copy=False)
        scale, zero_point = self._output["quantization"]
        return (values.astype(np.float32) - np.float32(zero_point)) * np.float32(scale)

    def _run(self, batch: npt.NDArray[Any]) -> npt.NDArray[Any]:
        rows = batch.shape[0]
        if rows != self._batch:
            self.interpreter.resize_tensor_input(
                self._input_index, [rows, *batch.shape[1:]]
            )
            self.interpreter.allocate_tensors()
            self._batch = rows
        self.interpreter.set_tensor(self._input_index, self._quantize_input(batch))
        self.interpreter.invoke()
        output: npt.NDArray[Any] = self.interpreter.get_tensor(self._output_index)
        return self._dequantize_output(output)
