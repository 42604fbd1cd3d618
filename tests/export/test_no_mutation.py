"""Exporting never changes the live model: weights, compile config, optimizer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import keras
import numpy as np
import pytest

import tfstarter as tfs

EXPORTS: dict[str, Callable[[keras.Model, Path, np.ndarray], Any]] = {
    "h5": lambda m, d, x: tfs.export.h5(m, d / "m.h5"),
    "keras": lambda m, d, x: tfs.export.keras(m, d / "m.keras"),
    "saved_model": lambda m, d, x: tfs.export.saved_model(m, d / "sm"),
    "tflite": lambda m, d, x: tfs.export.tflite(m, d / "m.tflite"),
    "tflite-int8": lambda m, d, x: tfs.export.tflite(
        m, d / "m.tflite", quantize="int8", representative_data=x
    ),
    "bundle": lambda m, d, x: tfs.export.bundle(m, d / "b", formats=("h5", "keras")),
}


def _snapshot(model: keras.Model) -> dict[str, Any]:
    return {
        "weights": [w.copy() for w in model.get_weights()],
        "compile": model.get_compile_config(),
        "optimizer": model.optimizer.get_config(),
        "optimizer_variables": [
            np.asarray(v).copy() for v in model.optimizer.variables
        ],
        "trainable": [layer.trainable for layer in model.layers],
        "loss": model.loss,
    }


@pytest.mark.parametrize("export", list(EXPORTS))
def test_export_leaves_the_model_alone(
    tmp_path: Path, kit: SimpleNamespace, export: str
) -> None:
    model = kit.make_regressor(loss="mae")  # a string loss, as in the H5 trap
    x = kit.features(64)
    model.fit(x, x[:, :2], epochs=1, verbose=0)
    before = _snapshot(model)
    EXPORTS[export](model, tmp_path, x)
    after = _snapshot(model)
    assert after["compile"] == before["compile"]
    assert after["optimizer"] == before["optimizer"]
    assert after["trainable"] == before["trainable"]
    assert after["loss"] == before["loss"] == "mae"
    for got, want in zip(after["weights"], before["weights"], strict=True):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(
        after["optimizer_variables"], before["optimizer_variables"], strict=True
    ):
        np.testing.assert_array_equal(got, want)
    # and it trains on as before
    model.fit(x, x[:, :2], epochs=1, verbose=0)
