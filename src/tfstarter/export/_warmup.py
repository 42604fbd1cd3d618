"""TensorFlow Serving warm-up records: real requests run once when a model loads.

TensorFlow Serving reads ``<version>/assets.extra/tf_serving_warmup_requests``,
a TFRecord file of ``PredictionLog`` protos (at most 1,000), and runs each
request before it reports the version as available, so the first real
request does not pay for lazy initialisation. Each record written here holds
one ``PredictRequest`` for the ``serving_default`` signature with one sample
(batch size 1, the usual online request) under the input name ``inputs``.
The protos come from the ``tensorflow-serving-api`` package (the
``serving`` extra).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tfstarter.errors import ConfigError, CorruptFileError
from tfstarter.export._extras import require
from tfstarter.export._formats import INPUT_NAME, SERVING_SIGNATURE

WARMUP_FILE = Path("assets.extra") / "tf_serving_warmup_requests"
"""Where TensorFlow Serving looks for warm-up records inside a version folder."""

MAX_WARMUP_RECORDS = 1000
"""The most records TensorFlow Serving accepts in a warm-up file."""


def require_serving_api() -> None:
    """Import the serving protos, or raise `ImportError` naming the ``serving`` extra.

    Example:
        >>> require_serving_api()  # doctest: +SKIP
    """
    require(
        "tensorflow_serving.apis.prediction_log_pb2",
        extra="serving",
        needed_for="writing or reading TF Serving warm-up records",
    )


def _apis() -> tuple[Any, Any, Any]:
    require_serving_api()
    from tensorflow_serving.apis import model_pb2, predict_pb2, prediction_log_pb2

    return model_pb2, predict_pb2, prediction_log_pb2


def check_warmup_rows(x: npt.NDArray[Any]) -> None:
    """Refuse more samples than TensorFlow Serving reads warm-up records.

    Raises:
        ConfigError: if ``x`` has more than `MAX_WARMUP_RECORDS` samples.

    Example:
        >>> check_warmup_rows(np.zeros((1001, 2)))
        Traceback (most recent call last):
        ...
        tfstarter.errors.ConfigError: `warmup` has 1001 samples, but TensorFlow...
    """
    if x.shape[0] > MAX_WARMUP_RECORDS:
        raise ConfigError(
            f"`warmup` has {x.shape[0]} samples, but TensorFlow Serving refuses "
            f"warm-up files of more than {MAX_WARMUP_RECORDS} records (one per "
            f"sample). Pass at most {MAX_WARMUP_RECORDS}, e.g. warmup=x[:100]."
        )


def write_warmup(version_dir: Path, x: npt.NDArray[Any]) -> Path:
    """Write one warm-up record per sample of ``x`` into ``version_dir``.

    Raises:
        ImportError: if the ``serving`` extra is not installed.
        ConfigError: if ``x`` has more than `MAX_WARMUP_RECORDS` samples.

    Example:
        >>> write_warmup(Path("export/1"), x_test[:10])  # doctest: +SKIP
        PosixPath('export/1/assets.extra/tf_serving_warmup_requests')
    """
    import tensorflow as tf

    check_warmup_rows(x)
    model_pb2, predict_pb2, prediction_log_pb2 = _apis()
    path = version_dir / WARMUP_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with tf.io.TFRecordWriter(str(path)) as writer:
        for row in range(x.shape[0]):
            request = predict_pb2.PredictRequest(
                model_spec=model_pb2.ModelSpec(signature_name=SERVING_SIGNATURE)
            )
            request.inputs[INPUT_NAME].CopyFrom(tf.make_tensor_proto(x[row : row + 1]))
            log = prediction_log_pb2.PredictionLog(
                predict_log=prediction_log_pb2.PredictLog(request=request)
            )
            writer.write(log.SerializeToString())
    return path


def read_warmup(path: Path) -> list[npt.NDArray[Any]]:
    """Return the ``inputs`` tensor of every ``PredictRequest`` in a warm-up file.

    Raises:
        ImportError: if the ``serving`` extra is not installed.
        CorruptFileError: if the file is not a TFRecord of ``PredictionLog``
            protos with predict requests for the ``inputs`` input.

    Example:
        >>> [x.shape for x in read_warmup(Path("1") / WARMUP_FILE)]  # doctest: +SKIP
        [(1, 28, 28), (1, 28, 28)]
    """
    import tensorflow as tf
    from google.protobuf.message import DecodeError

    _, _, prediction_log_pb2 = _apis()
    inputs: list[npt.NDArray[Any]] = []
    try:
        for number, record in enumerate(tf.data.TFRecordDataset(str(path))):
            log = prediction_log_pb2.PredictionLog.FromString(record.numpy())
            if not log.HasField("predict_log"):
                raise CorruptFileError(
                    f"{path}: record {number} is not a predict log "
                    f"({log.WhichOneof('log_type')})."
                )
            request = log.predict_log.request
            if INPUT_NAME not in request.inputs:
                raise CorruptFileError(
                    f"{path}: record {number} has no {INPUT_NAME!r} input (it has "
                    f"{sorted(request.inputs)})."
                )
            inputs.append(np.asarray(tf.make_ndarray(request.inputs[INPUT_NAME])))
    except (tf.errors.OpError, ValueError, DecodeError) as err:
        raise CorruptFileError(
            f"{path} is not a readable TFRecord file of PredictionLog protos "
            f"({err}). Export the model again."
        ) from err
    return inputs
