"""Every exporter refuses an unbuilt model by name, with the fix; nothing is written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import keras
import pytest

import tfstarter as tfs
from tfstarter.errors import ExportError

EXPORTS: dict[str, Callable[[keras.Model, Path], object]] = {
    "keras": lambda m, d: tfs.export.keras(m, d / "m.keras"),
    "h5": lambda m, d: tfs.export.h5(m, d / "m.h5"),
    "saved_model": lambda m, d: tfs.export.saved_model(m, d / "m"),
    "tflite": lambda m, d: tfs.export.tflite(m, d / "m.tflite"),
    "onnx": lambda m, d: tfs.export.onnx(m, d / "m.onnx"),
    "bundle": lambda m, d: tfs.export.bundle(m, d / "b"),
}


@pytest.mark.parametrize("fmt", list(EXPORTS))
def test_unbuilt_model_is_refused(tmp_path: Path, fmt: str) -> None:
    model = keras.Sequential([keras.layers.Dense(4), keras.layers.Dense(1)], name="net")
    model.compile(optimizer="adam", loss="mse")
    with pytest.raises(
        ExportError,
        match=(
            r"model 'net' is not built: it has no weights yet.*start it with "
            r"keras\.Input\(shape\), call model\.build"
        ),
    ):
        EXPORTS[fmt](model, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_model_built_by_calling_it_exports(tmp_path: Path) -> None:
    model = keras.Sequential([keras.layers.Dense(2)])
    model.build((None, 3))
    path = tfs.export.keras(model, tmp_path / "m.keras")
    assert tfs.export.load(path).predict([[1.0, 2.0, 3.0]]).shape == (1, 2)
