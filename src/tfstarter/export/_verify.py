"""`verify`: reload an artifact in its own runtime and compare it with the model."""

from __future__ import annotations

import time
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from tfstarter._checks import check_model, check_one_of, check_positive_int, describe
from tfstarter.errors import ArgumentTypeError, VerificationError
from tfstarter.export._formats import (
    PathLike,
    artifact_bytes,
    detect_format,
    format_key,
)
from tfstarter.export._keras_runtime import KerasPredictor, has_unbuilt_optimizer
from tfstarter.export._litert_runtime import LiteRTPredictor
from tfstarter.export._onnx_runtime import OnnxPredictor
from tfstarter.export._predictor import Predictor
from tfstarter.export._report import VerificationReport
from tfstarter.export._samples import as_inputs
from tfstarter.export._saved_model_runtime import SavedModelPredictor
from tfstarter.export._signature import io_spec
from tfstarter.export._tolerance import DEFAULT_TOLERANCES, Tolerance

Head: TypeAlias = Literal["auto", "regression", "binary", "multiclass"]
HEADS: tuple[Head, ...] = ("auto", "regression", "binary", "multiclass")


def open_artifact(path: PathLike, model: Any, *, safe_mode: bool) -> Predictor:
    """Load like `load`, but Keras files compiled: they must be trainable too."""
    fmt, resolved = detect_format(path)
    if fmt in ("h5", "keras"):
        return KerasPredictor(
            resolved,
            fmt,
            safe_mode=safe_mode,
            compile=True,
            unbuilt_optimizer=has_unbuilt_optimizer(model),
        )
    if fmt == "saved_model":
        return SavedModelPredictor(resolved)
    if fmt == "onnx":
        return OnnxPredictor(resolved)
    return LiteRTPredictor(resolved)


def model_outputs(
    model: Any, x: npt.NDArray[Any], *, batch_size: int
) -> npt.NDArray[Any]:
    """Return ``model(x, training=False)`` computed batch by batch, as NumPy.

    Example:
        >>> import keras
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> model_outputs(model, np.zeros((5, 2), "float32"), batch_size=2).shape
        (5, 1)
    """
    parts = [
        np.asarray(model(x[start : start + batch_size], training=False))
        for start in range(0, x.shape[0], batch_size)
    ]
    return np.concatenate(parts, axis=0)


def _final_activation(model: Any) -> str | None:
    import keras

    layer = model.layers[-1] if model.layers else None
    if isinstance(layer, keras.layers.Softmax):
        return "softmax"
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", None)


def _loss_name(model: Any) -> str:
    loss = getattr(model, "loss", None)
    if isinstance(loss, str):
        return loss
    return str(getattr(loss, "name", None) or getattr(loss, "__name__", ""))


def resolve_head(model: Any, head: Head) -> Head:
    """Return the head to compare decisions for; ``"auto"`` looks at the output.

    A softmax output is a multiclass head, a sigmoid output a binary one
    (several sigmoid units: multi-label, each thresholded). A linear output
    compiled with a categorical (binary) cross-entropy is a multiclass (binary)
    head on logits. Anything else is regression.

    Example:
        >>> import keras
        >>> model = keras.Sequential(
        ...     [keras.Input((2,)), keras.layers.Dense(1, activation="sigmoid")]
        ... )
        >>> resolve_head(model, "auto")
        'binary'
    """
    check_one_of("head", head, HEADS)
    if head != "auto":
        return head
    activation = _final_activation(model)
    if activation == "softmax":
        return "multiclass"
    if activation == "sigmoid":
        return "binary"
    loss = _loss_name(model)
    if "categorical" in loss:
        return "multiclass"
    if "binary" in loss or "hinge" in loss:
        return "binary"
    return "regression"


def _decisions(
    outputs: npt.NDArray[Any], head: Head, *, threshold: float
) -> npt.NDArray[Any]:
    flat = outputs.reshape(outputs.shape[0], -1)
    decisions: npt.NDArray[Any] = (
        np.argmax(flat, axis=-1) if head == "multiclass" else flat > threshold
    )
    return decisions


