"""Load a SavedModel with `tf.saved_model.load` and predict through its signature."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tfstarter.errors import CorruptFileError
from tfstarter.export._formats import INPUT_NAME, OUTPUT_NAME, SERVING_SIGNATURE
from tfstarter.export._predictor import Predictor
from tfstarter.export._signature import IOSpec


def _shape(spec: Any) -> tuple[int | None, ...]:
    return tuple(None if dim is None else int(dim) for dim in spec.shape.as_list())


class SavedModelPredictor(Predictor):
    """A SavedModel version folder served through its ``serving_default`` signature.

    Attributes:
        signature: the concrete function of the serving signature.

    Example:
        >>> SavedModelPredictor(Path("export/1"))  # doctest: +SKIP
        SavedModelPredictor(format='saved_model', input_shape=(None, 4), ...)
    """

    def __init__(self, path: Path) -> None:
        import tensorflow as tf

        try:
            loaded = tf.saved_model.load(str(path))
        except (OSError, ValueError, tf.errors.OpError) as err:
            raise CorruptFileError(
                f"{path} is not a loadable SavedModel ({err}). It is truncated or "
                f"corrupt: export it again."
            ) from err
        signatures = dict(loaded.signatures)
        if SERVING_SIGNATURE not in signatures:
            raise CorruptFileError(
                f"{path} has no {SERVING_SIGNATURE!r} signature (it has "
                f"{sorted(signatures)}); TensorFlow Serving needs one. Export it "
                f"with tfstarter.export.saved_model()."
            )
        signature = signatures[SERVING_SIGNATURE]
        _, inputs = signature.structured_input_signature
        outputs = signature.structured_outputs
        if len(inputs) != 1 or len(outputs) != 1:
            raise CorruptFileError(
                f"{path} serves {len(inputs)} inputs and {len(outputs)} outputs; "
                f"load() serves SavedModels with one of each."
            )
        # Signatures from tfstarter use the stable names; other single-input
        # SavedModels (e.g. from keras model.export) are served under theirs.
        self._input_name = INPUT_NAME if INPUT_NAME in inputs else next(iter(inputs))
        self._output_name = (
            OUTPUT_NAME if OUTPUT_NAME in outputs else next(iter(outputs))
        )
        input_spec = inputs[self._input_name]
        output_spec = outputs[self._output_name]
        spec = IOSpec(
            input_shape=_shape(input_spec),
            input_dtype=input_spec.dtype.name,
            output_shape=_shape(output_spec),
            output_dtype=output_spec.dtype.name,
        )
        self._loaded = loaded  # keeps the variables alive
        self.signature = signature
        super().__init__(path=path, fmt="saved_model", spec=spec, quantize=None)

    def _run(self, batch: npt.NDArray[Any]) -> npt.NDArray[Any]:
        result = self.signature(**{self._input_name: batch})
        return np.asarray(result[self._output_name])
