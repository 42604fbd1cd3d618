"""`tflite`: convert a model for LiteRT (TensorFlow Lite), optionally quantized.

The model is first written as a SavedModel with the stable serving signature
(see `saved_model`), then converted with `tf.lite.TFLiteConverter.from_saved_model`,
the conversion path TensorFlow documents for Keras 3 models. The ``.tflite``
file therefore serves ``serving_default`` with input ``inputs`` and output
``outputs``, and its batch dimension is ``-1`` (any batch size; the runtime
resizes the input tensor). Only built-in LiteRT operators are allowed, so the
file runs on the plain LiteRT interpreter without the Flex (TF ops) delegate.

Quantization modes:

* ``None``: float32 weights and activations.
* ``"dynamic"``: int8 weights, float activations (quantized on the fly);
  about 4x smaller.
* ``"float16"``: float16 weights; about 2x smaller, GPU-friendly.
* ``"int8"``: full-integer weights *and* activations, calibrated on
  representative inputs; about 4x smaller and fastest on CPUs and integer
  accelerators. Inputs and outputs stay float32 unless ``io_dtype`` says
  otherwise.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, TypeAlias

import numpy.typing as npt

from tfstarter._atomic import check_target, staged
from tfstarter._checks import check_one_of, check_positive_int, describe
from tfstarter.errors import ArgumentTypeError, ConfigError, ExportError
from tfstarter.export._disk_space import disk_full_as_export_error
from tfstarter.export._formats import (
    QUANTIZE_MODES,
    SERVING_SIGNATURE,
    PathLike,
    Quantize,
)
from tfstarter.export._samples import as_inputs
from tfstarter.export._saved_model import write_saved_model
from tfstarter.export._self_check import check_written
from tfstarter.export._signature import io_spec
from tfstarter.export._tolerance import Tolerance

IODtype: TypeAlias = Literal["float32", "int8", "uint8"]
IO_DTYPES: tuple[IODtype, ...] = ("float32", "int8", "uint8")
CHECK_SAMPLES = 64


def _check_options(
    quantize: object,
    representative_data: object,
    io_dtype: object,
    tolerance: object,
) -> None:
    check_one_of("quantize", quantize, QUANTIZE_MODES)
    check_one_of("io_dtype", io_dtype, IO_DTYPES)
    if quantize == "int8" and representative_data is None:
        raise ConfigError(
            "quantize='int8' calibrates the range of every activation on "
            "representative inputs, but `representative_data` is None. Pass "
            "100-500 typical training inputs, e.g. "
            "representative_data=x_train[:500] (or a tf.data.Dataset)."
        )
    if quantize != "int8" and representative_data is not None:
        raise ConfigError(
            f"`representative_data` is only used with quantize='int8', got "
            f"quantize={quantize!r}. Drop it, or pass quantize='int8'."
        )
    if io_dtype != "float32" and quantize != "int8":
        raise ConfigError(
            f"io_dtype={io_dtype!r} needs integer activations; it is only valid "
            f"with quantize='int8', got quantize={quantize!r}."
        )
    if tolerance is not None and not isinstance(tolerance, Tolerance):
        raise ArgumentTypeError(
            f"`tolerance` must be a tfstarter.export.Tolerance, got "
            f"{describe(tolerance)} of type {type(tolerance).__name__}."
        )


def _configure(
    converter: Any,
    quantize: Quantize | None,
    calibration: npt.NDArray[Any] | None,
    io_dtype: IODtype,
) -> None:
    import tensorflow as tf

    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantize is None:
        return
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantize == "float16":
        converter.target_spec.supported_types = [tf.float16]
    elif quantize == "int8":
        assert calibration is not None  # _check_options() guarantees it

        def representative_dataset() -> Iterator[list[npt.NDArray[Any]]]:
            for row in range(calibration.shape[0]):
                yield [calibration[row : row + 1]]

        converter.representative_dataset = representative_dataset
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if io_dtype != "float32":
            converter.inference_input_type = tf.as_dtype(io_dtype)
            converter.inference_output_type = tf.as_dtype(io_dtype)


def convert(
    model: Any,
    *,
    quantize: Quantize | None = None,
    calibration: npt.NDArray[Any] | None = None,
    io_dtype: IODtype = "float32",
) -> bytes:
    """Return the ``.tflite`` flatbuffer of ``model`` (no file is written).

    Raises:
        ExportError: if the model has several inputs or outputs, or the
            converter fails (e.g. an operator LiteRT has no built-in kernel for,
            or no int8 kernel for).

    Example:
        >>> import keras
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        >>> convert(model)[4:8]
        b'TFL3'
    """
    import tensorflow as tf

    spec = io_spec(model)
    with tempfile.TemporaryDirectory(prefix="tfstarter-tflite-") as scratch:
        folder = Path(scratch) / "saved_model"
        write_saved_model(model, spec, folder)
        converter = tf.lite.TFLiteConverter.from_saved_model(
            str(folder), signature_keys=[SERVING_SIGNATURE]
        )
        _configure(converter, quantize, calibration, io_dtype)
        try:
            flatbuffer: bytes = converter.convert()
        except Exception as err:  # the converter raises ConverterError and others
            mode = "float32" if quantize is None else quantize
            raise ExportError(
                f"TFLite conversion ({mode}) of model {model.name!r} failed: "
                f"{err}. An operator without a built-in LiteRT kernel (or, for "
                f"int8, without an int8 kernel) is the usual cause; try another "
                f"quantize mode or replace the layer."
            ) from err
    return flatbuffer


def tflite(
    model: Any,
    path: PathLike,
    *,
    quantize: Quantize | None = None,
    representative_data: Any = None,
    calibration_samples: int = 200,
    io_dtype: IODtype = "float32",
    overwrite: bool = False,
    sample: Any = None,
    tolerance: Tolerance | None = None,
    check: bool = True,
) -> Path:
    """Convert a model to a ``.tflite`` file for LiteRT, atomically and verified.

    Args:
        model: the `keras.Model` to convert (one input, one output).
        path: the file to write; must end in ``.tflite``.
        quantize: ``None`` (float32), ``"dynamic"`` (int8 weights),
            ``"float16"`` (float16 weights) or ``"int8"`` (full integer,
            calibrated on ``representative_data``).
        representative_data: for ``"int8"`` only: typical inputs (an array
            with a leading sample dimension, or a `tf.data.Dataset` of inputs,
            ``(inputs, targets)`` pairs, batched or not), in the units the
            model takes.
        calibration_samples: how many representative samples to calibrate on.
        io_dtype: for ``"int8"`` only: ``"float32"`` keeps float inputs and
            outputs (quantized inside the model); ``"int8"`` or ``"uint8"``
            makes the file take and return integers, as integer-only
            accelerators need (`load` still takes and returns floats).
        overwrite: replace an existing file.
        sample: inputs to verify the file on in LiteRT before it is moved into
            place (default: the first 64 representative samples for
            ``"int8"``, else 8 seeded random inputs).
        tolerance: overrides the default tolerance of the check.
        check: verify the file before publishing it (see `verify`).

    Returns:
        The path of the written file.

    Raises:
        ArgumentTypeError: if ``model`` is not a `keras.Model`.
        ConfigError: for an unknown ``quantize`` or ``io_dtype``, a missing
            ``representative_data`` for int8 (or one given for another mode),
            or a ``path`` not ending in ``.tflite``.
        DataError: if ``representative_data`` has the wrong shape, is empty or
            holds NaN/Inf.
        ArtifactExistsError: if ``path`` exists and ``overwrite`` is false.
        ExportError: if the model is not built or cannot be converted, or the
            disk is full.
        VerificationError: if the file does not reproduce the model within
            tolerance (then nothing is written at ``path``).

    Example:
        >>> import keras, tempfile
        >>> model = keras.Sequential(
        ...     [keras.Input((4,)), keras.layers.Dense(3, activation="softmax")]
        ... )
        >>> x = np.random.default_rng(0).random((100, 4), dtype="float32")
        >>> path = tfs.export.tflite(
        ...     model,
        ...     tempfile.mkdtemp() + "/model.tflite",
        ...     quantize="int8",
        ...     representative_data=x,
        ... )
        >>> tfs.export.load(path).quantize
        'int8'
    """
    spec = io_spec(model)
    _check_options(quantize, representative_data, io_dtype, tolerance)
    calibration_samples = check_positive_int("calibration_samples", calibration_samples)
    target = Path(path)
    if target.suffix.lower() != ".tflite":
        raise ConfigError(
            f"`path` must end in .tflite for a LiteRT model, got {str(target)!r}. "
            f"Pass e.g. {target.with_suffix('.tflite')}."
        )
    check_target(target, kind="file", overwrite=overwrite)  # before converting
    calibration = None
    if quantize == "int8":
        calibration = as_inputs(
            "representative_data",
            representative_data,
            spec,
            limit=calibration_samples,
        )
        if sample is None:
            sample = calibration[:CHECK_SAMPLES]
    flatbuffer = convert(
        model, quantize=quantize, calibration=calibration, io_dtype=io_dtype
    )
    with (
        disk_full_as_export_error(target, lambda: len(flatbuffer), exact=True),
        staged(target, kind="file", overwrite=overwrite) as temp,
    ):
        temp.write_bytes(flatbuffer)
        if check:
            check_written(
                temp, model, sample, fmt="tflite", target=target, tolerance=tolerance
            )
    return target
