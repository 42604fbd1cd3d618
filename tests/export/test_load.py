"""load(): one predictor interface over every format."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from types import SimpleNamespace

import keras
import numpy as np
import pytest

import tfstarter as tfs
from tfstarter.errors import ConfigError, CorruptFileError, DataError
from tfstarter.export import Predictor


@pytest.fixture(scope="module")
def artifacts(
    tmp_path_factory: pytest.TempPathFactory, trained_classifier: keras.Model
) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("load")
    return {
        "h5": tfs.export.h5(trained_classifier, folder / "m.h5"),
        "keras": tfs.export.keras(trained_classifier, folder / "m.keras"),
        "saved_model": tfs.export.saved_model(trained_classifier, folder / "sm"),
        "tflite": tfs.export.tflite(trained_classifier, folder / "m.tflite"),
    }


@pytest.mark.parametrize("fmt", ["h5", "keras", "saved_model", "tflite"])
def test_every_format_predicts_the_same(
    artifacts: dict[str, Path],
    trained_classifier: keras.Model,
    kit: SimpleNamespace,
    fmt: str,
) -> None:
    predictor = tfs.export.load(str(artifacts[fmt]))
    assert isinstance(predictor, Predictor)
    assert predictor.format == fmt and predictor.quantize is None
    assert predictor.spec.input_shape == (None, kit.FEATURES)
    assert predictor.spec.output_shape == (None, kit.CLASSES)
    x = kit.features(37, seed=9)
    expected = np.asarray(trained_classifier(x))
    for batch_size in (256, 5):
        got = predictor.predict(x, batch_size=batch_size)
        assert got.shape == (37, kit.CLASSES)
        np.testing.assert_allclose(got, expected, atol=1e-5)
    # lists and float64 are cast to what the model takes
    np.testing.assert_allclose(
        predictor.predict(x.astype("float64").tolist()), expected, atol=1e-5
    )
    assert f"format='{fmt}'" in repr(predictor)


def test_wrong_shapes_are_explained(artifacts: dict[str, Path]) -> None:
    predictor = tfs.export.load(artifacts["tflite"])
    with pytest.raises(
        DataError,
        match=re.escape(
            "`x` must have shape (n_samples, 4) for m.tflite, got array of shape (4,)"
        )
        + ".*Add the batch dimension: x\\[None\\]",
    ):
        predictor.predict(np.zeros(4))
    with pytest.raises(DataError, match=r"got array of shape \(2, 5\)"):
        predictor.predict(np.zeros((2, 5)))
    with pytest.raises(DataError, match="must hold numbers"):
        predictor.predict(np.array([["a"] * 4]))
    with pytest.raises(ConfigError, match="`batch_size` must be a positive integer"):
        predictor.predict(np.zeros((2, 4)), batch_size=0)


def test_keras_predictor_exposes_the_model(artifacts: dict[str, Path]) -> None:
    predictor = tfs.export.load(artifacts["keras"])
    assert isinstance(predictor.model, keras.Model)  # type: ignore[attr-defined]


def test_saved_model_from_keras_export_is_served_under_its_own_names(
    tmp_path: Path, trained_classifier: keras.Model, kit: SimpleNamespace
) -> None:
    trained_classifier.export(tmp_path / "plain", verbose=False)
    predictor = tfs.export.load(tmp_path / "plain")
    x = kit.features(3)
    np.testing.assert_allclose(predictor.predict(x), trained_classifier(x), atol=1e-6)


def test_tflite_with_two_inputs_is_refused(tmp_path: Path) -> None:
    import tensorflow as tf

    a, b = keras.Input((2,)), keras.Input((2,))
    model = keras.Model([a, b], keras.layers.Add()([a, b]))
    flatbuffer = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    (tmp_path / "two.tflite").write_bytes(flatbuffer)
    with pytest.raises(CorruptFileError, match="has 2 inputs and 1 outputs"):
        tfs.export.load(tmp_path / "two.tflite")


def test_missing_litert_says_what_to_install(
    artifacts: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)
    with pytest.raises(ImportError, match=r"pip install 'tfstarter\[litert\]'"):
        tfs.export.load(artifacts["tflite"])
