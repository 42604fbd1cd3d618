"""ONNX: every registry entry converts, runs in ONNX Runtime, any batch size."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import onnx as onnx_lib
import onnxruntime
import pytest

import tfstarter as tfs
from tfstarter.errors import (
    ArgumentTypeError,
    ArtifactExistsError,
    ConfigError,
    CorruptFileError,
)
from tfstarter.export import _extras, _onnx
from tfstarter.models._goldens import GOLDENS, Golden


@pytest.mark.slow
@pytest.mark.parametrize("golden", GOLDENS, ids=lambda g: g.name)
def test_every_registry_entry_runs_in_onnx_runtime(
    tmp_path: Path, golden: Golden
) -> None:
    model = golden.build()
    x = golden.sample_inputs(16)
    path = tfs.export.onnx(model, tmp_path / "model.onnx", sample=x)
    report = tfs.export.verify(path, model, x)
    assert report.format == "onnx" and report.passed
    assert report.max_abs_diff < 1e-5
    session = onnxruntime.InferenceSession(str(path))
    (given,) = session.get_inputs()
    (returned,) = session.get_outputs()
    assert (given.name, returned.name) == ("inputs", "outputs")
    assert given.shape == ["batch", *golden.input_shape]
    assert returned.shape == ["batch", *golden.output_shape]
    for batch in (1, 7):  # the batch size is free at load time
        got = session.run(["outputs"], {"inputs": x[:batch]})[0]
        np.testing.assert_allclose(got, model(x[:batch]), rtol=1e-5, atol=1e-5)


def test_file_is_a_checked_onnx_model(
    tmp_path: Path, trained_classifier: keras.Model
) -> None:
    path = tfs.export.onnx(trained_classifier, tmp_path / "m.onnx")
    onnx_lib.checker.check_model(onnx_lib.load(str(path)))
    predictor = tfs.export.load(path, num_threads=1)
    assert predictor.format == "onnx"
    assert predictor.spec.input_shape == (None, 4)
    assert predictor.spec.output_shape == (None, 3)
    x = np.random.default_rng(0).normal(size=(300, 4)).astype("float32")
    np.testing.assert_allclose(
        predictor.predict(x, batch_size=64), trained_classifier(x), atol=1e-6
    )


def test_opset_is_honoured(tmp_path: Path, trained_classifier: keras.Model) -> None:
    path = tfs.export.onnx(trained_classifier, tmp_path / "m.onnx", opset=13)
    model = onnx_lib.load(str(path))
    assert {o.domain: o.version for o in model.opset_import}[""] == 13


def test_existing_target_is_checked_before_converting(
    tmp_path: Path, trained_classifier: keras.Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "m.onnx"
    target.write_bytes(b"old")

    def never(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("converted although the target exists")

    monkeypatch.setattr(_onnx, "convert", never)
    with pytest.raises(ArtifactExistsError, match=r"m\.onnx already exists"):
        tfs.export.onnx(trained_classifier, target)
    assert target.read_bytes() == b"old"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"path": "m.tflite"}, ConfigError, r"`path` must end in \.onnx.*m\.onnx"),
        ({"opset": 0}, ConfigError, "`opset` must be a positive integer, got 0"),
        ({"opset": "13"}, ArgumentTypeError, "`opset` must be a positive integer"),
    ],
)
def test_bad_arguments(
    tmp_path: Path,
    trained_classifier: keras.Model,
    kwargs: dict[str, object],
    error: type[Exception],
    message: str,
) -> None:
    path = tmp_path / str(kwargs.pop("path", "m.onnx"))
    with pytest.raises(error, match=message):
        tfs.export.onnx(trained_classifier, path, **kwargs)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_missing_extra_names_it(
    tmp_path: Path, trained_classifier: keras.Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = _extras.importlib.import_module

    def without_onnx_packages(name: str) -> object:
        if name in ("tf2onnx", "onnxruntime"):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return real(name)

    monkeypatch.setattr(_extras.importlib, "import_module", without_onnx_packages)
    with pytest.raises(ImportError, match=r"pip install 'tfstarter\[onnx\]'"):
        tfs.export.onnx(trained_classifier, tmp_path / "m.onnx")
    (tmp_path / "x.onnx").write_bytes(b"\x08\x01")
    with pytest.raises(ImportError, match=r"running \.onnx files needs the 'onnx'"):
        tfs.export.load(tmp_path / "x.onnx")


def test_corrupt_files_are_named(tmp_path: Path) -> None:
    truncated = tmp_path / "t.onnx"
    truncated.write_bytes(b"\x08\x07\x12\x07tf2onnx\x1a")
    with pytest.raises(CorruptFileError, match=r"t\.onnx is not a valid ONNX model"):
        tfs.export.load(truncated)
    misnamed = tmp_path / "m.onnx"
    misnamed.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 16)
    with pytest.raises(CorruptFileError, match=r"suffix of a 'onnx' file.*'h5' file"):
        tfs.export.load(misnamed)
