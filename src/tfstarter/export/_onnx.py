"""`onnx`: an ``.onnx`` file for ONNX Runtime (servers, browsers, C#, Java, C++).

Why our own code: Keras' ``model.export(path, format="onnx")`` hands
tf2onnx the traced function with every tensor it captures as an extra graph
input. Models whose layers keep plain tensors rather than variables (a
``Normalization`` layer adapted to data, as tfstarter's ``normalize=``
makes) then come out with inputs such as ``dense_1/normalize_1/Sub/y:0``
that ONNX Runtime refuses to run without. tfstarter instead freezes the
serving function (every variable and captured tensor becomes a constant) and
converts that graph with tf2onnx, so the file has exactly one input and one
output, under the names the SavedModel and TFLite files use (`INPUT_NAME`,
`OUTPUT_NAME`), and a free batch dimension named ``batch``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tfstarter._atomic import check_target, staged
from tfstarter._checks import check_positive_int
from tfstarter.errors import ConfigError, ExportError
from tfstarter.export._disk_space import disk_full_as_export_error
from tfstarter.export._extras import require
from tfstarter.export._formats import INPUT_NAME, OUTPUT_NAME, PathLike
from tfstarter.export._self_check import check_written
from tfstarter.export._signature import IOSpec, io_spec, serving_function

BATCH_DIM = "batch"
"""Name of the free batch dimension of the ONNX input and output."""


@contextmanager
def _quiet_tensorflow_logs() -> Iterator[None]:
    """Hide TensorFlow's TF1-deprecation notices that tf2onnx's graph import logs."""
    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _name_batch_dimension(proto: Any) -> None:
    for value in (*proto.graph.input, *proto.graph.output):
        dims = value.type.tensor_type.shape.dim
        if dims and not dims[0].HasField("dim_value"):
            dims[0].dim_param = BATCH_DIM


def convert(model: Any, spec: IOSpec, *, opset: int | None = None) -> bytes:
    r"""Return the ONNX ``ModelProto`` of ``model``, serialized (no file is written).

    Raises:
        ImportError: if the ``onnx`` extra is not installed.
        ExportError: if tf2onnx cannot convert an operation of the model.

    Example:
        >>> import keras
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        >>> convert(model, io_spec(model))[:1]
        b'\x08'
    """
    tf2onnx = require("tf2onnx", extra="onnx", needed_for="ONNX export")
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    concrete = serving_function(model, spec).get_concrete_function()
    frozen = convert_variables_to_constants_v2(concrete)
    input_name, output_name = frozen.inputs[0].name, frozen.outputs[0].name
    try:
        with _quiet_tensorflow_logs():
            proto, _ = tf2onnx.convert.from_graph_def(
                frozen.graph.as_graph_def(),
                name=model.name,
                input_names=[input_name],
                output_names=[output_name],
                opset=opset,
                tensors_to_rename={input_name: INPUT_NAME, output_name: OUTPUT_NAME},
            )
    except Exception as err:  # tf2onnx raises ValueError, RuntimeError and others
        raise ExportError(
            f"ONNX conversion of model {model.name!r} failed: {err}. An operation "
            f"tf2onnx cannot express in ONNX (opset {opset or 'default'}) is the "
            f"usual cause; try a newer opset= or replace the layer."
        ) from err
    _name_batch_dimension(proto)
    serialized: bytes = proto.SerializeToString()
    return serialized


def onnx(
    model: Any,
    path: PathLike,
    *,
    opset: int | None = None,
    overwrite: bool = False,
    sample: Any = None,
    check: bool = True,
) -> Path:
    """Convert a model to an ``.onnx`` file for ONNX Runtime, atomically and verified.

    The file takes one float input named ``inputs`` of shape
    ``(batch, *sample_shape)`` and returns ``outputs`` — the names of the
    SavedModel's signature — with any batch size. It runs in ONNX Runtime
    without TensorFlow::

        session = onnxruntime.InferenceSession("model.onnx")
        y = session.run(["outputs"], {"inputs": x})[0]

    Needs the ``onnx`` extra (``pip install "tfstarter[onnx]"``: tf2onnx,
    onnx, onnxruntime).

    Args:
        model: the `keras.Model` to convert (one input, one output).
        path: the file to write; must end in ``.onnx``.
        opset: the ONNX opset to target (default: tf2onnx's default).
        overwrite: replace an existing file.
        sample: inputs to verify the file on in ONNX Runtime before it is
            moved into place (default: 8 seeded random inputs).
        check: verify the file before publishing it (see `verify`).

    Returns:
        The path of the written file.

    Raises:
        ImportError: if the ``onnx`` extra is not installed.
        ArgumentTypeError: if ``model`` is not a `keras.Model`, or ``opset``
            not an integer.
        ConfigError: if ``path`` does not end in ``.onnx``, or ``opset`` < 1.
        ArtifactExistsError: if ``path`` exists and ``overwrite`` is false
            (checked before converting).
        ExportError: if the model is not built, has several inputs or
            outputs, cannot be converted, or the disk is full.
        VerificationError: if the file does not reproduce the model (then
            nothing is written at ``path``).

    Example:
        >>> import keras, tempfile
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        >>> path = tfs.export.onnx(model, tempfile.mkdtemp() + "/model.onnx")
        >>> predictor = tfs.export.load(path)
        >>> predictor.format, predictor.predict(np.ones((5, 3))).shape
        ('onnx', (5, 2))
    """
    spec = io_spec(model)
    if opset is not None:
        opset = check_positive_int("opset", opset)
    target = Path(path)
    if target.suffix.lower() != ".onnx":
        raise ConfigError(
            f"`path` must end in .onnx for an ONNX model, got {str(target)!r}. "
            f"Pass e.g. {target.with_suffix('.onnx')}."
        )
    require("onnxruntime", extra="onnx", needed_for="ONNX export")
    check_target(target, kind="file", overwrite=overwrite)  # before converting
    serialized = convert(model, spec, opset=opset)
    with (
        disk_full_as_export_error(target, lambda: len(serialized), exact=True),
        staged(target, kind="file", overwrite=overwrite) as temp,
    ):
        temp.write_bytes(serialized)
        if check:
            check_written(temp, model, sample, fmt="onnx", target=target)
    return target
