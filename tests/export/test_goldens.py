"""Every registered model configuration x every format and quantization mode.

Each golden model is trained briefly on a learnable task (so its optimizer has
state and its predictions are confident), exported, verified in the runtime
that serves the format, and loaded back with `load`. Samples are the training
inputs: the same distribution the int8 files are calibrated on. The exporters'
own pre-publish check is off here (``check=False``): the explicit `verify`
below is the same check, and the exporters' tests cover the pre-publish path.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest

import tfstarter as tfs
from tfstarter.export._formats import format_key
from tfstarter.export._verify import resolve_head
from tfstarter.models._goldens import GOLDENS, Golden

# Every golden model through every format: a long suite, its own step of .ci/run.
pytestmark = [pytest.mark.slow, pytest.mark.extended]

MODES: list[tuple[str, str | None]] = [
    ("h5", None),
    ("keras", None),
    ("saved_model", None),
    ("tflite", None),
    ("tflite", "dynamic"),
    ("tflite", "float16"),
    ("tflite", "int8"),
]
SAMPLES = 128
EPOCHS = 3


def _learnable_targets(golden: Golden, x: np.ndarray) -> np.ndarray:
    """Targets a few epochs can fit: classes from a fixed projection of the inputs.

    Random labels would leave classifiers unsure about every sample; a real
    (learnable) task gives confident predictions, like the models people export.
    """
    if golden.head == "regression":
        return golden.sample_targets(len(x))
    flat = x.reshape(len(x), -1)
    flat = (flat - flat.mean(axis=0)) / (flat.std(axis=0) + 1e-6)
    scores = flat @ np.random.default_rng(5).normal(size=(flat.shape[1], golden.units))
    if golden.head == "binary":
        return (scores[:, 0] > np.median(scores[:, 0])).astype("int64")
    return scores.argmax(axis=1).astype("int64")


@pytest.fixture(scope="module")
def trained() -> Callable[[Golden], tuple[keras.Model, np.ndarray]]:
    cache: dict[str, tuple[keras.Model, np.ndarray]] = {}

    def get(golden: Golden) -> tuple[keras.Model, np.ndarray]:
        if golden.name not in cache:
            keras.utils.set_random_seed(0)
            model = golden.build()
            x = golden.sample_inputs(SAMPLES)
            y = _learnable_targets(golden, x)
            model.fit(x, y, epochs=EPOCHS, batch_size=32, verbose=0)
            cache[golden.name] = (model, x)
        return cache[golden.name]

    return get


def _export(
    model: keras.Model, folder: Path, fmt: str, mode: str | None, x: Any
) -> Path:
    if fmt == "h5":
        return tfs.export.h5(model, folder / "m.h5", check=False)
    if fmt == "keras":
        return tfs.export.keras(model, folder / "m.keras", check=False)
    if fmt == "saved_model":
        return tfs.export.saved_model(model, folder / "sm", check=False)
    return tfs.export.tflite(
        model,
        folder / "m.tflite",
        quantize=mode,  # type: ignore[arg-type]
        representative_data=x if mode == "int8" else None,
        calibration_samples=SAMPLES,
        check=False,
    )


@pytest.mark.parametrize("golden", GOLDENS, ids=lambda g: g.name)
def test_auto_head_matches_the_builder(
    golden: Golden, trained: Callable[[Golden], tuple[keras.Model, np.ndarray]]
) -> None:
    model, _ = trained(golden)
    assert resolve_head(model, "auto") == golden.head


@pytest.mark.parametrize(
    ("fmt", "mode"),
    MODES,
    ids=[format_key(f, m) for f, m in MODES],  # type: ignore[arg-type]
)
@pytest.mark.parametrize("golden", GOLDENS, ids=lambda g: g.name)
def test_export_verify_load(
    tmp_path: Path,
    golden: Golden,
    fmt: str,
    mode: str | None,
    trained: Callable[[Golden], tuple[keras.Model, np.ndarray]],
) -> None:
    model, x = trained(golden)
    path = _export(model, tmp_path, fmt, mode, x)

    report = tfs.export.verify(path, model, x)
    assert report.passed, str(report)
    assert report.format == fmt and report.samples == SAMPLES
    if mode == "dynamic":  # the converter skips layers with < 1024 weights
        assert report.quantize in ("dynamic", None)
    else:
        assert report.quantize == mode
    if golden.head == "regression":
        assert report.argmax_agreement is None
    else:
        assert report.argmax_agreement is not None

    predictor = tfs.export.load(path)
    got = predictor.predict(x, batch_size=100)
    expected = np.asarray(model(x, training=False))
    assert got.shape == expected.shape == (SAMPLES, *golden.output_shape)
    assert float(np.max(np.abs(got - expected))) <= report.limit
    np.testing.assert_allclose(
        predictor.predict(x[:3]), got[:3], rtol=0, atol=report.limit
    )
