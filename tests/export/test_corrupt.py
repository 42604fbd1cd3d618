"""Missing, truncated and wrong-format artifacts: a clear error naming the path."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path
from types import SimpleNamespace

import keras
import numpy as np
import pytest

import tfstarter as tfs
from tfstarter.errors import ArtifactNotFoundError, CorruptFileError


@pytest.fixture(scope="module")
def originals(
    tmp_path_factory: pytest.TempPathFactory, trained_classifier: keras.Model
) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("originals")
    return {
        "h5": tfs.export.h5(trained_classifier, folder / "m.h5"),
        "keras": tfs.export.keras(trained_classifier, folder / "m.keras"),
        "tflite": tfs.export.tflite(trained_classifier, folder / "m.tflite"),
        "saved_model": tfs.export.saved_model(trained_classifier, folder / "sm"),
    }


def _truncated(original: Path, folder: Path, fraction: float) -> Path:
    copy = folder / original.name
    data = original.read_bytes()
    copy.write_bytes(data[: max(8, int(len(data) * fraction))])
    return copy


@pytest.mark.parametrize("fmt", ["h5", "keras", "tflite"])
@pytest.mark.parametrize("fraction", [0.5, 0.02])
def test_truncated_files(
    tmp_path: Path,
    originals: dict[str, Path],
    trained_classifier: keras.Model,
    fmt: str,
    fraction: float,
) -> None:
    path = _truncated(originals[fmt], tmp_path, fraction)
    expected = re.escape(str(path)) + r".*(truncated|corrupt|not a valid)"
    with pytest.raises(CorruptFileError, match=expected):
        tfs.export.load(path)
    with pytest.raises(CorruptFileError, match=re.escape(str(path))):
        tfs.export.verify(path, trained_classifier, np.zeros((2, 4)))


@pytest.mark.parametrize("part", ["saved_model.pb", "variables/variables.index"])
def test_truncated_saved_model(
    tmp_path: Path, originals: dict[str, Path], part: str
) -> None:
    copy = tmp_path / "1"
    shutil.copytree(originals["saved_model"], copy)
    data = (copy / part).read_bytes()
    (copy / part).write_bytes(data[: len(data) // 2])
    with pytest.raises(
        CorruptFileError, match=re.escape(str(copy)) + " is not a loadable SavedModel"
    ):
        tfs.export.load(copy)


def test_missing_artifact(tmp_path: Path, trained_classifier: keras.Model) -> None:
    for path in (tmp_path / "gone.keras", tmp_path / "gone"):
        with pytest.raises(ArtifactNotFoundError, match=re.escape(str(path))):
            tfs.export.load(path)
        with pytest.raises(ArtifactNotFoundError, match="does not exist"):
            tfs.export.verify(path, trained_classifier, np.zeros((1, 4)))


def test_tflite_bytes_named_h5(tmp_path: Path, originals: dict[str, Path]) -> None:
    path = tmp_path / "model.h5"
    shutil.copy(originals["tflite"], path)
    with pytest.raises(
        CorruptFileError,
        match=r"model\.h5 has the suffix of a 'h5' file but .*'tflite'",
    ):
        tfs.export.load(path)


def test_weights_only_h5(tmp_path: Path, kit: SimpleNamespace) -> None:
    path = tmp_path / "model.weights.h5"
    kit.make_classifier().save_weights(path)
    with pytest.raises(
        CorruptFileError, match=r"model\.weights\.h5 .*holds weights only"
    ):
        tfs.export.load(path)


def test_zip_that_is_not_a_keras_file(tmp_path: Path) -> None:
    path = tmp_path / "model.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(CorruptFileError, match=r"model\.keras .*has no config\.json"):
        tfs.export.load(path)


def test_unloadable_keras_config(tmp_path: Path, originals: dict[str, Path]) -> None:
    path = tmp_path / "model.keras"
    with (
        zipfile.ZipFile(originals["keras"]) as source,
        zipfile.ZipFile(path, "w") as target,
    ):
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "config.json":
                data = data.replace(b'"Dense"', b'"NoSuchLayer"')
            target.writestr(item, data)
    with pytest.raises(
        CorruptFileError, match=r"Keras 3\.\d+\.\d+ cannot load .*model\.keras"
    ):
        tfs.export.load(path)


def test_saved_model_without_serving_signature(tmp_path: Path) -> None:
    import tensorflow as tf

    module = tf.Module()
    module.v = tf.Variable(1.0)
    tf.saved_model.save(module, str(tmp_path / "1"))
    with pytest.raises(CorruptFileError, match=r"has no 'serving_default' signature"):
        tfs.export.load(tmp_path / "1")
