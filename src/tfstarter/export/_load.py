"""`load`: open any exported model in the runtime that serves its format."""

from __future__ import annotations

from tfstarter.export._formats import PathLike, detect_format
from tfstarter.export._keras_runtime import KerasPredictor
from tfstarter.export._litert_runtime import LiteRTPredictor
from tfstarter.export._onnx_runtime import OnnxPredictor
from tfstarter.export._predictor import Predictor
from tfstarter.export._saved_model_runtime import SavedModelPredictor


def load(
    path: PathLike, *, safe_mode: bool = True, num_threads: int | None = None
) -> Predictor:
    """Load an exported model and return a `Predictor` with ``.predict(x)``.

    The format is detected from the path: ``.h5``/``.hdf5`` and ``.keras`` are
    loaded with Keras, a folder holding ``saved_model.pb`` (or numbered version
    folders, of which the highest is served, as TensorFlow Serving does) with
    `tf.saved_model.load`, ``.tflite`` with the LiteRT interpreter, ``.onnx``
    with ONNX Runtime (any batch size for all of them). A folder swap that a
    killed export left half done is finished first (see `saved_model`).

    Args:
        path: the file, or the SavedModel folder.
        safe_mode: refuse Keras files that would run code stored in them (e.g. a
            ``Lambda`` layer). Pass ``False`` only for files you trust.
        num_threads: threads of the LiteRT interpreter or ONNX Runtime
            session (``.tflite`` and ``.onnx`` only; ``None``: the runtime's
            default).

    Returns:
        A `Predictor` for the artifact.

    Raises:
        ArtifactNotFoundError: if nothing exists at ``path``.
        ConfigError: if the path names no known format.
        CorruptFileError: if the artifact is truncated, corrupt, or of another
            format than its name says.
        UnsafeModelError: if ``safe_mode`` is on and the file holds code.
        ImportError: for ``.tflite`` files when ``ai_edge_litert`` is missing,
            for ``.onnx`` files when ``onnxruntime`` is (the ``onnx`` extra).

    Example:
        >>> import keras, tempfile
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        >>> path = tfs.export.keras(model, tempfile.mkdtemp() + "/m.keras")
        >>> predictor = tfs.export.load(path)
        >>> predictor.format, predictor.predict(np.ones((5, 3))).shape
        ('keras', (5, 2))
    """
    fmt, resolved = detect_format(path)
    if fmt in ("h5", "keras"):
        return KerasPredictor(resolved, fmt, safe_mode=safe_mode)
    if fmt == "saved_model":
        return SavedModelPredictor(resolved)
    if fmt == "onnx":
        return OnnxPredictor(resolved, num_threads=num_threads)
    return LiteRTPredictor(resolved, num_threads=num_threads)
