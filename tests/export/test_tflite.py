"""TFLite conversion: every quantization mode, integer I/O, any batch size."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from types import SimpleNamespace

import keras
import numpy as np
import pytest
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter

import tfstarter as tfs
from tfstarter.errors import (
    ArgumentTypeError,
    ArtifactExistsError,
    ConfigError,
    DataError,
    ExportError,
    VerificationError,
)

WIDE = 40  # 40 x 256 weights: quantization shrinks the file, not its overhead


@pytest.fixture(scope="module")
def wide() -> SimpleNamespace:
    keras.utils.set_random_seed(3)
    model = keras.Sequential(
        [
            keras.Input((WIDE,)),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(5, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(0).normal(size=(256, WIDE)).astype("float32")
    y = (x[:, :5].argmax(axis=1)).astype("int64")
    model.fit(x, y, epochs=10, batch_size=32, verbose=0)
    return SimpleNamespace(model=model, x=x)


@pytest.fixture(scope="module")
def files(
    tmp_path_factory: pytest.TempPathFactory, wide: SimpleNamespace
) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("tflite")
    out = {}
    for mode in (None, "dynamic", "float16", "int8"):
        out[str(mode)] = tfs.export.tflite(
            wide.model,
            folder / f"{mode}.tflite",
            quantize=mode,
            representative_data=wide.x if mode == "int8" else None,
        )
    return out


@pytest.mark.parametrize(
    ("mode", "ratio"),
    [("None", 1.0), ("dynamic", 0.45), ("float16", 0.6), ("int8", 0.5)],
)
def test_modes_are_detected_and_shrink_the_file(
    files: dict[str, Path], wide: SimpleNamespace, mode: str, ratio: float
) -> None:
    predictor = tfs.export.load(files[mode])
    assert predictor.quantize == (None if mode == "None" else mode)
    assert files[mode].stat().st_size <= ratio * files["None"].stat().st_size + 1
    report = tfs.export.verify(files[mode], wide.model, wide.x)
    assert report.passed and report.argmax_agreement is not None
    assert report.argmax_agreement >= 0.97


def test_signature_and_dynamic_batch_in_plain_litert(
    files: dict[str, Path], wide: SimpleNamespace
) -> None:
    interpreter = Interpreter(model_path=str(files["None"]))
    assert interpreter.get_signature_list() == {
        "serving_default": {"inputs": ["inputs"], "outputs": ["outputs"]}
    }
    (detail,) = interpreter.get_input_details()
    assert list(detail["shape_signature"]) == [-1, WIDE]


@pytest.mark.parametrize("batch", [1, 7, 300])
def test_any_batch_size(
    files: dict[str, Path], wide: SimpleNamespace, batch: int
) -> None:
    x = np.random.default_rng(batch).normal(size=(batch, WIDE)).astype("float32")
    predictor = tfs.export.load(files["None"])
    expected = np.asarray(wide.model(x))
    np.testing.assert_allclose(predictor.predict(x), expected, atol=1e-5)
    np.testing.assert_allclose(predictor.predict(x, batch_size=4), expected, atol=1e-5)
    np.testing.assert_allclose(predictor.predict(x[:1]), expected[:1], atol=1e-5)


@pytest.mark.parametrize("io_dtype", ["int8", "uint8"])
def test_integer_inputs_and_outputs(
    tmp_path: Path, wide: SimpleNamespace, io_dtype: str
) -> None:
    path = tfs.export.tflite(
        wide.model,
        tmp_path / "m.tflite",
        quantize="int8",
        representative_data=wide.x,
        io_dtype=io_dtype,  # type: ignore[arg-type]
    )
    interpreter = Interpreter(model_path=str(path))
    assert interpreter.get_input_details()[0]["dtype"] == np.dtype(io_dtype)
    assert interpreter.get_output_details()[0]["dtype"] == np.dtype(io_dtype)
    predictor = tfs.export.load(path)
    assert predictor.spec.input_dtype == "float32"
    out = predictor.predict(wide.x[:50])
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.sum(axis=1), 1.0, atol=0.05)
    report = tfs.export.verify(path, wide.model, wide.x)
    assert report.passed and report.argmax_agreement >= 0.97


@pytest.mark.parametrize("batched", [True, False])
def test_representative_dataset(
    tmp_path: Path, wide: SimpleNamespace, batched: bool
) -> None:
    y = np.zeros(len(wide.x), "int64")
    dataset = tf.data.Dataset.from_tensor_slices((wide.x, y))
    dataset = dataset.batch(32) if batched else dataset
    path = tfs.export.tflite(
        wide.model,
        tmp_path / "m.tflite",
        quantize="int8",
        representative_data=dataset,
        calibration_samples=100,
    )
    assert tfs.export.verify(path, wide.model, wide.x[:100]).passed


def test_failed_check_writes_nothing(tmp_path: Path, wide: SimpleNamespace) -> None:
    target = tmp_path / "m.tflite"
    strict = tfs.export.Tolerance(atol=0.0, rtol=0.0, min_agreement=1.0)
    with pytest.raises(
        VerificationError,
        match=r"tflite-int8 artifact .*m\.tflite does not reproduce.*times the limit.*"
        r"Nothing was written",
    ):
        tfs.export.tflite(
            wide.model,
            target,
            quantize="int8",
            representative_data=wide.x,
            tolerance=strict,
        )
    assert list(tmp_path.iterdir()) == []
    tfs.export.tflite(
        wide.model,
        target,
        quantize="int8",
        representative_data=wide.x,
        tolerance=strict,
        check=False,
    )
    assert target.is_file()


def test_existing_file_is_refused_before_converting(
    files: dict[str, Path], wide: SimpleNamespace
) -> None:
    before = files["None"].read_bytes()
    with pytest.raises(ArtifactExistsError, match="overwrite=True"):
        tfs.export.tflite(wide.model, files["None"])
    assert files["None"].read_bytes() == before


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"quantize": "int4"},
            ConfigError,
            "`quantize` must be one of None, 'dynamic'",
        ),
        ({"quantize": "int8"}, ConfigError, "`representative_data` is None"),
        (
            {"quantize": "dynamic", "representative_data": np.zeros((2, WIDE))},
            ConfigError,
            "only used with quantize='int8'",
        ),
        ({"io_dtype": "int8"}, ConfigError, "only valid with quantize='int8'"),
        ({"io_dtype": "int4"}, ConfigError, "`io_dtype` must be one of"),
        (
            {"quantize": "int8", "representative_data": np.zeros((2, 3))},
            DataError,
            re.escape(
                "has shape (2, 3), but the model takes inputs of shape (n_samples, 40)"
            ),
        ),
        (
            {"quantize": "int8", "representative_data": np.full((2, WIDE), np.nan)},
            DataError,
            "holds NaN or Inf",
        ),
        (
            {"quantize": "int8", "representative_data": np.zeros((0, WIDE))},
            DataError,
            "is empty",
        ),
        (
            {"quantize": "int8", "representative_data": "x_train"},
            ArgumentTypeError,
            "must be an array of model inputs",
        ),
        (
            {
                "quantize": "int8",
                "representative_data": np.zeros((4, WIDE)),
                "calibration_samples": 0,
            },
            ConfigError,
            "`calibration_samples` must be a positive integer, got 0",
        ),
        (
            {"tolerance": 0.1},
            ArgumentTypeError,
            "`tolerance` must be a tfstarter.export.Tolerance",
        ),
    ],
)
def test_bad_options_are_refused(
    tmp_path: Path,
    wide: SimpleNamespace,
    kwargs: dict[str, object],
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error, match=message):
        tfs.export.tflite(wide.model, tmp_path / "m.tflite", **kwargs)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_suffix_is_checked(tmp_path: Path, wide: SimpleNamespace) -> None:
    with pytest.raises(ConfigError, match=r"must end in \.tflite.*m\.tflite"):
        tfs.export.tflite(wide.model, tmp_path / "m.lite")


def test_operator_without_a_litert_kernel(tmp_path: Path) -> None:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Lambda(tf.math.erfinv)])
    with pytest.raises(
        ExportError, match=r"TFLite conversion \(float32\) of model .* failed: .*Erfinv"
    ):
        tfs.export.tflite(model, tmp_path / "m.tflite")
    assert list(tmp_path.iterdir()) == []


def test_without_litert_the_check_says_how_to_skip_it(
    tmp_path: Path, wide: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)
    with pytest.raises(ImportError, match=r"ai-edge-litert.*or pass check=False"):
        tfs.export.tflite(wide.model, tmp_path / "m.tflite")
    assert list(tmp_path.iterdir()) == []
    path = tfs.export.tflite(wide.model, tmp_path / "m.tflite", check=False)
    assert path.read_bytes()[4:8] == b"TFL3"
