"""What the export benchmark measures for one model: every artifact and the baselines.

Each row is one way of serving the trained model: the in-memory Keras model
(``model.predict`` and ``model(x)``, the baselines) and every exported
artifact loaded back with `tfstarter.export.load` (what a user calls). For
each: the file size, the batch-1 latency (median of many single-sample
calls, cycling through test images) and the accuracy on the test set.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

import tfstarter as tfs

WARMUP_CALLS = 20


@dataclass(frozen=True)
class Row:
    """One way of serving the model, measured."""

    model: str
    way: str
    size_bytes: int | None
    latency_s: float
    accuracy: float
    agreement: float | None


@dataclass(frozen=True)
class Artifact:
    """How to export one artifact of the benchmark."""

    way: str
    export: Callable[[Any, Path, npt.NDArray[Any]], Path]


ARTIFACTS: tuple[Artifact, ...] = (
    Artifact("H5", lambda m, d, cal: tfs.export.h5(m, d / "m.h5")),
    Artifact(".keras", lambda m, d, cal: tfs.export.keras(m, d / "m.keras")),
    Artifact("SavedModel", lambda m, d, cal: tfs.export.saved_model(m, d / "sm")),
    Artifact("TFLite float32", lambda m, d, cal: tfs.export.tflite(m, d / "f.tflite")),
    Artifact(
        "TFLite dynamic",
        lambda m, d, cal: tfs.export.tflite(m, d / "d.tflite", quantize="dynamic"),
    ),
    Artifact(
        "TFLite float16",
        lambda m, d, cal: tfs.export.tflite(m, d / "h.tflite", quantize="float16"),
    ),
    Artifact(
        "TFLite int8",
        lambda m, d, cal: tfs.export.tflite(
            m, d / "i.tflite", quantize="int8", representative_data=cal
        ),
    ),
    Artifact(
        "TFLite int8 (int8 I/O)",
        lambda m, d, cal: tfs.export.tflite(
            m,
            d / "io.tflite",
            quantize="int8",
            representative_data=cal,
            io_dtype="int8",
        ),
    ),
    Artifact(
        "ONNX (ONNX Runtime)",
        lambda m, d, cal: tfs.export.onnx(m, d / "m.onnx"),
    ),
)


def batch1_latency(
    predict: Callable[[npt.NDArray[Any]], Any], x: npt.NDArray[Any], calls: int
) -> float:
    """Return the median seconds of ``predict`` on one sample, over ``calls`` calls."""
    for i in range(WARMUP_CALLS):
        predict(x[i % len(x)][None])
    times = []
    for i in range(calls):
        sample = x[i % len(x)][None]
        start = time.perf_counter()
        predict(sample)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def accuracy(outputs: npt.NDArray[Any], y: npt.NDArray[Any]) -> float:
    """Return the fraction of samples whose argmax is the label."""
    return float(np.mean(np.argmax(outputs, axis=1) == y))


def measure_model(
    name: str,
    model: Any,
    folder: Path,
    *,
    x_calibration: npt.NDArray[Any],
    x_test: npt.NDArray[Any],
    y_test: npt.NDArray[Any],
    calls: int,
    slow_calls: int,
) -> list[Row]:
    """Measure the baselines and every artifact of ``model``.

    ``slow_calls`` (fewer) is used for ``model.predict``, which costs
    milliseconds per call.
    """
    keras_outputs = model.predict(x_test, batch_size=256, verbose=0)
    rows = [
        Row(
            name,
            "Keras `model.predict` (baseline)",
            None,
            batch1_latency(lambda s: model.predict(s, verbose=0), x_test, slow_calls),
            accuracy(keras_outputs, y_test),
            None,
        ),
        Row(
            name,
            "Keras `model(x)` (baseline)",
            None,
            batch1_latency(lambda s: model(s, training=False), x_test, calls),
            accuracy(keras_outputs, y_test),
            None,
        ),
    ]
    for artifact in ARTIFACTS:
        path = artifact.export(model, folder, x_calibration)
        report = tfs.export.verify(path, model, x_test[:1000], raise_on_failure=False)
        predictor = tfs.export.load(path)
        outputs = predictor.predict(x_test, batch_size=256)
        rows.append(
            Row(
                name,
                artifact.way,
                report.size_bytes,
                batch1_latency(predictor.predict, x_test, calls),
                accuracy(outputs, y_test),
                report.argmax_agreement,
            )
        )
        print(
            f"{name:>6} {artifact.way:<24} {report.size_bytes / 1024:9.1f} KiB "
            f"{rows[-1].latency_s * 1e6:9.1f} us  acc {100 * rows[-1].accuracy:6.2f}%",
            flush=True,
        )
    return rows