def compare(
    predictor: Predictor,
    model: Any,
    x: npt.NDArray[Any],
    *,
    tolerance: Tolerance | None = None,
    head: Head = "auto",
    batch_size: int = 256,
) -> VerificationReport:
    """Run ``x`` through ``predictor`` and ``model`` and return the report.

    Example:
        >>> report = compare(tfs.export.load("m.tflite"), model, x)  # doctest: +SKIP
    """
    spec = io_spec(model)
    if predictor.spec.sample_shape != spec.sample_shape:
        raise VerificationError(
            f"{predictor.path} takes inputs of shape {predictor.spec.input_shape} "
            f"but the model takes {spec.input_shape}: it was exported from "
            f"another model."
        )
    head = resolve_head(model, head)
    key = format_key(predictor.format, predictor.quantize)
    tolerance = DEFAULT_TOLERANCES[key] if tolerance is None else tolerance

    expected = model_outputs(model, x, batch_size=batch_size).astype(np.float64)
    predictor.predict(x[:1])  # warm-up: allocation and tracing are not latency
    start = time.perf_counter()
    actual = predictor.predict(x, batch_size=batch_size)
    latency = (time.perf_counter() - start) / x.shape[0]
    if actual.shape != expected.shape:
        raise VerificationError(
            f"{predictor.path} returns outputs of shape {actual.shape} for "
            f"{x.shape[0]} samples, but the model returns {expected.shape}: it "
            f"was exported from another model."
        )
    difference = np.abs(actual.astype(np.float64) - expected)
    difference[~np.isfinite(difference)] = np.inf
    max_abs_output = float(np.max(np.abs(expected))) if expected.size else 0.0

    agreement: float | None = None
    if head != "regression":
        threshold = 0.5 if _final_activation(model) == "sigmoid" else 0.0
        same = _decisions(actual, head, threshold=threshold) == _decisions(
            expected, head, threshold=threshold
        )
        if same.ndim > 1:
            same = same.all(axis=1)
        agreement = float(np.mean(same))
    limit = tolerance.limit(max_abs_output=max_abs_output)
    max_abs_diff = float(np.max(difference)) if difference.size else 0.0
    passed = max_abs_diff <= limit and (
        agreement is None or agreement >= tolerance.min_agreement
    )
    return VerificationReport(
        format=predictor.format,
        quantize=predictor.quantize,
        path=predictor.path,
        size_bytes=artifact_bytes(predictor.path),
        samples=int(x.shape[0]),
        max_abs_diff=max_abs_diff,
        mean_abs_diff=float(np.mean(difference)) if difference.size else 0.0,
        limit=limit,
        argmax_agreement=agreement,
        min_agreement=None if agreement is None else tolerance.min_agreement,
        latency_s=latency,
        passed=passed,
    )


def failure_message(report: VerificationReport) -> str:
    """Return the message of the `VerificationError` for a failed report.

    Example:
        >>> failure_message(report)  # doctest: +SKIP
        'tflite-int8 artifact m.tflite does not reproduce the model on 100 ...'
    """
    problems = "; ".join(report.problems())
    return (
        f"{report.key} artifact {report.path} does not reproduce the model on "
        f"{report.samples} samples: {problems}. If this difference is expected, "
        f"pass a looser tolerance=Tolerance(...), or raise_on_failure=False to "
        f"get the report."
    )


def verify(
    path: PathLike,
    model: Any,
    sample: Any,
    *,
    tolerance: Tolerance | None = None,
    head: Head = "auto",
    raise_on_failure: bool = True,
    safe_mode: bool = True,
    batch_size: int = 256,
) -> VerificationReport:
    """Check an exported artifact against the in-memory model, in its own runtime.

    The artifact is loaded the way it will be served: ``.h5``/``.keras`` with
    `keras.models.load_model` (compiled, so a file that cannot go on training
    fails too), a SavedModel with `tf.saved_model.load` through its
    ``serving_default`` signature, ``.tflite`` with the LiteRT interpreter,
    ``.onnx`` with ONNX Runtime.
    Both run on ``sample`` and their outputs are compared under the format's
    `Tolerance` (see `DEFAULT_TOLERANCES`).

    Args:
        path: the artifact (file, or SavedModel folder).
        model: the `keras.Model` it was exported from.
        sample: inputs to compare on (array with a leading sample dimension,
            or a `tf.data.Dataset` of inputs or ``(inputs, targets)``), in the
            units the model takes. Use real data: quantized formats are only
            accurate on the range they were calibrated on.
        tolerance: overrides the format's default tolerance.
        head: ``"multiclass"`` compares argmax decisions, ``"binary"``
            thresholded decisions (0.5 after a sigmoid, else 0),
            ``"regression"`` none; ``"auto"`` infers it from the output.
        raise_on_failure: raise `VerificationError` on failure (default), or
            return the report with ``passed=False``.
        safe_mode: refuse Keras files that would run code stored in them.
        batch_size: samples per call in both runtimes.

    Returns:
        The `VerificationReport`.

    Raises:
        VerificationError: if the artifact is out of tolerance (says by how
            much) and ``raise_on_failure`` is true, or if it was exported from
            a model with other input or output shapes.
        ArgumentTypeError: if ``model`` is not a `keras.Model`.
        DataError: if ``sample`` is empty, non-finite or of the wrong shape.
        ArtifactNotFoundError, CorruptFileError, UnsafeModelError: as `load`.

    Example:
        >>> import keras, tempfile
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        >>> path = tfs.export.tflite(model, tempfile.mkdtemp() + "/m.tflite")
        >>> report = tfs.export.verify(path, model, np.random.rand(64, 3))
        >>> report.format, report.passed, report.max_abs_diff < 1e-4
        ('tflite', True, True)
    """
    check_model(model)
    check_positive_int("batch_size", batch_size)
    if tolerance is not None and not isinstance(tolerance, Tolerance):
        raise ArgumentTypeError(
            f"`tolerance` must be a tfstarter.export.Tolerance, got "
            f"{describe(tolerance)} of type {type(tolerance).__name__}. Pass e.g. "
            f"Tolerance(atol=1e-3, rtol=1e-3, min_agreement=0.99)."
        )
    check_one_of("head", head, HEADS)
    x = as_inputs("sample", sample, io_spec(model))
    predictor = open_artifact(path, model, safe_mode=safe_mode)
    report = compare(
        predictor, model, x, tolerance=tolerance, head=head, batch_size=batch_size
    )
    if raise_on_failure and not report.passed:
        raise VerificationError(failure_message(report))
    return report
