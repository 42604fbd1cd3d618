"""One policy for existing targets, checked before anything expensive."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest

import tfstarter as tfs
from tfstarter.errors import ArtifactExistsError, ConfigError
from tfstarter.export import _bundle, _onnx, _tflite

FILE_EXPORTERS: dict[str, Callable[..., Path]] = {
    "m.keras": tfs.export.keras,
    "m.h5": tfs.export.h5,
    "m.tflite": tfs.export.tflite,
    "m.onnx": tfs.export.onnx,
}


@pytest.fixture
def no_conversions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every expensive step fail loudly: the policy must stop earlier."""

    def never(*args: object, **kwargs: object) -> Any:
        raise AssertionError("an expensive step ran although the target exists")

    monkeypatch.setattr(_tflite, "convert", never)
    monkeypatch.setattr(_onnx, "convert", never)
    monkeypatch.setattr(keras.Model, "save", never)
    for name in ("keras", "h5", "saved_model", "tflite", "onnx"):
        monkeypatch.setattr(_bundle, name, never)


@pytest.mark.parametrize("name", list(FILE_EXPORTERS))
@pytest.mark.usefixtures("no_conversions")
def test_every_file_exporter_refuses_an_existing_file_first(
    tmp_path: Path, trained_classifier: keras.Model, name: str
) -> None:
    target = tmp_path / name
    target.write_bytes(b"previous")
    with pytest.raises(
        ArtifactExistsError, match=rf"{name} already exists; pass overwrite=True"
    ):
        FILE_EXPORTERS[name](trained_classifier, target)
    assert target.read_bytes() == b"previous"


@pytest.mark.parametrize("name", list(FILE_EXPORTERS))
def test_overwrite_replaces_an_existing_file(
    tmp_path: Path, trained_classifier: keras.Model, name: str
) -> None:
    target = tmp_path / name
    target.write_bytes(b"previous")
    assert FILE_EXPORTERS[name](trained_classifier, target, overwrite=True) == target
    x = np.ones((2, 4), "float32")
    np.testing.assert_allclose(
        tfs.export.load(target).predict(x), trained_classifier(x), atol=1e-5
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


@pytest.mark.usefixtures("no_conversions")
def test_saved_model_refuses_an_existing_version_first(
    tmp_path: Path, trained_classifier: keras.Model
) -> None:
    (tmp_path / "m" / "3").mkdir(parents=True)
    with pytest.raises(ArtifactExistsError, match=r"m/3 already exists"):
        tfs.export.saved_model(trained_classifier, tmp_path / "m", version=3)


def test_saved_model_says_which_new_version_it_wrote(
    tmp_path: Path, trained_classifier: keras.Model
) -> None:
    first = tfs.export.saved_model(trained_classifier, tmp_path / "m", check=False)
    second = tfs.export.saved_model(trained_classifier, tmp_path / "m", check=False)
    assert (first, second) == (tmp_path / "m" / "1", tmp_path / "m" / "2")
    assert tfs.export.load(tmp_path / "m").path == second  # Serving's choice too


@pytest.mark.usefixtures("no_conversions")
def test_bundle_checks_its_target_before_writing_anything(
    tmp_path: Path, trained_classifier: keras.Model
) -> None:
    (tmp_path / "b").mkdir()
    with pytest.raises(ArtifactExistsError, match=r"b already exists"):
        tfs.export.bundle(trained_classifier, tmp_path / "b")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({}, ArtifactExistsError, r"taken already exists; pass overwrite=True"),
        (
            {"formats": ("keras",), "warmup": np.zeros((2, 4))},
            ConfigError,
            r"`warmup` writes TF Serving warm-up records.*has no 'saved_model'",
        ),
        ({"quantize": ("int8",)}, ConfigError, "`representative_data` is None"),
        ({"formats": ("pb",)}, ConfigError, r"`formats\[...\]` must be one of"),
        ({"name": ".hidden"}, ConfigError, "`name` must be a plain file name stem"),
    ],
)
def test_check_bundle_raises_without_a_model(
    tmp_path: Path, kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    (tmp_path / "taken").mkdir()
    target = tmp_path / ("taken" if not kwargs else "free")
    with pytest.raises(error, match=message):
        tfs.export.check_bundle(target, **kwargs)
    tfs.export.check_bundle(tmp_path / "taken", overwrite=True)
    tfs.export.check_bundle(tmp_path / "free")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
