"""Export models to the formats people deploy, check them, and load them back.

Every exporter writes to a temporary path, verifies what it wrote in the
runtime that will serve it, and only then moves it into place. One policy for
existing targets: a target that exists is never replaced unless
``overwrite=True`` (`ArtifactExistsError`, raised before any conversion). A
SavedModel's target is its version folder, and ``version=None`` picks a new
one (TensorFlow Serving's convention), so a second `saved_model` export adds
``path/2`` and returns it.

| function | writes | served by |
|---|---|---|
| `keras` | native ``.keras`` file | `keras.models.load_model` |
| `h5` | legacy ``.h5`` file | `keras.models.load_model` |
| `saved_model` | ``path/<version>/`` folder | `tf.saved_model.load`, TF Serving |
| `tflite` | ``.tflite`` file (float32, dynamic, float16, int8) | LiteRT interpreter |
| `onnx` | ``.onnx`` file | ONNX Runtime |
| `bundle` | several of them + ``manifest.json`` | any of the above |

`verify` compares an artifact with the in-memory model and returns a
`VerificationReport`; `load` returns a `Predictor` for any artifact.

Example:
    >>> import keras, tempfile
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    >>> folder = tempfile.mkdtemp()
    >>> path = tfs.export.tflite(model, folder + "/model.tflite")
    >>> tfs.export.load(path).predict(np.ones((2, 4))).shape
    (2, 3)
"""

from __future__ import annotations

from tfstarter.export._bundle import Bundle, bundle, check_bundle
from tfstarter.export._formats import INPUT_NAME, OUTPUT_NAME, SERVING_SIGNATURE
from tfstarter.export._h5 import h5
from tfstarter.export._keras_format import keras
from tfstarter.export._load import load
from tfstarter.export._onnx import onnx
from tfstarter.export._predictor import Predictor
from tfstarter.export._report import VerificationReport
from tfstarter.export._saved_model import saved_model
from tfstarter.export._tflite import tflite
from tfstarter.export._tolerance import DEFAULT_TOLERANCES, Tolerance
from tfstarter.export._verify import verify

__all__ = [  # noqa: RUF022 (plain sorted(), as the API-surface test checks)
    "Bundle",
    "DEFAULT_TOLERANCES",
    "INPUT_NAME",
    "OUTPUT_NAME",
    "Predictor",
    "SERVING_SIGNATURE",
    "Tolerance",
    "VerificationReport",
    "bundle",
    "check_bundle",
    "h5",
    "keras",
    "load",
    "onnx",
    "saved_model",
    "tflite",
    "verify",
]
