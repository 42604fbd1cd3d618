"""The check every exporter runs on its temporary artifact before publishing it.

Exporters verify what they wrote *before* moving it into place, so a file that
does not load, or loads but predicts differently, never appears at the target.
The check loads the artifact with safe mode off: the code in it (e.g. a
``Lambda`` layer) comes from the caller's own in-memory model, not from an
untrusted file. `tfstarter.export.load` and `tfstarter.export.verify` keep safe
mode on by default.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tfstarter.errors import ExportError, VerificationError
from tfstarter.export._formats import Format
from tfstarter.export._keras_runtime import has_unbuilt_optimizer, load_keras_model
from tfstarter.export._report import VerificationReport
from tfstarter.export._samples import as_inputs
from tfstarter.export._saved_model_runtime import SavedModelPredictor
from tfstarter.export._signature import IOSpec, io_spec
from tfstarter.export._tolerance import Tolerance
from tfstarter.export._verify import compare, failure_message, open_artifact
from tfstarter.export._warmup import WARMUP_FILE, read_warmup

DEFAULT_SAMPLES = 8


def default_sample(spec: IOSpec, rows: int = DEFAULT_SAMPLES) -> npt.NDArray[Any]:
    """Return seeded inputs in [0, 1) of the model's sample shape (unknown dims: 4).

    Example:
        >>> spec = IOSpec((None, None, 3), "float32", (None, 1), "float32")
        >>> default_sample(spec).shape
        (8, 4, 3)
    """
    dims = tuple(4 if dim is None else dim for dim in spec.sample_shape)
    values = np.random.default_rng(0).random((rows, *dims))
    return values.astype(spec.input_dtype)


def check_written(
    temp: Path,
    model: Any,
    sample: Any,
    *,
    fmt: Format,
    target: Path,
    tolerance: Tolerance | None = None,
) -> VerificationReport | None:
    """Verify the artifact written at ``temp`` against ``model``; raise if it is off.

    Models with several inputs or outputs are only checked to load (Keras
    formats; the other formats refuse such models earlier).

    Raises:
        VerificationError: if the artifact is out of tolerance; the message
            names ``target`` and says nothing was written there.

    Example:
        >>> check_written(temp, model, None, fmt="h5", target=path)  # doctest: +SKIP
    """
    try:
        spec = io_spec(model)
    except ExportError:
        if fmt in ("h5", "keras"):
            load_keras_model(
                temp,
                fmt,
                safe_mode=False,
                compile=True,
                unbuilt_optimizer=has_unbuilt_optimizer(model),
            )
            return None
        raise
    x = default_sample(spec) if sample is None else as_inputs("sample", sample, spec)
    predictor = open_artifact(temp, model, safe_mode=False)
    report = compare(predictor, model, x, tolerance=tolerance)
    if not report.passed:
        raise VerificationError(
            f"{failure_message(replace(report, path=target))} Nothing was written "
            f"to {target}; pass check=False to write it unverified."
        )
    return report


def check_warmup_written(version_dir: Path, model: Any, *, target: Path) -> None:
    """Read the warm-up records back with the serving protos and serve them.

    Every record's inputs run through the SavedModel's ``serving_default``
    signature and must give the model's outputs (the SavedModel tolerance).

    Raises:
        VerificationError: if they do not; the message names ``target``.
        CorruptFileError: if the records do not parse.

    Example:
        >>> check_warmup_written(temp, model, target=path)  # doctest: +SKIP
    """
    inputs = read_warmup(version_dir / WARMUP_FILE)
    report = compare(
        SavedModelPredictor(version_dir), model, np.concatenate(inputs, axis=0)
    )
    if not report.passed:
        raise VerificationError(
            f"the warm-up records of {target} do not serve the model's outputs: "
            f"{'; '.join(report.problems())}. Nothing was written to {target}."
        )
